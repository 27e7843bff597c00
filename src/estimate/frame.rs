//! The polars edge of grouped estimates: grouping columns become a hierarchy of leaf groups,
//! headcounts become population sizes per node, and the kernel's rows become a DataFrame
//! with fixed columns (see `OUTPUT_COLUMNS`).

use super::{accumulate, check_weights, table, GroupStats, Hierarchy, TableRow};
use crate::error::{DataError, Error, EstimateError};
use crate::instrument::Instrument;
use crate::score::frame::{present_columns, recode_frame};
use crate::score::score_respondents;
use polars::prelude::*;

/// Columns of the estimate table after `level` and the grouping columns.
pub const OUTPUT_COLUMNS: [&str; 17] = [
    "measure",
    "kind",
    "n_respondents",
    "n",
    "mean",
    "sd",
    "se",
    "ci_low",
    "ci_high",
    "pct_positive",
    "pct_neutral",
    "pct_negative",
    "headcount",
    "suppressed",
    "suppression",
    "confidence",
    "min_group",
];

/// Options of a grouped estimate.
#[derive(Debug, Clone)]
pub struct EstimateOptions {
    /// Grouping columns from the top of the organisation down (e.g. förvaltning, enhet).
    pub by: Vec<String>,
    /// Minimum group size; the instrument's default when `None`.
    pub min_group: Option<usize>,
    pub confidence: f64,
    pub weights: Option<String>,
    /// Headcounts per leaf unit: the `by` columns plus `headcount_column`.
    pub headcounts: Option<DataFrame>,
    pub headcount_column: String,
}

impl Default for EstimateOptions {
    fn default() -> Self {
        EstimateOptions {
            by: Vec::new(),
            min_group: None,
            confidence: 0.95,
            weights: None,
            headcounts: None,
            headcount_column: "headcount".into(),
        }
    }
}

const ROW: &str = "__lyhord_row";
const LEAF: &str = "__lyhord_leaf";

/// Leaf groups: their key frame (sorted by the keys, nulls last) and each row's leaf.
pub(crate) struct Leaves {
    pub keys: DataFrame,
    pub leaf_of_row: Vec<u32>,
}

pub(crate) fn group_rows(df: &DataFrame, by: &[String]) -> Result<Leaves, Error> {
    if by.is_empty() {
        return Ok(Leaves {
            keys: DataFrame::empty_with_height(1),
            leaf_of_row: vec![0; df.height()],
        });
    }
    let by_exprs: Vec<Expr> = by.iter().map(|c| col(c.as_str())).collect();
    let sort = SortMultipleOptions::default()
        .with_nulls_last(true)
        .with_maintain_order(true);
    let grouped = df
        .select(by.iter().map(|c| c.as_str()))?
        .lazy()
        .with_row_index(ROW, None)
        .group_by(&by_exprs)
        .agg([col(ROW)])
        .sort(by.iter().map(|c| c.as_str()).collect::<Vec<_>>(), sort)
        .collect()?;
    let mut leaf_of_row = vec![0u32; df.height()];
    for (leaf, rows) in grouped.column(ROW)?.list()?.amortized_iter().enumerate() {
        let rows = rows.expect("group_by lists are never null");
        for row in rows.as_ref().idx()?.into_no_null_iter() {
            leaf_of_row[row as usize] = leaf as u32;
        }
    }
    Ok(Leaves {
        keys: grouped.drop(ROW)?,
        leaf_of_row,
    })
}

