//! Restating an earlier wave in a later wave's organisation, for trends across
//! reorganisations: renamed units take their new name, merged units are pooled from their
//! published cells (as `compare_waves` pools them), split units show the whole earlier unit
//! under each part. Everything comes from published cells, so nothing suppressed is revealed.

use super::compare::Cell;
use super::frame::{
    check_confidence, check_unit_map, counterpart, earlier_cell, floats, leaf_units, read_table,
    shared_keys, strings, table_convention, typed_unit_map, Published, RowKey,
};
use crate::choice::Choice;
use crate::error::Error;
use crate::estimate::stats::{t_critical, Convention};
use crate::publish::table::Table;
use polars::prelude::*;
use std::collections::{HashMap, HashSet};

/// Where a restated row's numbers come from.
enum Source {
    /// One earlier row, as published (same unit, renamed, or the whole unit of a split).
    Copy(usize),
    /// Several earlier units pooled (a merger).
    Pooled(Vec<usize>),
    /// A merger with a suppressed part: cannot be pooled from published cells, so blank
    /// (bare, as every blank).
    Blank,
}

struct Restated {
    level: u32,
    /// Row of the later table's keys, or (after them) of the earlier table's.
    key: usize,
    measure: String,
    kind: String,
    mapping: Option<String>,
    source: Source,
}

/// The columns of an estimate table that restating copies beyond those `Published` holds
/// (n, mean, SD, SE, headcount, suppressed), by row.
struct Values {
    n_respondents: Vec<Option<f64>>,
    ci_low: Vec<Option<f64>>,
    ci_high: Vec<Option<f64>>,
    pct: [Vec<Option<f64>>; 3],
    /// Percent positive's SE and interval (all empty for a table from before `estimate`
    /// published them).
    pct_spread: [Vec<Option<f64>>; 3],
    mapping: Option<Vec<Option<String>>>,
    convention: Convention,
}

impl Values {
    fn read(t: &DataFrame) -> Result<Self, Error> {
        let f = |c: &str| floats(t, c, "earlier");
        let optional = |c: &str| match t.column(c) {
            Ok(_) => f(c),
            Err(_) => Ok(vec![None; t.height()]),
        };
        Ok(Values {
            n_respondents: f("n_respondents")?,
            ci_low: f("ci_low")?,
            ci_high: f("ci_high")?,
            pct: [f("pct_positive")?, f("pct_neutral")?, f("pct_negative")?],
            pct_spread: [
                optional(PCT_SPREAD[0])?,
                optional(PCT_SPREAD[1])?,
                optional(PCT_SPREAD[2])?,
            ],
            convention: table_convention(t)?,
            mapping: t
                .column("mapping")
                .is_ok()
                .then(|| strings(t, "mapping", "earlier"))
                .transpose()?,
        })
    }
}

const PCT_SPREAD: [&str; 3] = [
    "pct_positive_se",
    "pct_positive_ci_low",
    "pct_positive_ci_high",
];

