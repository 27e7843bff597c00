//! The polars edge of wave comparison: two `estimate` tables in, one change table out.

use super::compare::{mean_change, pool_cells, share_change, Adjust, Cell, Change, Share};
use crate::choice::Choice;
use crate::error::{Error, FollowupError};
use crate::estimate::stats::Convention;
use crate::publish::groups::{align_keys, key_texts, key_value_text};
use crate::publish::table::Table;
use polars::prelude::*;
use std::collections::{HashMap, HashSet};

pub struct CompareOptions {
    /// Leaf units that changed name or shape: (earlier enhet, later enhet) pairs.
    pub unit_map: Vec<(String, String)>,
    pub adjust: Adjust,
    pub confidence: f64,
}

/// One row of an estimate table, as far as a comparison needs it.
#[derive(Debug, Clone)]
pub(super) struct Published {
    /// Row number in its table.
    pub row: usize,
    pub level: u32,
    pub key: Vec<Option<String>>,
    pub measure: String,
    pub kind: String,
    pub n: Option<f64>,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub se: Option<f64>,
    pub pct_positive: Option<f64>,
    /// Absent from tables made before `estimate` published it.
    pub pct_positive_se: Option<f64>,
    pub headcount: Option<f64>,
    pub suppressed: bool,
}

impl Published {
    /// The name in the last grouping column (the leaf unit on leaf rows; null above).
    pub fn unit_name(&self) -> Option<&str> {
        self.key.last()?.as_deref()
    }
}

/// The names of the leaf units among `rows`.
pub(super) fn leaf_units<'a>(
    rows: impl Iterator<Item = &'a Published>,
    leaf_level: u32,
) -> HashSet<&'a str> {
    rows.filter(|r| r.level == leaf_level)
        .filter_map(Published::unit_name)
        .collect()
}

/// The grouping columns of an estimate table: those between `level` and `measure`.
pub(super) fn key_columns(table: &DataFrame, which: &str) -> Result<Vec<String>, Error> {
    let names: Vec<String> = table
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let pos = |c: &str| names.iter().position(|n| n == c);
    match (pos("level"), pos("measure")) {
        (Some(a), Some(b)) if a < b => Ok(names[a + 1..b].to_vec()),
        _ => Err(FollowupError::NotAnEstimateTable {
            which: which.into(),
            missing: "level … measure".into(),
        }
        .into()),
    }
}

pub(super) fn floats(
    table: &DataFrame,
    name: &str,
    which: &str,
) -> Result<Vec<Option<f64>>, Error> {
    let col = table
        .column(name)
        .map_err(|_| FollowupError::NotAnEstimateTable {
            which: which.into(),
            missing: name.into(),
        })?;
    let cast = col.cast(&DataType::Float64)?;
    Ok(cast.f64()?.iter().collect())
}

pub(super) fn strings(
    table: &DataFrame,
    name: &str,
    which: &str,
) -> Result<Vec<Option<String>>, Error> {
    let col = table
        .column(name)
        .map_err(|_| FollowupError::NotAnEstimateTable {
            which: which.into(),
            missing: name.into(),
        })?;
    let cast = col.cast(&DataType::String)?;
    Ok(cast.str()?.iter().map(|s| s.map(str::to_string)).collect())
}

pub(super) fn read_table(
    table: &DataFrame,
    keys: &DataFrame,
    which: &str,
) -> Result<Vec<Published>, Error> {
    let level = floats(table, "level", which)?;
    let key_values = key_texts(keys)?;
    let measure = strings(table, "measure", which)?;
    let kind = strings(table, "kind", which)?;
    let num = |c: &str| floats(table, c, which);
    let (n, mean, sd, se) = (num("n")?, num("mean")?, num("sd")?, num("se")?);
    let (pct, headcount) = (num("pct_positive")?, num("headcount")?);
    let pct_se = match table.column("pct_positive_se") {
        Ok(_) => num("pct_positive_se")?,
        Err(_) => vec![None; table.height()],
    };
    let suppressed = floats(table, "suppressed", which)?;
    Ok((0..table.height())
        .map(|r| Published {
            row: r,
            level: level[r].unwrap_or(0.0) as u32,
            key: key_values[r].clone(),
            measure: measure[r].clone().unwrap_or_default(),
            kind: kind[r].clone().unwrap_or_default(),
            n: n[r],
            mean: mean[r],
            sd: sd[r],
            se: se[r],
            pct_positive: pct[r],
            pct_positive_se: pct_se[r],
            headcount: headcount[r],
            suppressed: suppressed[r].unwrap_or(0.0) != 0.0,
        })
        .collect())
}

pub(super) type RowKey = (u32, Vec<Option<String>>, String);

