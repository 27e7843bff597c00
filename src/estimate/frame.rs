//! The polars edge of grouped estimates: grouping columns become a hierarchy of leaf groups,
//! headcounts become population sizes per node, and the kernel's rows become a DataFrame
//! with fixed columns (see `OUTPUT_COLUMNS`).

use super::stats::{Convention, FinishSpec};
use super::{accumulate, check_weights, table, GroupStats, TableRow};
use crate::choice::Choice;
use crate::design::interval::ShareInterval;
use crate::error::{DataError, Error, EstimateError};
use crate::instrument::Instrument;
use crate::publish::groups::{check_columns, describe_node, group_rows, Hierarchy};
use crate::publish::publication::{Publication, Source, State, TableSpec, Thresholds, Within};
use crate::publish::table::Table;
use crate::score::frame::{present_columns, recode_frame};
use crate::score::score_respondents;
use polars::prelude::*;

/// Columns of the estimate table after `level` and the grouping columns.
pub const OUTPUT_COLUMNS: [&str; 20] = [
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
    "pct_positive_se",
    "pct_positive_ci_low",
    "pct_positive_ci_high",
    "headcount",
    "suppressed",
    "confidence",
    "convention",
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
    /// Background columns broken down below the last `by` level (e.g. kön), published
    /// under the instrument's background threshold.
    pub background: Vec<String>,
    /// Only the rows whose column holds one of the values, pooled (one year of several,
    /// or a pooled period).
    pub within: Option<Within>,
    /// Finite-population factor and critical values (see `Convention`).
    pub convention: Convention,
    /// The interval of percent positive; `None`: the convention's (logit for `Survey`, the
    /// symmetric interval for `PeopleSurvey`).
    pub ci_method: Option<ShareInterval>,
}

impl EstimateOptions {
    fn finish_spec(&self) -> FinishSpec {
        FinishSpec {
            confidence: self.confidence,
            convention: self.convention,
            share_interval: self
                .ci_method
                .unwrap_or(self.convention.default_share_interval()),
        }
    }
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
            background: Vec::new(),
            within: None,
            convention: Convention::Survey,
            ci_method: None,
        }
    }
}

const LEAF: &str = "__lyhord_leaf";

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
        // Background breakdowns (kön within enhet) have no headcount of their own.
        if level > by.len() {
            out.extend(std::iter::repeat_n(None, keys.height()));
            continue;
        }
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

/// Grouped estimates of every measure of the instrument, by every level of `opts.by`: a
/// publication of one table.
pub fn estimate_frame(
    df: &DataFrame,
    inst: &Instrument,
    opts: &EstimateOptions,
) -> Result<DataFrame, Error> {
    check_columns(
        df,
        opts.by
            .iter()
            .chain(&opts.background)
            .map(String::as_str)
            .chain(opts.weights.as_deref()),
    )?;
    let source = Source::Answers {
        df: df.clone(),
        weights: opts.weights.clone(),
    };
    estimate_table(&mut Publication::new(inst.clone(), source), opts)
}

/// The table spec of an estimate by `opts.by` (and its background breakdown).
pub fn estimate_spec(inst: &Instrument, opts: &EstimateOptions) -> Result<TableSpec, Error> {
    let thresholds = Thresholds::of(inst, opts.min_group)?;
    let mut by = opts.by.clone();
    by.extend(opts.background.iter().cloned());
    Ok(TableSpec {
        name: "estimate".into(),
        by,
        hierarchical: true,
        background_from: (!opts.background.is_empty()).then_some(opts.by.len() + 1),
        thresholds,
        background: thresholds.background(inst),
        within: opts.within.clone(),
    })
}

/// Adds an estimate table to `publication` and builds it.
pub fn estimate_table(
    publication: &mut Publication,
    opts: &EstimateOptions,
) -> Result<DataFrame, Error> {
    let mut tables = estimate_tables(publication, std::slice::from_ref(opts))?;
    Ok(tables.remove(0))
}

/// Adds several estimate tables to `publication` at once (their blanks chosen together)
/// and builds them.
pub fn estimate_tables(
    publication: &mut Publication,
    opts: &[EstimateOptions],
) -> Result<Vec<DataFrame>, Error> {
    let specs = opts
        .iter()
        .map(|o| estimate_spec(&publication.inst, o))
        .collect::<Result<Vec<_>, _>>()?;
    let (indices, state) = publication.add_all(specs.clone())?;
    indices
        .iter()
        .zip(specs.iter().zip(opts))
        .map(|(&t, (spec, o))| build_estimate(state, t, spec, o))
        .collect()
}