/// Maps each leaf to its node at every level; also returns each level's node key frame.
fn hierarchy(leaf_keys: &DataFrame, by: &[String]) -> Result<(Hierarchy, Vec<DataFrame>), Error> {
    let n_leaves = leaf_keys.height();
    let mut node_of_leaf = vec![vec![0usize; n_leaves]];
    let mut nodes_per_level = vec![1usize];
    let mut level_keys = vec![null_keys(leaf_keys, 0, 1)?];
    let sort = SortMultipleOptions::default()
        .with_nulls_last(true)
        .with_maintain_order(true);
    for level in 1..=by.len() {
        let prefix: Vec<&str> = by[..level].iter().map(String::as_str).collect();
        let exprs: Vec<Expr> = prefix.iter().map(|c| col(*c)).collect();
        let grouped = leaf_keys
            .clone()
            .lazy()
            .with_row_index(LEAF, None)
            .group_by(&exprs)
            .agg([col(LEAF)])
            .sort(prefix.clone(), sort.clone())
            .collect()?;
        let mut mapping = vec![0usize; n_leaves];
        for (node, leaves) in grouped.column(LEAF)?.list()?.amortized_iter().enumerate() {
            let leaves = leaves.expect("group_by lists are never null");
            for leaf in leaves.as_ref().idx()?.into_no_null_iter() {
                mapping[leaf as usize] = node;
            }
        }
        nodes_per_level.push(grouped.height());
        node_of_leaf.push(mapping);
        level_keys.push(pad_keys(&grouped.drop(LEAF)?, leaf_keys, level)?);
    }
    Ok((
        Hierarchy {
            node_of_leaf,
            nodes_per_level,
        },
        level_keys,
    ))
}

/// A key frame of `height` rows whose columns from `from` on are null, typed like `template`.
fn null_keys(template: &DataFrame, from: usize, height: usize) -> Result<DataFrame, Error> {
    let cols = template.columns()[from..]
        .iter()
        .map(|c| Column::full_null(c.name().clone(), height, c.dtype()))
        .collect();
    Ok(DataFrame::new(height, cols)?)
}

/// Adds the grouping columns below `level` as nulls so every level has the same schema.
fn pad_keys(prefix: &DataFrame, template: &DataFrame, level: usize) -> Result<DataFrame, Error> {
    let mut cols: Vec<Column> = prefix.columns().to_vec();
    cols.extend(
        null_keys(template, level, prefix.height())?
            .columns()
            .iter()
            .cloned(),
    );
    Ok(DataFrame::new(prefix.height(), cols)?)
}

/// Population size per node, summed from the headcount table at every level.
fn populations(
    headcounts: &DataFrame,
    level_keys: &[DataFrame],
    by: &[String],
    value: &str,
) -> Result<Vec<Option<f64>>, Error> {
    for c in by.iter().map(String::as_str).chain(std::iter::once(value)) {
        if headcounts.column(c).is_err() {
            return Err(DataError::BadColumn {
                column: c.to_string(),
                message: format!(
                    "missing from the headcount table (it needs the grouping columns and `{value}`); present: {}",
                    present_columns(headcounts)
                ),
            }
            .into());
        }
    }
    check_unique_units(headcounts, by)?;
    let mut out = Vec::new();
    for (level, keys) in level_keys.iter().enumerate() {
        let prefix: Vec<Expr> = by[..level].iter().map(|c| col(c.as_str())).collect();
        let totals = if level == 0 {
            headcounts
                .clone()
                .lazy()
                .select([col(value).cast(DataType::Float64).sum()])
        } else {
            headcounts
                .clone()
                .lazy()
                .group_by(&prefix)
                .agg([col(value).cast(DataType::Float64).sum()])
        };
        let joined = if level == 0 {
            totals.collect()?
        } else {
            keys.clone()
                .lazy()
                .with_row_index(LEAF, None)
                .join(totals, &prefix, &prefix, JoinArgs::new(JoinType::Left))
                .sort([LEAF], SortMultipleOptions::default())
                .collect()?
        };
        for (node, v) in joined.column(value)?.f64()?.iter().enumerate() {
            match v {
                Some(v) => out.push(Some(v)),
                None => {
                    return Err(EstimateError::MissingHeadcount {
                        unit: describe_node(keys, node, level),
                    }
                    .into())
                }
            }
        }
    }
    Ok(out)
}

fn check_unique_units(headcounts: &DataFrame, by: &[String]) -> Result<(), Error> {
    if by.is_empty() {
        return Ok(());
    }
    let exprs: Vec<Expr> = by.iter().map(|c| col(c.as_str())).collect();
    let dupes = headcounts
        .clone()
        .lazy()
        .group_by(&exprs)
        .agg([len().alias(LEAF)])
        .filter(col(LEAF).gt(lit(1)))
        .collect()?;
    if dupes.height() > 0 {
        return Err(DataError::BadColumn {
            column: by.join(", "),
            message: format!(
                "the headcount table lists unit {} more than once; give one headcount per unit",
                describe_node(&dupes, 0, by.len())
            ),
        }
        .into());
    }
    Ok(())
}