/// The earlier rows a later row is compared with, and how they were found.
pub(super) struct Counterpart<'a> {
    pub rows: Vec<&'a Published>,
    pub mapping: Option<String>,
}

pub(super) fn counterpart<'a>(
    later: &Published,
    earlier: &'a HashMap<RowKey, Published>,
    leaf_level: u32,
    map: &[(String, String)],
) -> Result<Counterpart<'a>, String> {
    let sources: Vec<&String> = match (later.unit_name(), later.level == leaf_level) {
        (Some(name), true) => map
            .iter()
            .filter(|(_, l)| l == name)
            .map(|(e, _)| e)
            .collect(),
        _ => Vec::new(),
    };
    if sources.is_empty() {
        let key = (later.level, later.key.clone(), later.measure.clone());
        return match earlier.get(&key) {
            Some(row) => Ok(Counterpart {
                rows: vec![row],
                mapping: None,
            }),
            None => Err("not in the earlier wave".into()),
        };
    }
    let mut rows = Vec::new();
    for name in &sources {
        let found = earlier.values().find(|row| {
            row.level == leaf_level
                && row.measure == later.measure
                && row.unit_name() == Some(name.as_str())
        });
        match found {
            Some(row) => rows.push(row),
            None => {
                return Err(format!(
                    "unit_map names earlier unit `{name}`, which is not in the earlier table"
                ))
            }
        }
    }
    let split = map.iter().filter(|(e, _)| sources.contains(&e)).count() > sources.len();
    let names: Vec<&str> = sources.iter().map(|s| s.as_str()).collect();
    let mapping = match (names.len(), split) {
        (1, true) => format!(
            "split from {} (compared with the whole earlier unit)",
            names[0]
        ),
        (1, false) => format!("renamed from {}", names[0]),
        _ => format!("merged from {}", names.join(" + ")),
    };
    Ok(Counterpart {
        rows,
        mapping: Some(mapping),
    })
}

pub(super) fn cell_of(row: &Published) -> Option<Cell> {
    Some(Cell {
        n: row.n?,
        mean: row.mean?,
        sd: row.sd.unwrap_or(0.0),
        se: row.se.unwrap_or(0.0),
    })
}

/// The earlier cell a later one is set against: one unit as published, several (a merger)
/// pooled; `None` when a unit has no published mean.
pub(super) fn earlier_cell(rows: &[&Published], convention: Convention) -> Option<Cell> {
    let cells: Vec<(Cell, Option<f64>)> = rows
        .iter()
        .map(|r| Some((cell_of(r)?, r.headcount)))
        .collect::<Option<_>>()?;
    Some(if cells.len() == 1 {
        cells[0].0
    } else {
        pool_cells(&cells, convention)
    })
}

/// One compared (or not comparable) row of the output.
struct Outcome {
    later: Published,
    earlier: Option<Cell>,
    earlier_pct: Option<f64>,
    mapping: Option<String>,
    mean: Option<Change>,
    share: Option<Change>,
    status: Option<String>,
}

fn compare_row(
    later: Published,
    found: Result<Counterpart, String>,
    confidence: f64,
    convention: Convention,
) -> Outcome {
    let mut out = Outcome {
        later,
        earlier: None,
        earlier_pct: None,
        mapping: None,
        mean: None,
        share: None,
        status: None,
    };
    let found = match found {
        Ok(f) => f,
        Err(reason) => {
            out.status = Some(reason);
            return out;
        }
    };
    out.mapping = found.mapping;
    if out.later.suppressed {
        out.status = Some("suppressed in the later wave".into());
        return out;
    }
    if found.rows.iter().any(|r| r.suppressed) {
        out.status = Some("suppressed in the earlier wave".into());
        return out;
    }
    let (Some(earlier), Some(later_cell)) =
        (earlier_cell(&found.rows, convention), cell_of(&out.later))
    else {
        out.status = Some("no mean in one of the waves".into());
        return out;
    };
    out.earlier = Some(earlier);
    out.mean = Some(mean_change(&earlier, &later_cell, confidence));
    // A dimension's or the index's share pools several answers per respondent: its test
    // needs the published standard errors; an item's has the formula to fall back on.
    let e = found.rows[0];
    let testable = out.later.kind == "item"
        || (e.pct_positive_se.is_some() && out.later.pct_positive_se.is_some());
    if testable && found.rows.len() == 1 {
        if let (Some(p1), Some(p2)) = (e.pct_positive, out.later.pct_positive) {
            out.earlier_pct = Some(p1);
            let share = |p: f64, c: &Cell, row: &Published| Share {
                p: p / 100.0,
                n: c.n,
                population: row.headcount,
                se: row.pct_positive_se.map(|se| se / 100.0),
            };
            out.share = Some(share_change(
                &share(p1, &earlier, e),
                &share(p2, &later_cell, &out.later),
                confidence,
                convention,
            ));
        }
    }
    out
}

