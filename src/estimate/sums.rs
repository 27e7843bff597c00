//! Sums as a table: the sufficient statistics of every measure per leaf group, unsuppressed,
//! so estimates can be stored, merged (other rows, other files, other years' stores) and
//! published later, at any coarser grouping, without the raw answers.
//!
//! One row per (leaf group, measure): `instrument`, the grouping columns, `measure`, `kind`
//! and `SUM_COLUMNS`. Every column but the keys adds up, so merging is a grouped sum.
//! These tables hold unsuppressed counts of small groups: they are as private as the answers.

use super::frame::{estimate_table, leaf_sums, EstimateOptions, LeafSums};
use super::stats::{Moments, Shares};
use super::{instrument_measures, GroupStats};
use crate::error::{Error, EstimateError};
use crate::instrument::Instrument;
use crate::publish::groups::{describe_node, group_rows};
use crate::publish::publication::{Publication, Source};
use polars::prelude::*;
use std::collections::HashMap;

/// The additive columns, in order: respondents of the group, then the measure's weighted
/// moments (`n`, Σw, Σwy, Σwy², Σw², Σw²y, Σw²y²) and answer counts (answers, Σw over
/// answers, Σw over positive answers, Σw over neutral answers), then what the standard
/// error of percent positive needs: respondents who answered, Σw²b², Σw²ab, Σw²a² over
/// them (`a` a respondent's answers, `b` the positive ones; see `Shares`).
pub const SUM_COLUMNS: [&str; 16] = [
    "n_respondents",
    "n",
    "sum_w",
    "sum_wy",
    "sum_wy2",
    "sum_w2",
    "sum_w2y",
    "sum_w2y2",
    "answers",
    "sum_w_answers",
    "sum_w_positive",
    "sum_w_neutral",
    "n_answering",
    "sum_w2_pos2",
    "sum_w2_pos_ans",
    "sum_w2_ans2",
];
const COUNT_COLUMNS: [&str; 4] = ["n_respondents", "n", "answers", "n_answering"];

fn bad(message: String) -> Error {
    EstimateError::Sums { message }.into()
}

/// Sums of `df` per leaf group of `by`, as a table (see the module docs).
pub fn sums_frame(
    df: &DataFrame,
    inst: &Instrument,
    by: &[String],
    weights: Option<&str>,
) -> Result<DataFrame, Error> {
    to_sums_table(&leaf_sums(df, inst, by, weights)?, &inst.id)
}

fn to_sums_table(leaves: &LeafSums, instrument: &str) -> Result<DataFrame, Error> {
    let stats = &leaves.stats;
    let m = stats.measures.len();
    let cells = stats.groups() * m;
    let leaf_idx = IdxCa::from_vec(
        "leaf".into(),
        (0..cells).map(|c| (c / m) as IdxSize).collect(),
    );
    let keys = leaves.keys.take(&leaf_idx)?;
    let u = |name: &str, get: &dyn Fn(usize) -> u64| {
        UInt64Chunked::from_iter_values(name.into(), (0..cells).map(get)).into_column()
    };
    let f = |name: &str, get: &dyn Fn(&Moments, &Shares) -> f64| {
        Float64Chunked::from_iter_values(
            name.into(),
            (0..cells).map(|c| get(&stats.moments[c], &stats.shares[c])),
        )
        .into_column()
    };
    let mut cols = vec![Column::new_scalar(
        "instrument".into(),
        Scalar::new(DataType::String, AnyValue::StringOwned(instrument.into())),
        cells,
    )];
    cols.extend(keys.columns().iter().cloned());
    cols.push(
        StringChunked::from_iter_values(
            "measure".into(),
            (0..cells).map(|c| stats.measures[c % m].0.as_str()),
        )
        .into_column(),
    );
    cols.push(
        StringChunked::from_iter_values(
            "kind".into(),
            (0..cells).map(|c| stats.measures[c % m].1.as_str()),
        )
        .into_column(),
    );
    cols.push(u("n_respondents", &|c| stats.respondents[c / m]));
    cols.push(u("n", &|c| stats.moments[c].n));
    cols.push(f("sum_w", &|mo, _| mo.sw));
    cols.push(f("sum_wy", &|mo, _| mo.swy));
    cols.push(f("sum_wy2", &|mo, _| mo.swy2));
    cols.push(f("sum_w2", &|mo, _| mo.sw2));
    cols.push(f("sum_w2y", &|mo, _| mo.sw2y));
    cols.push(f("sum_w2y2", &|mo, _| mo.sw2y2));
    cols.push(u("answers", &|c| stats.shares[c].answers));
    cols.push(f("sum_w_answers", &|_, s| s.w_total));
    cols.push(f("sum_w_positive", &|_, s| s.w_positive));
    cols.push(f("sum_w_neutral", &|_, s| s.w_neutral));
    cols.push(u("n_answering", &|c| stats.shares[c].answering));
    cols.push(f("sum_w2_pos2", &|_, s| s.w2_pos2));
    cols.push(f("sum_w2_pos_ans", &|_, s| s.w2_pos_ans));
    cols.push(f("sum_w2_ans2", &|_, s| s.w2_ans2));
    Ok(DataFrame::new(cells, cols)?)
}