/// "forvaltning=X, enhet=Y" for error messages.
pub(crate) fn describe_node(keys: &DataFrame, node: usize, level: usize) -> String {
    if level == 0 {
        return "(total)".to_string();
    }
    keys.columns()[..level]
        .iter()
        .map(|c| {
            let v = c.get(node).map(|v| v.to_string()).unwrap_or_default();
            format!("{}={}", c.name(), v.trim_matches('"'))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn check_columns(df: &DataFrame, by: &[String], weights: Option<&str>) -> Result<(), Error> {
    for c in by.iter().map(String::as_str).chain(weights) {
        if df.column(c).is_err() {
            return Err(DataError::UnknownGroupColumn {
                column: c.to_string(),
                present: present_columns(df),
            }
            .into());
        }
    }
    Ok(())
}

fn weight_values(df: &DataFrame, column: &str) -> Result<Vec<f64>, Error> {
    let s = df
        .column(column)?
        .as_materialized_series()
        .cast(&DataType::Float64)
        .map_err(|_| DataError::BadColumn {
            column: column.to_string(),
            message: "weights must be numeric".into(),
        })?;
    let values: Vec<f64> = s.f64()?.iter().map(|v| v.unwrap_or(f64::NAN)).collect();
    check_weights(&values, column)?;
    Ok(values)
}

/// Grouped estimates of every measure of the instrument, by every level of `opts.by`.
pub fn estimate_frame(
    df: &DataFrame,
    inst: &Instrument,
    opts: &EstimateOptions,
) -> Result<DataFrame, Error> {
    let leaves = leaf_sums(df, inst, &opts.by, opts.weights.as_deref())?;
    publish(&leaves, inst, opts)
}

/// Leaf groups (keys sorted, nulls last) and their unsuppressed sums.
pub struct LeafSums {
    pub keys: DataFrame,
    pub stats: GroupStats,
}

/// Recodes and scores the answers and sums every measure per leaf group of `by`.
pub fn leaf_sums(
    df: &DataFrame,
    inst: &Instrument,
    by: &[String],
    weights: Option<&str>,
) -> Result<LeafSums, Error> {
    check_columns(df, by, weights)?;
    let items = recode_frame(df, inst)?;
    let scores = score_respondents(inst, &items)?;
    let weights = weights.map(|w| weight_values(df, w)).transpose()?;
    let leaves = group_rows(df, by)?;
    let stats = accumulate(
        inst,
        &items,
        &scores,
        &leaves.leaf_of_row,
        leaves.keys.height(),
        weights.as_deref(),
    );
    Ok(LeafSums {
        keys: leaves.keys,
        stats,
    })
}

/// Rolls leaf sums up the hierarchy of `opts.by`, finishes every cell and suppresses.
pub fn publish(
    leaves: &LeafSums,
    inst: &Instrument,
    opts: &EstimateOptions,
) -> Result<DataFrame, Error> {
    let min_group = opts.min_group.unwrap_or(inst.min_group);
    let (h, level_keys) = hierarchy(&leaves.keys, &opts.by)?;
    let node_stats = leaves.stats.roll_up(&h);
    let population = match &opts.headcounts {
        Some(hc) => Some(populations(
            hc,
            &level_keys,
            &opts.by,
            &opts.headcount_column,
        )?),
        None => None,
    };
    if let Some(pop) = &population {
        check_population(pop, &node_stats.respondents, &level_keys, &h)?;
    }
    let rows = table(
        &node_stats,
        &h.tree(),
        population.as_deref(),
        min_group as u64,
        opts.confidence,
    )?;
    let measures: Vec<(&str, &str)> = node_stats
        .measures
        .iter()
        .map(|(id, k)| (id.as_str(), k.as_str()))
        .collect();
    to_frame(
        &rows,
        &measures,
        &h,
        &level_keys,
        opts.confidence,
        min_group,
    )
}

fn check_population(
    pop: &[Option<f64>],
    respondents: &[u64],
    level_keys: &[DataFrame],
    h: &Hierarchy,
) -> Result<(), Error> {
    let levels = h.level_of_nodes();
    let offsets = h.offsets();
    // Units first, then their parents: the unit row is what the user has to fix.
    let mut order: Vec<usize> = (0..pop.len()).collect();
    order.sort_by_key(|&g| (std::cmp::Reverse(levels[g]), g));
    for g in order {
        let (p, r) = (pop[g], respondents[g]);
        if let Some(p) = p {
            if p < r as f64 {
                let level = levels[g];
                return Err(EstimateError::HeadcountTooSmall {
                    unit: describe_node(&level_keys[level], g - offsets[level], level),
                    headcount: p,
                    respondents: r as usize,
                }
                .into());
            }
        }
    }
    Ok(())
}

fn to_frame(
    rows: &[TableRow],
    measures: &[(&str, &str)],
    h: &Hierarchy,
    level_keys: &[DataFrame],
    confidence: f64,
    min_group: usize,
) -> Result<DataFrame, Error> {
    let mut all_keys = level_keys[0].clone();
    for k in &level_keys[1..] {
        all_keys.vstack_mut(k)?;
    }
    let node_idx = IdxCa::from_vec(
        "node".into(),
        rows.iter().map(|r| r.node as IdxSize).collect(),
    );
    let keys = all_keys.take(&node_idx)?;
    let levels = h.level_of_nodes();
    let height = rows.len();
    let f = |name: &str, get: &dyn Fn(&TableRow) -> Option<f64>| {
        Float64Chunked::from_iter_options(name.into(), rows.iter().map(get)).into_column()
    };
    let u = |name: &str, get: &dyn Fn(&TableRow) -> Option<u64>| {
        UInt64Chunked::from_iter_options(name.into(), rows.iter().map(get)).into_column()
    };
    let visible = |r: &TableRow| r.status.is_none();
    let mut cols = vec![UInt32Chunked::from_iter_values(
        "level".into(),
        rows.iter().map(|r| levels[r.node] as u32),
    )
    .into_column()];
    cols.extend(keys.columns().iter().cloned());
    cols.push(
        StringChunked::from_iter_values(
            "measure".into(),
            rows.iter().map(|r| measures[r.measure].0),
        )
        .into_column(),
    );
    cols.push(
        StringChunked::from_iter_values("kind".into(), rows.iter().map(|r| measures[r.measure].1))
            .into_column(),
    );
    cols.push(u("n_respondents", &|r| r.respondents));
    cols.push(u("n", &|r| visible(r).then_some(r.estimate.n)));
    cols.push(f("mean", &|r| r.estimate.mean));
    cols.push(f("sd", &|r| r.estimate.sd));
    cols.push(f("se", &|r| r.estimate.se));
    cols.push(f("ci_low", &|r| r.estimate.ci_low));
    cols.push(f("ci_high", &|r| r.estimate.ci_high));
    cols.push(f("pct_positive", &|r| r.estimate.pct_positive));
    cols.push(f("pct_neutral", &|r| r.estimate.pct_neutral));
    cols.push(f("pct_negative", &|r| r.estimate.pct_negative));
    cols.push(
        Int64Chunked::from_iter_options(
            "headcount".into(),
            rows.iter().map(|r| r.population.map(|p| p.round() as i64)),
        )
        .into_column(),
    );
    cols.push(
        BooleanChunked::from_iter_values(
            "suppressed".into(),
            rows.iter().map(|r| r.status.is_some()),
        )
        .into_column(),
    );
    cols.push(
        StringChunked::from_iter_options(
            "suppression".into(),
            rows.iter()
                .map(|r| r.status.map(|s| s.describe(min_group as u64))),
        )
        .into_column(),
    );
    cols.push(Column::new_scalar(
        "confidence".into(),
        Scalar::new(DataType::Float64, AnyValue::Float64(confidence)),
        height,
    ));
    cols.push(Column::new_scalar(
        "min_group".into(),
        Scalar::new(DataType::UInt32, AnyValue::UInt32(min_group as u32)),
        height,
    ));
    Ok(DataFrame::new(height, cols)?)
}
