//! The polars edge of combining sources: a long table (keys…, dimension, source, score, se,
//! n) in, one row per unit and dimension out.

use super::{combine, z_for, SourceValue};
use crate::error::{Error, EstimateError};
use polars::prelude::*;
use std::collections::BTreeMap;

fn strings(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>, Error> {
    let col = df.column(name).map_err(|_| EstimateError::Parameter {
        parameter: name.into(),
        message: "column missing from the combined sources".into(),
    })?;
    let col = col.cast(&DataType::String)?;
    Ok(col.str()?.iter().map(|v| v.map(str::to_string)).collect())
}

fn floats(df: &DataFrame, name: &str) -> Result<Vec<Option<f64>>, Error> {
    Ok(df
        .column(name)?
        .cast(&DataType::Float64)?
        .f64()?
        .iter()
        .collect())
}

type Key = (Vec<Option<String>>, String);

/// `sources` gives the order and weight of each source name.
pub fn combine_frame(
    long: &DataFrame,
    keys: &[String],
    sources: &[(String, f64)],
    confidence: f64,
) -> Result<DataFrame, Error> {
    let z = z_for(confidence)?;
    let key_values = keys
        .iter()
        .map(|k| strings(long, k))
        .collect::<Result<Vec<_>, _>>()?;
    let dimension = strings(long, "dimension")?;
    let source = strings(long, "source")?;
    let (score, se, n) = (
        floats(long, "score")?,
        floats(long, "se")?,
        floats(long, "n")?,
    );
    let mut groups: BTreeMap<Key, Vec<(usize, SourceValue, f64)>> = BTreeMap::new();
    for row in 0..long.height() {
        let (Some(dim), Some(src), Some(s), Some(e)) =
            (&dimension[row], &source[row], score[row], se[row])
        else {
            continue;
        };
        let Some(order) = sources.iter().position(|(name, _)| name == src) else {
            continue;
        };
        let key = (
            key_values.iter().map(|k| k[row].clone()).collect(),
            dim.clone(),
        );
        groups.entry(key).or_default().push((
            order,
            SourceValue {
                source: src.clone(),
                score: s,
                se: e,
                weight: sources[order].1,
            },
            n[row].unwrap_or(f64::NAN),
        ));
    }
    let mut out = Output::new(keys.len(), sources.len());
    for ((key, dim), mut values) in groups {
        values.sort_by_key(|v| v.0);
        let plain: Vec<SourceValue> = values.iter().map(|v| v.1.clone()).collect();
        let Some(c) = combine(&plain, z) else {
            continue;
        };
        let mut per_source = vec![(None, None); sources.len()];
        for (order, v, n) in &values {
            per_source[*order] = (Some(v.score), n.is_finite().then_some(*n));
        }
        out.push(key, dim, c, per_source);
    }
    out.finish(keys, sources)
}

struct Output {
    keys: Vec<Vec<Option<String>>>,
    dimension: Vec<String>,
    score: Vec<f64>,
    se: Vec<f64>,
    low: Vec<f64>,
    high: Vec<f64>,
    sources: Vec<String>,
    flag: Vec<Option<String>>,
    /// Per source: its score and its n for each output row.
    per_source: Vec<SourceColumns>,
}

type SourceColumns = (Vec<Option<f64>>, Vec<Option<f64>>);

impl Output {
    fn new(keys: usize, sources: usize) -> Self {
        Output {
            keys: vec![Vec::new(); keys],
            dimension: Vec::new(),
            score: Vec::new(),
            se: Vec::new(),
            low: Vec::new(),
            high: Vec::new(),
            sources: Vec::new(),
            flag: Vec::new(),
            per_source: vec![(Vec::new(), Vec::new()); sources],
        }
    }

    fn push(
        &mut self,
        key: Vec<Option<String>>,
        dim: String,
        c: super::Combined,
        per_source: Vec<(Option<f64>, Option<f64>)>,
    ) {
        for (column, value) in self.keys.iter_mut().zip(key) {
            column.push(value);
        }
        self.dimension.push(dim);
        self.score.push(c.score);
        self.se.push(c.se);
        self.low.push(c.ci_low);
        self.high.push(c.ci_high);
        self.sources.push(c.sources.join("+"));
        self.flag
            .push((!c.disagreements.is_empty()).then(|| c.disagreements.join("; ")));
        for (slot, (s, n)) in self.per_source.iter_mut().zip(per_source) {
            slot.0.push(s);
            slot.1.push(n);
        }
    }

    fn finish(self, keys: &[String], sources: &[(String, f64)]) -> Result<DataFrame, Error> {
        let height = self.dimension.len();
        let mut columns: Vec<Column> = keys
            .iter()
            .zip(self.keys)
            .map(|(name, values)| Column::new(name.into(), values))
            .collect();
        columns.extend([
            Column::new("dimension".into(), self.dimension),
            Column::new("score".into(), self.score),
            Column::new("se".into(), self.se),
            Column::new("ci_low".into(), self.low),
            Column::new("ci_high".into(), self.high),
            Column::new("sources".into(), self.sources),
        ]);
        for ((name, _), (s, n)) in sources.iter().zip(self.per_source) {
            columns.push(Column::new(name.into(), s));
            columns.push(Column::new(format!("n_{name}").into(), n));
        }
        columns.push(Column::new("disagreement".into(), self.flag));
        Ok(DataFrame::new(height, columns)?)
    }
}