/// The grouping columns of a sums table: everything between `instrument` and `measure`.
pub fn key_columns(sums: &DataFrame) -> Result<Vec<String>, Error> {
    let names: Vec<String> = sums
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let missing: Vec<&str> = ["instrument", "measure", "kind"]
        .into_iter()
        .chain(SUM_COLUMNS)
        .filter(|c| !names.iter().any(|n| n == c))
        .collect();
    if !missing.is_empty() {
        return Err(bad(format!(
            "not a sums table (from `lyhord.summarise`): missing columns {}",
            missing.join(", ")
        )));
    }
    let skip = |n: &String| {
        n == "instrument" || n == "measure" || n == "kind" || SUM_COLUMNS.contains(&n.as_str())
    };
    Ok(names.into_iter().filter(|n| !skip(n)).collect())
}

/// Adds up sums tables that were concatenated (other rows, files or parts of an
/// organisation): one row per (instrument, group, measure), sorted by group.
pub fn merge_sums(sums: &DataFrame) -> Result<DataFrame, Error> {
    let keys = key_columns(sums)?;
    let sort_keys: Vec<&str> = std::iter::once("instrument")
        .chain(keys.iter().map(String::as_str))
        .collect();
    let group: Vec<&str> = sort_keys
        .iter()
        .copied()
        .chain(["measure", "kind"])
        .collect();
    let sort = SortMultipleOptions::default()
        .with_nulls_last(true)
        .with_maintain_order(true);
    Ok(add_up(sums, &group)?.sort(sort_keys, sort).collect()?)
}

/// The checked sum columns added up per `group` (a grouped sum: the one merge operation).
fn add_up(sums: &DataFrame, group: &[&str]) -> Result<LazyFrame, Error> {
    Ok(typed(sums)?
        .lazy()
        .group_by_stable(group.iter().map(|c| col(*c)).collect::<Vec<_>>())
        .agg(
            SUM_COLUMNS
                .iter()
                .map(|c| col(*c).sum())
                .collect::<Vec<_>>(),
        ))
}

/// The sum columns cast to their types; a null or negative count is refused.
fn typed(sums: &DataFrame) -> Result<DataFrame, Error> {
    let mut out = sums.clone();
    for c in SUM_COLUMNS {
        let target = if COUNT_COLUMNS.contains(&c) {
            DataType::UInt64
        } else {
            DataType::Float64
        };
        let column = sums.column(c).map_err(|_| {
            bad(format!(
                "column `{c}` is missing; a sums table needs every column `summarise` writes (one made by an older lyhord lacks the percent-positive variance sums: summarise those answers again)"
            ))
        })?;
        let cast = column.strict_cast(&target).map_err(|_| {
            bad(format!(
                "column `{c}` must hold {} sums, found {}",
                if target == DataType::UInt64 {
                    "non-negative whole-number"
                } else {
                    "numeric"
                },
                column.dtype()
            ))
        })?;
        if let Some(row) = first_null(&cast) {
            return Err(bad(format!("column `{c}`, row {}: empty", row + 1)));
        }
        out.with_column(cast)?;
    }
    Ok(out)
}

fn first_null(c: &Column) -> Option<usize> {
    if c.null_count() == 0 {
        return None;
    }
    c.is_null().iter().position(|v| v == Some(true))
}

/// Reads a sums table back into leaf sums over `by` (other key columns are added up).
pub fn leaf_sums_of(sums: &DataFrame, inst: &Instrument, by: &[String]) -> Result<LeafSums, Error> {
    let keys = key_columns(sums)?;
    if let Some(missing) = by.iter().find(|b| !keys.contains(b)) {
        return Err(bad(format!(
            "`by` column `{missing}` is not a grouping column of the sums (they have {}); summarise the answers by it",
            if keys.is_empty() { "none".to_string() } else { keys.join(", ") }
        )));
    }
    check_instrument(sums, &inst.id)?;
    let group: Vec<&str> = by.iter().map(String::as_str).chain(["measure"]).collect();
    let per_cell = add_up(sums, &group)?.collect()?;
    let leaves = group_rows(&per_cell, by)?;
    let stats = fill_stats(&per_cell, inst, &leaves.keys, &leaves.group_of_row)?;
    Ok(LeafSums {
        keys: leaves.keys,
        stats,
    })
}