/// `earlier` in the organisation of `later` (an estimate table of the later wave, used only
/// for its units and their place in the hierarchy). With `strict`, every earlier unit the
/// map names must be in `earlier` (the wave just before the reorganisation); older waves may
/// lack some (a unit founded in between), and their rows are simply absent.
pub fn restate_frame(
    earlier: &DataFrame,
    later: &DataFrame,
    unit_map: &[(String, String)],
    confidence: f64,
    strict: bool,
) -> Result<DataFrame, Error> {
    check_confidence(confidence)?;
    let keys = shared_keys(earlier, later)?;
    let unit_map = typed_unit_map(unit_map, &keys)?;
    let leaf_level = keys.names.len() as u32;
    let earlier_list = read_table(earlier, &keys.earlier, "earlier")?;
    let later_rows = read_table(later, &keys.later, "later")?;
    check_unit_map(&unit_map, later_rows.iter(), leaf_level, "later", |p| &p.1)?;
    let known = leaf_units(earlier_list.iter(), leaf_level);
    if strict {
        check_unit_map(&unit_map, earlier_list.iter(), leaf_level, "earlier", |p| {
            &p.0
        })?;
    }
    // Entries whose earlier unit this wave does not have are left out (lenient waves).
    let map: Vec<(String, String)> = unit_map
        .into_iter()
        .filter(|(e, _)| known.contains(e.as_str()))
        .collect();
    let earlier_rows: HashMap<RowKey, Published> = earlier_list
        .iter()
        .map(|r| ((r.level, r.key.clone(), r.measure.clone()), r.clone()))
        .collect();
    let mut used = vec![false; earlier.height()];
    let mut out = Vec::new();
    for row in &later_rows {
        let Ok(found) = counterpart(row, &earlier_rows, leaf_level, &map) else {
            continue; // a unit (or measure) the earlier wave did not have
        };
        for r in &found.rows {
            used[r.row] = true;
        }
        out.push(Restated {
            level: row.level,
            key: row.row,
            measure: row.measure.clone(),
            kind: row.kind.clone(),
            source: source_of(&found.rows),
            mapping: found.mapping,
        });
    }
    // Units that ended (not in the later organisation, not mapped) keep their own rows.
    let mapped: HashSet<&str> = map.iter().map(|(e, _)| e.as_str()).collect();
    for r in &earlier_list {
        let is_mapped = r.level == leaf_level && r.unit_name().is_some_and(|n| mapped.contains(n));
        if !used[r.row] && !is_mapped {
            out.push(Restated {
                level: r.level,
                key: later.height() + r.row,
                measure: r.measure.clone(),
                kind: r.kind.clone(),
                mapping: None,
                source: Source::Copy(r.row),
            });
        }
    }
    // Later rows keep the later keys, ended units their earlier ones: one key frame.
    let all_keys = keys.later.vstack(&keys.earlier)?;
    to_frame(
        &out,
        &all_keys,
        &Values::read(earlier)?,
        &earlier_list,
        confidence,
    )
}

fn source_of(rows: &[&Published]) -> Source {
    if rows.len() == 1 {
        return Source::Copy(rows[0].row);
    }
    if rows.iter().any(|r| r.suppressed) {
        return Source::Blank;
    }
    Source::Pooled(rows.iter().map(|r| r.row).collect())
}

/// A pooled row: n, mean, SD, SE (with FPC when all headcounts are known) as `pool_cells`,
/// interval on the convention's degrees of freedom (n − 1, or the normal); item percentages
/// weighted by n (exact: an item's percentages are over its n answers); for dimensions and
/// the index, whose percentages are over answers to several items, they are left empty, and
/// so are the SE and interval of percent positive (not recoverable from published cells).
struct Pooled {
    cell: Cell,
    ci: (f64, f64),
    pct: [Option<f64>; 3],
    respondents: Option<f64>,
    headcount: Option<f64>,
}

fn pool(
    rows: &[usize],
    v: &Values,
    kind: &str,
    list: &[Published],
    confidence: f64,
) -> Option<Pooled> {
    let parts: Vec<&Published> = rows.iter().map(|&r| &list[r]).collect();
    let cell = earlier_cell(&parts, v.convention)?;
    let t = if cell.n > 1.0 {
        t_critical(confidence, v.convention.df(cell.n, false)).ok()?
    } else {
        f64::NAN
    };
    let pct = std::array::from_fn(|k| {
        (kind == "item")
            .then(|| {
                rows.iter()
                    .map(|&r| Some(v.pct[k][r]? * list[r].n?))
                    .sum::<Option<f64>>()
                    .map(|s| s / cell.n)
            })
            .flatten()
    });
    Some(Pooled {
        cell,
        ci: (cell.mean - t * cell.se, cell.mean + t * cell.se),
        pct,
        respondents: rows.iter().map(|&r| v.n_respondents[r]).sum(),
        headcount: parts.iter().map(|p| p.headcount).sum(),
    })
}

