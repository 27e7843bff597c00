//! The polars edge of combining sources: a long table (keys…, dimension, source, score, se,
//! n) in, one row per unit and dimension out.

use super::{combine, z_for, SourceValue};
use crate::error::{Error, EstimateError};
use crate::publish::groups::group_rows;
use crate::publish::table::Table;
use polars::prelude::*;

fn column<'a>(df: &'a DataFrame, name: &str) -> Result<&'a Column, Error> {
    Ok(df.column(name).map_err(|_| EstimateError::Parameter {
        parameter: name.into(),
        message: "column missing from the combined sources".into(),
    })?)
}

fn strings(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>, Error> {
    let col = column(df, name)?.cast(&DataType::String)?;
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

/// `sources` gives the order and weight of each source name. Units are grouped as every
/// output groups them ([`group_rows`] on the unit columns and the dimension).
pub fn combine_frame(
    long: &DataFrame,
    keys: &[String],
    sources: &[(String, f64)],
    confidence: f64,
) -> Result<DataFrame, Error> {
    let z = z_for(confidence)?;
    for name in keys.iter().map(String::as_str).chain(["dimension"]) {
        column(long, name)?;
    }
    let mut by = keys.to_vec();
    by.push("dimension".into());
    let groups = group_rows(long, &by)?;
    let dimension = strings(long, "dimension")?;
    let source = strings(long, "source")?;
    let (score, se, n) = (
        floats(long, "score")?,
        floats(long, "se")?,
        floats(long, "n")?,
    );
    let mut values: Vec<Vec<(usize, SourceValue, f64)>> = vec![Vec::new(); groups.len()];
    for row in 0..long.height() {
        let (Some(_), Some(src), Some(s), Some(e)) =
            (&dimension[row], &source[row], score[row], se[row])
        else {
            continue;
        };
        let Some(order) = sources.iter().position(|(name, _)| name == src) else {
            continue;
        };
        values[groups.group_of_row[row] as usize].push((
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
    let mut rows = Vec::new();
    for (group, mut values) in values.into_iter().enumerate() {
        values.sort_by_key(|v| v.0);
        let plain: Vec<SourceValue> = values.iter().map(|v| v.1.clone()).collect();
        let Some(combined) = combine(&plain, z) else {
            continue;
        };
        let mut per_source = vec![(None, None); sources.len()];
        for (order, v, n) in &values {
            per_source[*order] = (Some(v.score), n.is_finite().then_some(*n));
        }
        rows.push(CombinedRow {
            group,
            combined,
            per_source,
        });
    }
    combined_table(&rows, &groups.keys, sources)
}

/// One unit and dimension: the combined score and each source's score and n.
struct CombinedRow {
    /// Its row of the key frame (the unit columns and the dimension).
    group: usize,
    combined: super::Combined,
    per_source: Vec<(Option<f64>, Option<f64>)>,
}

fn combined_table(
    rows: &[CombinedRow],
    keys: &DataFrame,
    sources: &[(String, f64)],
) -> Result<DataFrame, Error> {
    fn c(r: &CombinedRow) -> &super::Combined {
        &r.combined
    }
    let mut table = Table::new(rows)
        .keys(keys, |r| Some(r.group))?
        .float("score", |r| Some(c(r).score))
        .float("se", |r| Some(c(r).se))
        .float("ci_low", |r| Some(c(r).ci_low))
        .float("ci_high", |r| Some(c(r).ci_high))
        .owned_text("sources", |r| Some(c(r).sources.join("+")));
    for (k, (name, _)) in sources.iter().enumerate() {
        table = table
            .float(name, |r| r.per_source[k].0)
            .count(&format!("n_{name}"), |r| {
                r.per_source[k].1.map(|n| n as u64)
            });
    }
    table
        .owned_text("disagreement", |r| {
            let d = &c(r).disagreements;
            (!d.is_empty()).then(|| d.join("; "))
        })
        .finish()
}