/// Adjusts the p-values of each family (level, measure) across the units compared.
fn adjust_family(
    outcomes: &[Outcome],
    pick: fn(&Outcome) -> Option<f64>,
    adjust: Adjust,
) -> Vec<Option<f64>> {
    let mut families: HashMap<(u32, &str), Vec<usize>> = HashMap::new();
    for (i, o) in outcomes.iter().enumerate() {
        if pick(o).is_some() {
            families
                .entry((o.later.level, o.later.measure.as_str()))
                .or_default()
                .push(i);
        }
    }
    let mut adjusted = vec![None; outcomes.len()];
    for members in families.values() {
        let p: Vec<f64> = members
            .iter()
            .map(|&i| pick(&outcomes[i]).unwrap_or(1.0))
            .collect();
        for (&i, q) in members.iter().zip(adjust.apply(&p)) {
            adjusted[i] = Some(q);
        }
    }
    adjusted
}

/// The grouping columns both waves' tables share (an error when they are grouped
/// differently) and each table's key frame, cast to one dtype per column so groups match
/// on typed keys.
pub(super) struct SharedKeys {
    pub names: Vec<String>,
    pub earlier: DataFrame,
    pub later: DataFrame,
}

pub(super) fn shared_keys(earlier: &DataFrame, later: &DataFrame) -> Result<SharedKeys, Error> {
    let names = key_columns(later, "later")?;
    let earlier_names = key_columns(earlier, "earlier")?;
    if names != earlier_names {
        return Err(FollowupError::DifferentGrouping {
            earlier: earlier_names.join(", "),
            later: names.join(", "),
        }
        .into());
    }
    let (earlier, later) = align_keys((earlier, "earlier"), (later, "later"), &names)?;
    Ok(SharedKeys {
        names,
        earlier,
        later,
    })
}

/// The unit map with each unit written as the leaf key column writes its values, so a map
/// given as text ("9", "09") matches an integer unit code 9; text that is no value of the
/// column's dtype is an error naming the column.
pub(super) fn typed_unit_map(
    map: &[(String, String)],
    keys: &SharedKeys,
) -> Result<Vec<(String, String)>, Error> {
    let Some(leaf) = keys.later.columns().last() else {
        return Ok(map.to_vec());
    };
    let text = |v: &str| key_value_text(v, leaf, "unit_map");
    map.iter().map(|(e, l)| Ok((text(e)?, text(l)?))).collect()
}

/// Compares two `estimate` tables: every row of `later` with its counterpart in `earlier`.
pub fn compare_frames(
    earlier: &DataFrame,
    later: &DataFrame,
    opts: &CompareOptions,
) -> Result<DataFrame, Error> {
    check_confidence(opts.confidence)?;
    let convention = shared_convention(earlier, later)?;
    let keys = shared_keys(earlier, later)?;
    let unit_map = typed_unit_map(&opts.unit_map, &keys)?;
    let earlier_rows: HashMap<RowKey, Published> = read_table(earlier, &keys.earlier, "earlier")?
        .into_iter()
        .map(|r| ((r.level, r.key.clone(), r.measure.clone()), r))
        .collect();
    let leaf_level = keys.names.len() as u32;
    check_unit_map(
        &unit_map,
        earlier_rows.values(),
        leaf_level,
        "earlier",
        |p| &p.0,
    )?;
    let later_rows = read_table(later, &keys.later, "later")?;
    check_unit_map(&unit_map, later_rows.iter(), leaf_level, "later", |p| &p.1)?;
    let outcomes: Vec<Outcome> = later_rows
        .into_iter()
        .map(|row| {
            let found = counterpart(&row, &earlier_rows, leaf_level, &unit_map);
            compare_row(row, found, opts.confidence, convention)
        })
        .collect();
    let p_mean = adjust_family(&outcomes, |o| o.mean.as_ref()?.p_value, opts.adjust);
    let p_share = adjust_family(&outcomes, |o| o.share.as_ref()?.p_value, opts.adjust);
    let rows: Vec<Compared> = outcomes
        .into_iter()
        .zip(p_mean.into_iter().zip(p_share))
        .map(|(outcome, (p_mean, p_share))| Compared {
            outcome,
            p_mean,
            p_share,
        })
        .collect();
    to_frame(&rows, &keys.later, opts.confidence)
}