/// Leaf groups (keys sorted, nulls last) and their unsuppressed sums.
#[derive(Clone)]
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
    check_columns(df, by.iter().map(String::as_str).chain(weights))?;
    let items = recode_frame(df, inst)?;
    let scores = score_respondents(inst, &items)?;
    let weights = weights.map(|w| weight_values(df, w)).transpose()?;
    let leaves = group_rows(df, by)?;
    let stats = accumulate(
        inst,
        &items,
        &scores,
        &leaves.group_of_row,
        leaves.keys.height(),
        weights.as_deref(),
    );
    Ok(LeafSums {
        keys: leaves.keys,
        stats,
    })
}

/// Builds table `t` of a publication's state: sums rolled up its hierarchy, every visible
/// cell finished, blanks bare.
fn build_estimate(
    state: &State,
    t: usize,
    spec: &TableSpec,
    opts: &EstimateOptions,
) -> Result<DataFrame, Error> {
    let cells = &state.tables[t];
    let h = &cells.hierarchy;
    let node_stats = state.leaves.stats.roll_up(h);
    let population = match &opts.headcounts {
        Some(hc) => Some(populations(
            hc,
            &cells.level_keys,
            &opts.by,
            &opts.headcount_column,
        )?),
        None => None,
    };
    if let Some(pop) = &population {
        check_population(pop, &node_stats.respondents, &cells.level_keys, h)?;
    }
    let rows = table(
        &node_stats,
        &cells.cell_of_node,
        &state.pattern,
        population.as_deref(),
        &opts.finish_spec(),
    )?;
    let measures: Vec<(&str, &str)> = node_stats
        .measures
        .iter()
        .map(|(id, k)| (id.as_str(), k.as_str()))
        .collect();
    to_frame(
        &rows,
        &measures,
        h,
        &cells.level_keys,
        opts,
        spec.thresholds.min_group as usize,
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
    opts: &EstimateOptions,
    min_group: usize,
) -> Result<DataFrame, Error> {
    let mut all_keys = level_keys[0].clone();
    for k in &level_keys[1..] {
        all_keys.vstack_mut(k)?;
    }
    let levels = h.level_of_nodes();
    let height = rows.len();
    let headcount = Int64Chunked::from_iter_options(
        "headcount".into(),
        rows.iter().map(|r| r.population.map(|p| p.round() as i64)),
    );
    let e = |r: &TableRow| r.estimate;
    Table::new(rows)
        .level(|r| levels[r.node] as u32)
        .keys(&all_keys, |r| Some(r.node))?
        .text("measure", |r| Some(measures[r.measure].0))
        .text("kind", |r| Some(measures[r.measure].1))
        .count("n_respondents", |r| r.respondents)
        .count("n", |r| (!r.suppressed).then_some(r.estimate.n))
        .float("mean", |r| e(r).mean)
        .float("sd", |r| e(r).sd)
        .float("se", |r| e(r).se)
        .float("ci_low", |r| e(r).ci_low)
        .float("ci_high", |r| e(r).ci_high)
        .float("pct_positive", |r| e(r).pct_positive)
        .float("pct_neutral", |r| e(r).pct_neutral)
        .float("pct_negative", |r| e(r).pct_negative)
        .float("pct_positive_se", |r| e(r).pct_positive_se)
        .float("pct_positive_ci_low", |r| e(r).pct_positive_ci.map(|i| i.0))
        .float("pct_positive_ci_high", |r| {
            e(r).pct_positive_ci.map(|i| i.1)
        })
        .column(headcount.into_column())
        .suppressed(|r| r.suppressed)
        .column(Column::new_scalar(
            "confidence".into(),
            Scalar::new(DataType::Float64, AnyValue::Float64(opts.confidence)),
            height,
        ))
        .column(Column::new_scalar(
            "convention".into(),
            Scalar::new(
                DataType::String,
                AnyValue::StringOwned(opts.convention.as_str().into()),
            ),
            height,
        ))
        .column(Column::new_scalar(
            "min_group".into(),
            Scalar::new(DataType::UInt32, AnyValue::UInt32(min_group as u32)),
            height,
        ))
        .finish()
}