fn check_instrument(sums: &DataFrame, id: &str) -> Result<(), Error> {
    let ids = sums
        .column("instrument")?
        .as_materialized_series()
        .unique()?;
    for v in ids.str()?.iter() {
        if v != Some(id) {
            return Err(bad(format!(
                "the sums were made with instrument `{}`, not `{id}`; estimate them with the instrument they were summarised with",
                v.unwrap_or("(empty)")
            )));
        }
    }
    Ok(())
}

fn u64s(df: &DataFrame, name: &str) -> Result<Vec<u64>, Error> {
    Ok(df.column(name)?.u64()?.into_no_null_iter().collect())
}

fn f64s(df: &DataFrame, name: &str) -> Result<Vec<f64>, Error> {
    Ok(df.column(name)?.f64()?.into_no_null_iter().collect())
}

/// Places each (group, measure) row of `cells` into a `GroupStats` over the leaves.
fn fill_stats(
    cells: &DataFrame,
    inst: &Instrument,
    leaf_keys: &DataFrame,
    leaf_of_row: &[u32],
) -> Result<GroupStats, Error> {
    let measures = instrument_measures(inst);
    let position: HashMap<&str, usize> = measures
        .iter()
        .enumerate()
        .map(|(j, (id, _))| (id.as_str(), j))
        .collect();
    let m = measures.len();
    let n_leaves = leaf_keys.height();
    let mut stats = GroupStats::empty(measures.clone(), n_leaves);
    let mut seen = vec![false; n_leaves * m];
    let mut respondents: Vec<Option<u64>> = vec![None; n_leaves];
    let measure_names = cells.column("measure")?.str()?.clone();
    let (resp, n, answers, answering) = (
        u64s(cells, "n_respondents")?,
        u64s(cells, "n")?,
        u64s(cells, "answers")?,
        u64s(cells, "n_answering")?,
    );
    let floats: Vec<Vec<f64>> = SUM_COLUMNS
        .iter()
        .filter(|c| !COUNT_COLUMNS.contains(c))
        .map(|c| f64s(cells, c))
        .collect::<Result<_, _>>()?;
    for (row, &leaf) in leaf_of_row.iter().enumerate() {
        let name = measure_names.get(row).unwrap_or("");
        let j = *position.get(name).ok_or_else(|| {
            bad(format!(
                "measure `{name}` is not in instrument `{}`",
                inst.id
            ))
        })?;
        let leaf = leaf as usize;
        match respondents[leaf] {
            Some(r) if r != resp[row] => {
                return Err(bad(format!(
                    "group {} has {r} respondents in one measure's row and {} in `{name}`'s; the sums were edited or parts of them are missing",
                    describe_leaf(leaf_keys, leaf),
                    resp[row]
                )))
            }
            _ => respondents[leaf] = Some(resp[row]),
        }
        let c = leaf * m + j;
        seen[c] = true;
        stats.moments[c] = Moments {
            n: n[row],
            sw: floats[0][row],
            swy: floats[1][row],
            swy2: floats[2][row],
            sw2: floats[3][row],
            sw2y: floats[4][row],
            sw2y2: floats[5][row],
        };
        stats.shares[c] = Shares {
            answers: answers[row],
            w_total: floats[6][row],
            w_positive: floats[7][row],
            w_neutral: floats[8][row],
            answering: answering[row],
            w2_pos2: floats[9][row],
            w2_pos_ans: floats[10][row],
            w2_ans2: floats[11][row],
        };
    }
    if let Some(c) = seen.iter().position(|s| !s) {
        return Err(bad(format!(
            "group {} has no row for measure `{}`; every group needs every measure of the instrument",
            describe_leaf(leaf_keys, c / m),
            measures[c % m].0
        )));
    }
    stats.respondents = respondents.into_iter().map(|r| r.unwrap_or(0)).collect();
    Ok(stats)
}

fn describe_leaf(keys: &DataFrame, leaf: usize) -> String {
    describe_node(keys, leaf, keys.width())
}

/// Publishes estimates from a sums table: as `estimate_frame` on the answers the sums came
/// from (same numbers up to floating-point rounding), at `opts.by` or any coarser grouping.
pub fn estimate_from_sums(
    sums: &DataFrame,
    inst: &Instrument,
    opts: &EstimateOptions,
) -> Result<DataFrame, Error> {
    if opts.weights.is_some() {
        return Err(EstimateError::Parameter {
            parameter: "weights".into(),
            message:
                "sums already carry the weights they were summarised with; leave `weights` out"
                    .into(),
        }
        .into());
    }
    let source = Source::Sums(sums.clone());
    estimate_table(&mut Publication::new(inst.clone(), source), opts)
}