/// A restated row with its pooled numbers (for a merger).
struct Row<'a> {
    out: &'a Restated,
    pooled: Option<Pooled>,
}

impl Row<'_> {
    /// A number copied from its earlier row or taken from the pooled cell.
    fn value(
        &self,
        copied: impl Fn(usize) -> Option<f64>,
        pooled: impl Fn(&Pooled) -> Option<f64>,
    ) -> Option<f64> {
        match (&self.out.source, &self.pooled) {
            (Source::Copy(r), _) => copied(*r),
            (Source::Pooled(_), Some(p)) => pooled(p),
            _ => None,
        }
    }
}

/// The restated table, in the estimate table's columns and dtypes (and `mapping`).
fn to_frame(
    out: &[Restated],
    keys: &DataFrame,
    v: &Values,
    list: &[Published],
    confidence: f64,
) -> Result<DataFrame, Error> {
    // `list` is in row order (read_table), so list[r].row == r.
    let rows: Vec<Row> = out
        .iter()
        .map(|o| Row {
            out: o,
            pooled: match &o.source {
                Source::Pooled(rows) => pool(rows, v, &o.kind, list, confidence),
                _ => None,
            },
        })
        .collect();
    let count = |x: Option<f64>| x.map(|x| x.round() as u64);
    let mut table = Table::new(&rows)
        .level(|r| r.out.level)
        .keys(keys, |r| Some(r.out.key))?
        .text("measure", |r| Some(r.out.measure.as_str()))
        .text("kind", |r| Some(r.out.kind.as_str()))
        .count("n_respondents", |r| {
            count(r.value(|i| v.n_respondents[i], |p| p.respondents))
        })
        .count("n", |r| count(r.value(|i| list[i].n, |p| Some(p.cell.n))))
        .float("mean", |r| r.value(|i| list[i].mean, |p| Some(p.cell.mean)))
        .float("sd", |r| r.value(|i| list[i].sd, |p| Some(p.cell.sd)))
        .float("se", |r| r.value(|i| list[i].se, |p| Some(p.cell.se)))
        .float("ci_low", |r| r.value(|i| v.ci_low[i], |p| Some(p.ci.0)))
        .float("ci_high", |r| r.value(|i| v.ci_high[i], |p| Some(p.ci.1)));
    for (k, name) in ["pct_positive", "pct_neutral", "pct_negative"]
        .iter()
        .enumerate()
    {
        table = table.float(name, |r| r.value(|i| v.pct[k][i], |p| p.pct[k]));
    }
    for (k, name) in PCT_SPREAD.iter().enumerate() {
        table = table.float(name, |r| r.value(|i| v.pct_spread[k][i], |_| None));
    }
    let headcount = Int64Chunked::from_iter_options(
        "headcount".into(),
        rows.iter()
            .map(|r| r.value(|i| list[i].headcount, |p| p.headcount))
            .map(|h| h.map(|h| h.round() as i64)),
    );
    table
        .column(headcount.into_column())
        .suppressed(|r| match &r.out.source {
            Source::Copy(i) => list[*i].suppressed,
            Source::Pooled(_) => false,
            Source::Blank => true,
        })
        .owned_text("mapping", |r| chain_mapping(r.out, v))
        .column(Column::new_scalar(
            "convention".into(),
            Scalar::new(
                DataType::String,
                AnyValue::StringOwned(v.convention.as_str().into()),
            ),
            rows.len(),
        ))
        .finish()
}

/// This step's mapping after what earlier restating steps already did to the row.
fn chain_mapping(o: &Restated, v: &Values) -> Option<String> {
    let before = match (&o.source, &v.mapping) {
        (Source::Copy(r), Some(m)) => m[*r].clone(),
        _ => None,
    };
    match (before, &o.mapping) {
        (Some(a), Some(b)) => Some(format!("{a}; then {b}")),
        (a, b) => a.or_else(|| b.clone()),
    }
}