/// The convention both tables were estimated with (`Survey` for a table from before
/// `estimate` recorded it).
fn shared_convention(earlier: &DataFrame, later: &DataFrame) -> Result<Convention, Error> {
    let (a, b) = (table_convention(earlier)?, table_convention(later)?);
    if a != b {
        return Err(FollowupError::Parameter {
            parameter: "later".into(),
            message: format!(
                "the earlier table was estimated with convention=\"{}\" and the later with \"{}\"; estimate both waves with the same convention",
                a.as_str(),
                b.as_str()
            ),
        }
        .into());
    }
    Ok(a)
}

/// The convention an estimate table was made with (`Survey` for a table from before
/// `estimate` recorded it).
pub(super) fn table_convention(table: &DataFrame) -> Result<Convention, Error> {
    let Ok(column) = table.column("convention") else {
        return Ok(Convention::Survey);
    };
    let text = column.cast(&DataType::String)?;
    let first = text.str()?.iter().flatten().next().map(str::to_string);
    match first {
        Some(name) => Ok(name.parse::<Convention>()?),
        None => Ok(Convention::Survey),
    }
}

/// Every unit the map names must exist at the leaf level of its wave.
pub(super) fn check_unit_map<'a>(
    map: &[(String, String)],
    rows: impl Iterator<Item = &'a Published>,
    leaf_level: u32,
    wave: &str,
    side: fn(&(String, String)) -> &String,
) -> Result<(), Error> {
    let known = leaf_units(rows, leaf_level);
    match map
        .iter()
        .map(side)
        .find(|name| !known.contains(name.as_str()))
    {
        Some(name) => Err(FollowupError::UnknownUnit {
            wave: wave.into(),
            unit: name.clone(),
        }
        .into()),
        None => Ok(()),
    }
}

pub(super) fn check_confidence(confidence: f64) -> Result<(), Error> {
    if confidence > 0.0 && confidence < 1.0 {
        Ok(())
    } else {
        Err(FollowupError::Parameter {
            parameter: "confidence".into(),
            message: format!("must be between 0 and 1 (e.g. 0.95), got {confidence}"),
        }
        .into())
    }
}

/// An outcome with its p-values adjusted across its family.
struct Compared {
    outcome: Outcome,
    p_mean: Option<f64>,
    p_share: Option<f64>,
}

impl Compared {
    fn mean(&self) -> Option<&Change> {
        self.outcome.mean.as_ref()
    }

    fn share(&self) -> Option<&Change> {
        self.outcome.share.as_ref()
    }
}

/// The change table; keys are the later table's, in their dtype.
fn to_frame(rows: &[Compared], keys: &DataFrame, confidence: f64) -> Result<DataFrame, Error> {
    let alpha = 1.0 - confidence;
    let earlier = |r: &Compared| r.outcome.earlier;
    fn later(r: &Compared) -> &Published {
        &r.outcome.later
    }
    Table::new(rows)
        .level(|r| later(r).level)
        .keys(keys, |r| Some(later(r).row))?
        .text("measure", |r| Some(later(r).measure.as_str()))
        .text("kind", |r| Some(later(r).kind.as_str()))
        .text("mapping", |r| r.outcome.mapping.as_deref())
        .count("n_earlier", |r| earlier(r).map(|c| c.n.round() as u64))
        .float("mean_earlier", |r| earlier(r).map(|c| c.mean))
        .count("n_later", |r| {
            earlier(r).and(later(r).n).map(|n| n.round() as u64)
        })
        .float("mean_later", |r| earlier(r).and(later(r).mean))
        .float("change", |r| Some(r.mean()?.change))
        .float("se", |r| r.mean()?.se)
        .float("df", |r| r.mean()?.df)
        .float("ci_low", |r| r.mean()?.ci_low)
        .float("ci_high", |r| r.mean()?.ci_high)
        .float("t", |r| r.mean()?.statistic)
        .float("p_value", |r| r.mean()?.p_value)
        .float("p_adjusted", |r| r.p_mean)
        .float("effect_size", |r| r.mean()?.effect_size)
        .float("pct_positive_earlier", |r| {
            r.share().and(r.outcome.earlier_pct)
        })
        .float("pct_positive_later", |r| {
            r.share().and(later(r).pct_positive)
        })
        .float("pct_change", |r| Some(r.share()?.change * 100.0))
        .float("pct_ci_low", |r| Some(r.share()?.ci_low? * 100.0))
        .float("pct_ci_high", |r| Some(r.share()?.ci_high? * 100.0))
        .float("pct_z", |r| r.share()?.statistic)
        .float("pct_p_value", |r| r.share()?.p_value)
        .float("pct_p_adjusted", |r| r.p_share)
        .float("pct_effect_size", |r| r.share()?.effect_size)
        .flag("significant", |r| r.p_mean.map(|p| p < alpha))
        .owned_text("status", |r| {
            r.outcome
                .status
                .clone()
                .or_else(|| r.mean().and_then(|m| m.note.clone()))
        })
        .finish()
}