/// Adds up the sums of answers that arrive in batches (a streamed LazyFrame): per batch
/// the leaf sums are computed and added to the running total of the same group, so memory
/// holds one batch and the groups' sums, never the rows.
pub struct SumsAccumulator {
    inst: Instrument,
    by: Vec<String>,
    weights: Option<String>,
    keys: Option<DataFrame>,
    index: HashMap<String, usize>,
    stats: GroupStats,
    rows: usize,
}

impl SumsAccumulator {
    pub fn new(inst: Instrument, by: Vec<String>, weights: Option<String>) -> Self {
        let measures = instrument_measures(&inst);
        SumsAccumulator {
            inst,
            by,
            weights,
            keys: None,
            index: HashMap::new(),
            stats: GroupStats::empty(measures, 0),
            rows: 0,
        }
    }

    /// Adds one batch; errors name rows counted over all batches so far.
    pub fn add(&mut self, batch: &DataFrame) -> Result<(), Error> {
        let offset = self.rows;
        self.add_batch(batch).map_err(|e| e.rows_from(offset))?;
        self.rows += batch.height();
        Ok(())
    }

    fn add_batch(&mut self, batch: &DataFrame) -> Result<(), Error> {
        let part = leaf_sums(batch, &self.inst, &self.by, self.weights.as_deref())?;
        let m = self.stats.measures.len();
        let mut new_leaves: Vec<IdxSize> = Vec::new();
        for (leaf, name) in key_strings(&part.keys)?.into_iter().enumerate() {
            let g = match self.index.get(&name) {
                Some(&g) => g,
                None => {
                    new_leaves.push(leaf as IdxSize);
                    self.new_group(name)
                }
            };
            self.stats.respondents[g] += part.stats.respondents[leaf];
            for j in 0..m {
                self.stats.moments[g * m + j].merge(&part.stats.moments[leaf * m + j]);
                self.stats.shares[g * m + j].merge(&part.stats.shares[leaf * m + j]);
            }
        }
        if !new_leaves.is_empty() {
            let rows = part
                .keys
                .take(&IdxCa::from_vec("leaf".into(), new_leaves))?;
            match &mut self.keys {
                Some(all) => {
                    all.vstack_mut(&rows)?;
                }
                None => self.keys = Some(rows),
            }
        }
        Ok(())
    }

    /// Opens a group with zero sums; its key row is appended by the caller.
    fn new_group(&mut self, name: String) -> usize {
        let g = self.stats.groups();
        let m = self.stats.measures.len();
        self.stats.respondents.push(0);
        self.stats
            .moments
            .extend(std::iter::repeat_n(Moments::default(), m));
        self.stats
            .shares
            .extend(std::iter::repeat_n(Shares::default(), m));
        self.index.insert(name, g);
        g
    }

    /// The sums table, groups sorted by their keys (nulls last) as `sums_frame` gives.
    pub fn finish(&self, empty_input: &DataFrame) -> Result<DataFrame, Error> {
        let Some(keys) = &self.keys else {
            return sums_frame(empty_input, &self.inst, &self.by, self.weights.as_deref());
        };
        let mut keys = keys.clone();
        keys.rechunk_mut();
        let sorted = group_rows(&keys, &self.by)?;
        // group_rows numbers the (unique) groups in sorted order: group_of_row[g] is the
        // sorted position of accumulated group g.
        let m = self.stats.measures.len();
        let mut stats = GroupStats::empty(self.stats.measures.clone(), keys.height());
        for (g, &pos) in sorted.group_of_row.iter().enumerate() {
            let pos = pos as usize;
            stats.respondents[pos] = self.stats.respondents[g];
            stats.moments[pos * m..(pos + 1) * m]
                .copy_from_slice(&self.stats.moments[g * m..(g + 1) * m]);
            stats.shares[pos * m..(pos + 1) * m]
                .copy_from_slice(&self.stats.shares[g * m..(g + 1) * m]);
        }
        to_sums_table(
            &LeafSums {
                keys: sorted.keys,
                stats,
            },
            &self.inst.id,
        )
    }
}

/// One string per row of a key frame that tells every distinct key apart (null included).
/// Categorical keys are compared by their text: their codes can differ between batches.
fn key_strings(keys: &DataFrame) -> Result<Vec<String>, Error> {
    let columns: Vec<Column> = keys
        .columns()
        .iter()
        .map(|c| match c.dtype() {
            DataType::Categorical(..) | DataType::Enum(..) => c.cast(&DataType::String),
            _ => Ok(c.clone()),
        })
        .collect::<PolarsResult<_>>()?;
    Ok((0..keys.height())
        .map(|row| {
            columns
                .iter()
                .map(|c| format!("{:?}", c.get(row).unwrap_or(AnyValue::Null)))
                .collect::<Vec<_>>()
                .join("\u{1f}")
        })
        .collect())
}
