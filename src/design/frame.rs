//! The polars edge of design-based estimation: the design read from columns, raking to
//! population tables, and domain estimates with suppression.

use super::calibrate::{calibrate, totals as calibrate_totals, CalibrateOptions, Calibrated};
use super::calibration::{Calibration, Model};
use super::domains::{all_domains, all_domains_with, DomainCells, DomainOrder, VarianceParts};
use super::estimate::{domain_estimate, domain_estimate_with, DomainEstimate, Statistic};
use super::flags::presentation_flags;
use super::interval::{logit_interval, share_interval, IntervalSpec, ShareInterval};
use super::nonresponse::{adjust_by_class, class_counts};
use super::quantile::{domain_quantile, woodruff};
use super::rake::{check_margins, rake, totals, Margin, RakeOptions, RakeOutcome};
use super::replicate::{
    default_scale, degrees_of_freedom, generate, replicate_estimates, ReplicateColumn,
    ReplicateMethod, Replicates,
};
use super::{Design, LonelyPsu};
use crate::error::{DesignError, Error};
use crate::estimate::stats::{t_critical, Convention};
use crate::publish::groups::{group_rows, key_texts};
use crate::publish::publication::{protect_counts, CountBlanks, Thresholds};
use crate::publish::table::Table;
use crate::score::frame::present_columns;
use foldhash::fast::FixedState;
use polars::prelude::*;
use std::collections::HashMap;

/// Which columns describe the design.
#[derive(Debug, Clone)]
pub struct DesignColumns {
    pub weights: Option<String>,
    pub strata: Option<String>,
    pub psu: Option<String>,
    /// Per row: the population size of the stratum (clusters, or rows without clusters),
    /// or the sampling fraction when ≤ 1.
    pub fpc: Option<String>,
    pub lonely: LonelyPsu,
    /// Replicate weight columns (from a file or `replicate_weights`).
    pub replicates: Option<ReplicateColumns>,
}

/// Replicate weight columns and how their estimates combine (R `svrepdesign`).
#[derive(Debug, Clone)]
pub struct ReplicateColumns {
    pub columns: Vec<String>,
    pub method: ReplicateMethod,
    /// `None`: the method's default (R's).
    pub scale: Option<f64>,
    /// `None`: 1 for every replicate.
    pub rscales: Option<Vec<f64>>,
    pub mse: bool,
    /// Fay's ρ (for the default scale of `fay`).
    pub rho: Option<f64>,
    /// Degrees of freedom when known (from `replicate_weights`, or the data's provider);
    /// `None`: the rank of the replicate weights less one.
    pub df: Option<f64>,
}

fn column<'a>(df: &'a DataFrame, name: &str, role: &str) -> Result<&'a Column, Error> {
    df.column(name).map_err(|_| {
        DesignError::MissingColumn {
            role: role.into(),
            column: name.into(),
            present: present_columns(df),
        }
        .into()
    })
}

fn bad(column: &str, row: usize, message: impl Into<String>) -> Error {
    DesignError::Column {
        column: column.into(),
        row,
        message: message.into(),
    }
    .into()
}

pub fn numbers(df: &DataFrame, name: &str, role: &str) -> Result<Vec<Option<f64>>, Error> {
    let col = column(df, name, role)?;
    let cast = col
        .cast(&DataType::Float64)
        .map_err(|_| bad(name, 0, format!("must be numeric, not {}", col.dtype())))?;
    // Chunk by chunk over the values (and validity, where there are nulls): polars'
    // per-cell iterator was a tenth of a 100,000-row domain estimate.
    let mut out = Vec::with_capacity(cast.len());
    for array in cast.f64()?.downcast_iter() {
        let values = array.values().iter();
        match array.validity().filter(|valid| valid.unset_bits() > 0) {
            None => out.extend(values.map(|&x| Some(x))),
            Some(valid) => out.extend(values.zip(valid.iter()).map(|(&x, ok)| ok.then_some(x))),
        }
    }
    Ok(out)
}

/// Codes (first-seen order) of one column's values per row and the distinct values.
fn column_codes<'a>(
    ca: &'a StringChunked,
    name: &str,
    role: &str,
) -> Result<(Vec<u32>, Vec<&'a str>), Error> {
    if ca.null_count() > 0 {
        let row = ca.iter().position(|v| v.is_none()).unwrap_or(0);
        return Err(bad(
            name,
            row,
            format!("is empty; every row needs a {role}"),
        ));
    }
    let mut by_text: HashMap<&str, u32, FixedState> =
        HashMap::with_hasher(FixedState::with_seed(7));
    // A string of up to 12 bytes is stored inside its 16-byte view, so equal short strings
    // have equal views: looking the view up as a u128 skips hashing the text.
    let mut by_view: HashMap<u128, u32, FixedState> =
        HashMap::with_hasher(FixedState::with_seed(9));
    let mut values: Vec<&str> = Vec::new();
    let mut codes = Vec::with_capacity(ca.len());
    for arr in ca.downcast_iter() {
        for (i, view) in arr.views().iter().enumerate() {
            let inline = view.length <= 12;
            if inline {
                if let Some(&code) = by_view.get(&view.as_u128()) {
                    codes.push(code);
                    continue;
                }
            }
            let text = arr.value(i);
            let code = *by_text.entry(text).or_insert_with(|| {
                values.push(text);
                values.len() as u32 - 1
            });
            if inline {
                by_view.insert(view.as_u128(), code);
            }
            codes.push(code);
        }
    }
    Ok((codes, values))
}

/// Dense codes (first-seen order) of one column's values and each code's text: integers
/// are looked up as numbers (no text made per row), anything else as text.
fn codes_of_column(c: &Column, name: &str, role: &str) -> Result<(Vec<u32>, Vec<String>), Error> {
    if c.dtype().is_integer() {
        let ints = c.cast(&DataType::Int64)?;
        let ca = ints.i64()?;
        if let Some(row) = ca.iter().position(|v| v.is_none()) {
            return Err(bad(
                name,
                row,
                format!("is empty; every row needs a {role}"),
            ));
        }
        let mut index: HashMap<i64, u32, FixedState> =
            HashMap::with_hasher(FixedState::with_seed(5));
        let mut labels = Vec::new();
        let codes = ca
            .into_no_null_iter()
            .map(|v| {
                *index.entry(v).or_insert_with(|| {
                    labels.push(v.to_string());
                    labels.len() as u32 - 1
                })
            })
            .collect();
        return Ok((codes, labels));
    }
    let text = c.cast(&DataType::String)?;
    let (codes, values) = column_codes(text.str()?, name, role)?;
    Ok((codes, values.into_iter().map(str::to_string).collect()))
}

/// Dense codes (first-seen order) of the joint values of `names` per row, and a label per
/// code ("a × b"). Values are looked up borrowed, so a million rows allocate nothing per row.
pub fn joint_codes(
    df: &DataFrame,
    names: &[String],
    role: &str,
) -> Result<(Vec<u32>, Vec<String>), Error> {
    let mut per_column = Vec::with_capacity(names.len());
    for name in names {
        per_column.push(codes_of_column(column(df, name, role)?, name, role)?);
    }
    if per_column.len() == 1 {
        if let Some(only) = per_column.pop() {
            return Ok(only);
        }
    }
    // Mixed-radix key of the per-column codes (each radix is a column's distinct count, so
    // the product is at most rows^columns; u128 holds that for any realistic table).
    let mut index: HashMap<u128, u32> = HashMap::new();
    let mut labels = Vec::new();
    let mut codes = Vec::with_capacity(df.height());
    for row in 0..df.height() {
        let key = per_column.iter().fold(0u128, |k, (c, values)| {
            k * values.len() as u128 + c[row] as u128
        });
        let next = labels.len() as u32;
        let code = *index.entry(key).or_insert(next);
        if code == next {
            let parts: Vec<&str> = per_column
                .iter()
                .map(|(c, values)| values[c[row] as usize].as_str())
                .collect();
            labels.push(parts.join(" × "));
        }
        codes.push(code);
    }
    Ok((codes, labels))
}

fn weights(df: &DataFrame, name: Option<&str>) -> Result<Vec<f64>, Error> {
    let Some(name) = name else {
        return Ok(vec![1.0; df.height()]);
    };
    checked_weights(df, name, "weights", false)
}

/// Starting weights of raking or calibration: the design's (> 0), or a replicate's, where
/// 0 marks a row whose cluster is out of the replicate (it stays 0).
fn base_weights(df: &DataFrame, name: Option<&str>) -> Result<Vec<f64>, Error> {
    let Some(name) = name else {
        return Ok(vec![1.0; df.height()]);
    };
    checked_weights(df, name, "starting weights", true)
}

/// Clusters are nested in strata: the same cluster label in two strata is two clusters.
fn nested_clusters(stratum: &[u32], cluster: &[u32]) -> Vec<u32> {
    let mut index: HashMap<(u32, u32), u32> = HashMap::new();
    stratum
        .iter()
        .zip(cluster)
        .map(|(&h, &c)| {
            let next = index.len() as u32;
            *index.entry((h, c)).or_insert(next)
        })
        .collect()
}

/// The design over the rows of `df`.
pub fn design_from_frame(df: &DataFrame, cols: &DesignColumns) -> Result<Design, Error> {
    let n = df.height();
    let weights = weights(df, cols.weights.as_deref())?;
    let (stratum, stratum_names) = match &cols.strata {
        Some(s) => joint_codes(df, std::slice::from_ref(s), "stratum")?,
        None => (vec![0; n], vec!["(all)".to_string()]),
    };
    let psu = match &cols.psu {
        Some(p) => nested_clusters(
            &stratum,
            &joint_codes(df, std::slice::from_ref(p), "cluster")?.0,
        ),
        None => (0..n as u32).collect(),
    };
    let clusters = psu.iter().map(|&p| p as usize + 1).max().unwrap_or(0);
    let mut psu_stratum = vec![0; clusters];
    for (&p, &h) in psu.iter().zip(&stratum) {
        psu_stratum[p as usize] = h;
    }
    let mut psus_in_stratum = vec![0u32; stratum_names.len()];
    for &h in &psu_stratum {
        psus_in_stratum[h as usize] += 1;
    }
    let fraction = match &cols.fpc {
        Some(f) => fractions(df, f, &stratum, &psus_in_stratum)?,
        None => vec![0.0; stratum_names.len()],
    };
    let replicates = match &cols.replicates {
        Some(r) => Some(replicates_from_frame(df, r, &weights)?),
        None => None,
    };
    let design = Design {
        weights,
        stratum,
        psu,
        fraction,
        psu_stratum,
        psus_in_stratum,
        stratum_names,
        lonely: cols.lonely,
        replicates,
    };
    Ok(match cols.lonely {
        LonelyPsu::Collapse => super::collapse_lonely_strata(design),
        _ => design,
    })
}

/// Replicate weight columns `{prefix}1 … {prefix}R` for `design` by `method`, with their
/// scale, rscales and degrees of freedom.
pub fn replicate_weights_frame(
    design: &Design,
    method: ReplicateMethod,
    replicates: usize,
    rho: f64,
    seed: u64,
    prefix: &str,
) -> Result<(DataFrame, f64, Vec<f64>, f64), Error> {
    let generated = generate(design, method, replicates, rho, seed)?;
    // The rank of the cluster factors is that of the replicate weights (R `degf`).
    let clusters = design.psu_stratum.len();
    let df = degrees_of_freedom(&generated.factors, &vec![1.0; clusters]);
    let height = design.weights.len();
    let columns: Vec<Column> = generated
        .columns(design)
        .into_iter()
        .enumerate()
        .map(|(r, w)| Column::new(format!("{prefix}{}", r + 1).into(), w))
        .collect();
    Ok((
        DataFrame::new(height, columns)?,
        generated.scale,
        generated.rscales,
        df,
    ))
}

/// A replicate weight: finite and ≥ 0 in every row (0: the row's cluster is out), kept in
/// the column's own memory.
fn replicate_column(df: &DataFrame, name: &str) -> Result<ReplicateColumn, Error> {
    let values = float_weights(df, name, "replicate weights")?;
    check_weights(&values, name, "replicate weights", true)?;
    Ok(ReplicateColumn::new(values))
}

/// A weight in every row: finite and positive, or ≥ 0 with `zero_allowed`.
fn checked_weights(
    df: &DataFrame,
    name: &str,
    role: &str,
    zero_allowed: bool,
) -> Result<Vec<f64>, Error> {
    let ca = float_weights(df, name, role)?;
    // One contiguous copy per chunk.
    let mut values: Vec<f64> = Vec::with_capacity(ca.len());
    for chunk in ca.downcast_iter() {
        values.extend_from_slice(chunk.values());
    }
    check_weights(&values, name, role, zero_allowed)?;
    Ok(values)
}

/// The column as floats, refusing a null (naming its row).
fn float_weights(df: &DataFrame, name: &str, role: &str) -> Result<Float64Chunked, Error> {
    let col = column(df, name, role)?;
    let cast = col
        .cast(&DataType::Float64)
        .map_err(|_| bad(name, 0, format!("must be numeric, not {}", col.dtype())))?;
    let ca = cast.f64()?.clone();
    if ca.null_count() > 0 {
        let row = ca.iter().position(|v| v.is_none()).unwrap_or(0);
        return Err(bad(name, row, "is empty; every row needs a weight"));
    }
    Ok(ca)
}

/// Every weight finite and positive, or ≥ 0 with `zero_allowed`.
fn check_weights(
    values: &impl WeightValues,
    name: &str,
    role: &str,
    zero_allowed: bool,
) -> Result<(), Error> {
    let ok = |w: f64| w.is_finite() & if zero_allowed { w >= 0.0 } else { w > 0.0 };
    let rule = if zero_allowed { "≥ 0" } else { "> 0" };
    match values.first_bad(ok) {
        Some((row, w)) => Err(bad(
            name,
            row,
            format!("weight {w} is not allowed; {role} must be {rule}"),
        )),
        None => Ok(()),
    }
}

/// Weights held as a plain vector or a polars column.
trait WeightValues {
    fn first_bad(&self, ok: impl Fn(f64) -> bool) -> Option<(usize, f64)>;
}

impl WeightValues for Vec<f64> {
    fn first_bad(&self, ok: impl Fn(f64) -> bool) -> Option<(usize, f64)> {
        first_bad_in(self, &ok)
    }
}

impl WeightValues for Float64Chunked {
    fn first_bad(&self, ok: impl Fn(f64) -> bool) -> Option<(usize, f64)> {
        let mut offset = 0;
        for chunk in self.downcast_iter() {
            let values = chunk.values();
            if let Some((i, w)) = first_bad_in(values, &ok) {
                return Some((offset + i, w));
            }
            offset += values.len();
        }
        None
    }
}

/// The first value `ok` refuses: a branch-free pass over all first (it vectorises; these
/// are hundreds of replicate columns), the search only when something is wrong.
fn first_bad_in(values: &[f64], ok: &impl Fn(f64) -> bool) -> Option<(usize, f64)> {
    if values.iter().fold(true, |all, &w| all & ok(w)) {
        return None;
    }
    values.iter().copied().enumerate().find(|(_, w)| !ok(*w))
}

fn replicate_parameter(parameter: &str, message: String) -> Error {
    DesignError::Parameter {
        parameter: parameter.into(),
        message,
    }
    .into()
}

/// The replicate weights of `spec` with their scale, rscales and degrees of freedom.
fn replicates_from_frame(
    df: &DataFrame,
    spec: &ReplicateColumns,
    weights: &[f64],
) -> Result<Replicates, Error> {
    let r = spec.columns.len();
    if r < 2 {
        return Err(replicate_parameter(
            "replicates",
            format!("needs at least two replicate weight columns, got {r}"),
        ));
    }
    // Checking hundreds of columns is a pass over memory; both cores share it.
    let threads = crate::parallel::threads_for(df.height() * r);
    let columns =
        crate::parallel::map_in_order(&spec.columns, threads, |c| replicate_column(df, c))
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?;
    let rho = spec.rho.unwrap_or(0.0);
    let scale = match (spec.scale, default_scale(spec.method, r, rho)) {
        (Some(s), _) | (None, Some(s)) => s,
        (None, None) if spec.method == ReplicateMethod::Jkn && spec.rscales.is_some() => 1.0,
        (None, None) => {
            return Err(replicate_parameter(
                "replicate_scale",
                format!(
                    "replicate_method={:?} has no default scale; give replicate_scale (and for \"jkn\" replicate_rscales, (n_h − 1)/n_h of each replicate's stratum)",
                    crate::choice::Choice::as_str(spec.method)
                ),
            ))
        }
    };
    let rscales = match &spec.rscales {
        Some(v) if v.len() != r => {
            return Err(replicate_parameter(
                "replicate_rscales",
                format!("has {} values for {r} replicate columns; give one per column", v.len()),
            ))
        }
        Some(v) => v.clone(),
        None if spec.method == ReplicateMethod::Jkn => {
            return Err(replicate_parameter(
                "replicate_rscales",
                "is needed with replicate_method=\"jkn\": (1 − f_h)(n_h − 1)/n_h for each replicate's stratum, as R svrepdesign's rscales".into(),
            ))
        }
        None => vec![1.0; r],
    };
    if !(scale.is_finite() && scale > 0.0) || rscales.iter().any(|s| !(s.is_finite() && *s >= 0.0))
    {
        return Err(replicate_parameter(
            "replicate_scale",
            format!("scale and rscales must be positive numbers, got {scale} and {rscales:?}"),
        ));
    }
    let df = match spec.df {
        Some(df) if df.is_finite() && df >= 1.0 => df,
        Some(df) => {
            return Err(replicate_parameter(
                "replicate_df",
                format!("must be a number ≥ 1 (the replicates' degrees of freedom), got {df}"),
            ))
        }
        None => degrees_of_freedom(&columns, weights),
    };
    Ok(Replicates {
        columns,
        scale,
        rscales,
        mse: spec.mse,
        df,
    })
}

fn fractions(
    df: &DataFrame,
    name: &str,
    stratum: &[u32],
    sampled: &[u32],
) -> Result<Vec<f64>, Error> {
    let values = numbers(df, name, "fpc")?;
    let mut out: Vec<Option<(f64, usize)>> = vec![None; sampled.len()];
    for (row, (v, &h)) in values.iter().zip(stratum).enumerate() {
        let v = v.ok_or_else(|| {
            bad(
                name,
                row,
                "is empty; give the population size of the stratum",
            )
        })?;
        match out[h as usize] {
            None => out[h as usize] = Some((v, row)),
            Some((first, at)) if first != v => {
                return Err(bad(name, row, format!("is {v} but {first} in row {at} of the same stratum; the population size is one number per stratum")))
            }
            Some(_) => {}
        }
    }
    out.iter()
        .zip(sampled)
        .map(|(v, &n_h)| {
            // Invariant: every row has a value (an empty one is an error above) and every
            // stratum index comes from a row, so every stratum has one.
            #[allow(clippy::expect_used)]
            let (v, row) = v.expect("every stratum has rows");
            if v > 0.0 && v <= 1.0 {
                Ok(v)
            } else if v >= n_h as f64 {
                Ok(n_h as f64 / v)
            } else {
                Err(bad(name, row, format!("population size {v} is smaller than the {n_h} sampled units of the stratum")))
            }
        })
        .collect()
}

/// A population table for raking: the margin's columns and a count column.
pub struct MarginTable {
    pub columns: Vec<String>,
    pub population: DataFrame,
    pub count: String,
}

fn margin(df: &DataFrame, table: &MarginTable) -> Result<Margin, Error> {
    let name = table.columns.join(" × ");
    // The population table is coded like the sample; no duplicates means codes follow rows.
    let (rows, pop_labels) = joint_codes(&table.population, &table.columns, "population category")?;
    let counts = numbers(&table.population, &table.count, "population count")?;
    let mut target = Vec::with_capacity(pop_labels.len());
    for (row, (&code, count)) in rows.iter().zip(&counts).enumerate() {
        let label = &pop_labels[code as usize];
        let count = count.ok_or_else(|| {
            Error::from(DesignError::Margin {
                margin: name.clone(),
                message: format!("population table row {row} (`{label}`) has no count"),
            })
        })?;
        if (code as usize) < target.len() {
            return Err(DesignError::Margin {
                margin: name.clone(),
                message: format!("`{label}` appears twice in the population table"),
            }
            .into());
        }
        target.push(count);
    }
    let index: HashMap<&str, u32> = pop_labels
        .iter()
        .enumerate()
        .map(|(k, l)| (l.as_str(), k as u32))
        .collect();
    let (codes, sample_labels) = joint_codes(df, &table.columns, "margin category")?;
    let to_population: Vec<Option<u32>> = sample_labels
        .iter()
        .map(|l| index.get(l.as_str()).copied())
        .collect();
    if let Some(missing) = to_population.iter().position(Option::is_none) {
        let row = codes
            .iter()
            .position(|&c| c as usize == missing)
            .unwrap_or(0);
        return Err(DesignError::UnknownCategory {
            margin: name,
            value: sample_labels[missing].clone(),
            row,
        }
        .into());
    }
    // Invariant: a sample category without a population category is an error above.
    #[allow(clippy::expect_used)]
    let category = codes
        .iter()
        .map(|&c| to_population[c as usize].expect("checked above"))
        .collect();
    Ok(Margin {
        name,
        labels: pop_labels,
        category,
        target,
    })
}

/// Rakes the rows of `df` to the population tables. Returns the weights, the outcome and a
/// report per margin category (target, achieved, relative error, respondents).
pub fn rake_frame(
    df: &DataFrame,
    base: Option<&str>,
    tables: &[MarginTable],
    opts: &RakeOptions,
) -> Result<(RakeOutcome, DataFrame), Error> {
    if tables.is_empty() {
        return Err(DesignError::Parameter {
            parameter: "margins".into(),
            message: "give at least one population table".into(),
        }
        .into());
    }
    let base = base_weights(df, base)?;
    // Margins are coded on their own threads: hashing every row's category is the cost.
    let threads = crate::parallel::threads_for(df.height()).min(tables.len());
    let margins = crate::parallel::map_in_order(tables, threads, |t| margin(df, t))
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    let outcome = if opts.floor.is_none() && opts.cap.is_none() {
        rake_cells(&base, &margins, opts)?
    } else {
        rake(&base, &margins, opts)?
    };
    let report = margin_report(&margins, &outcome)?;
    Ok((outcome, report))
}

/// Raking without bounds multiplies every row of a joint cell (one category of each margin)
/// by the same factors, so it runs on the cells' weight sums and scales the rows at the
/// end: the same weights, with work independent of the number of rows.
fn rake_cells(base: &[f64], margins: &[Margin], opts: &RakeOptions) -> Result<RakeOutcome, Error> {
    // Joint cells are looked up in a table indexed by the mixed-radix key when the product
    // of the margins' sizes is small (the usual case), else hashed.
    let space = margins
        .iter()
        .try_fold(1u64, |p, m| p.checked_mul(m.target.len() as u64))
        .filter(|&p| p <= 1 << 22);
    let mut table = vec![u32::MAX; space.unwrap_or(0) as usize];
    let mut cell_of_key: HashMap<u64, u32, FixedState> =
        HashMap::with_hasher(FixedState::with_seed(11));
    let mut cell = Vec::with_capacity(base.len());
    let mut cell_base: Vec<f64> = Vec::new();
    let mut cell_categories: Vec<Vec<u32>> = vec![Vec::new(); margins.len()];
    for (row, &w) in base.iter().enumerate() {
        let key = margins.iter().fold(0u64, |k, m| {
            k.wrapping_mul(m.target.len() as u64)
                .wrapping_add(m.category[row] as u64)
        });
        let next = cell_base.len() as u32;
        let c = if space.is_some() {
            let slot = &mut table[key as usize];
            if *slot == u32::MAX {
                *slot = next;
            }
            *slot
        } else {
            *cell_of_key.entry(key).or_insert(next)
        };
        if c == next {
            cell_base.push(0.0);
            for (m, cats) in margins.iter().zip(cell_categories.iter_mut()) {
                cats.push(m.category[row]);
            }
        }
        cell_base[c as usize] += w;
        cell.push(c);
    }
    let collapsed: Vec<Margin> = margins
        .iter()
        .zip(cell_categories)
        .map(|(m, category)| Margin {
            name: m.name.clone(),
            labels: m.labels.clone(),
            category,
            target: m.target.clone(),
        })
        .collect();
    let mut outcome = rake(&cell_base, &collapsed, opts)?;
    let factor: Vec<f64> = outcome
        .weights
        .iter()
        .zip(&cell_base)
        .map(|(w, b)| if *b > 0.0 { w / b } else { 0.0 })
        .collect();
    outcome.weights = base
        .iter()
        .zip(&cell)
        .map(|(w, &c)| w * factor[c as usize])
        .collect();
    Ok(outcome)
}

fn margin_report(margins: &[Margin], outcome: &RakeOutcome) -> Result<DataFrame, Error> {
    let (mut name, mut category, mut target, mut achieved, mut error, mut n) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for (m, a) in margins.iter().zip(&outcome.achieved) {
        let mut count = vec![0u32; m.target.len()];
        for &c in &m.category {
            count[c as usize] += 1;
        }
        for k in 0..m.target.len() {
            name.push(m.name.clone());
            category.push(m.labels[k].clone());
            target.push(m.target[k]);
            achieved.push(a[k]);
            error.push(if m.target[k] > 0.0 {
                (a[k] - m.target[k]) / m.target[k]
            } else {
                0.0
            });
            n.push(count[k]);
        }
    }
    Ok(DataFrame::new(
        name.len(),
        vec![
            Column::new("margin".into(), name),
            Column::new("category".into(), category),
            Column::new("n".into(), n),
            Column::new("target".into(), target),
            Column::new("achieved".into(), achieved),
            Column::new("relative_error".into(), error),
        ],
    )?)
}

/// A numeric calibration variable: a finite value in every row.
fn complete_numbers(df: &DataFrame, name: &str) -> Result<Vec<f64>, Error> {
    let values = numbers(df, name, "calibration variable")?;
    if let Some(row) = values.iter().position(|v| !v.is_some_and(f64::is_finite)) {
        return Err(bad(
            name,
            row,
            "is empty or not a number; every row needs a value of a calibration variable",
        ));
    }
    Ok(values.into_iter().flatten().collect())
}

/// A numeric population total to calibrate to: a column and its total.
pub struct NumericTotal {
    pub column: String,
    pub total: f64,
}

/// The auxiliary model of `margins` and `numeric` columns over the rows of `df`, and the
/// population total of each model column (`population_size` for the intercept a model
/// without margins has).
fn calibration_model(
    df: &DataFrame,
    margins: &[Margin],
    numeric: &[NumericTotal],
    population_size: Option<f64>,
) -> Result<(Model, Vec<f64>), Error> {
    let mut columns = Vec::with_capacity(numeric.len());
    for n in numeric {
        columns.push(complete_numbers(df, &n.column)?);
    }
    let levels: Vec<usize> = margins.iter().map(|m| m.target.len()).collect();
    let categories = margins.iter().map(|m| m.category.clone()).collect();
    let model = Model::new(categories, &levels, columns);
    let mut targets = vec![0.0; model.columns()];
    for (m, margin) in margins.iter().enumerate() {
        for (c, &t) in margin.target.iter().enumerate() {
            if let Some(k) = model.margin_column(m, c) {
                targets[k] = t;
            }
        }
    }
    for (j, n) in numeric.iter().enumerate() {
        targets[model.numeric_column(j)] = n.total;
    }
    if let Some(k) = model.intercept_column() {
        targets[k] = population_size.ok_or_else(|| {
            Error::from(DesignError::Parameter {
                parameter: "population_size".into(),
                message: "calibrating to numeric totals only needs the population size (the number of people the weights should add up to)".into(),
            })
        })?;
    }
    Ok((model, targets))
}

/// Calibrates the rows of `df` to population margins and numeric totals. Returns the
/// outcome and a report per margin category and numeric total (target, achieved, relative
/// error, respondents).
pub fn calibrate_frame(
    df: &DataFrame,
    base: Option<&str>,
    tables: &[MarginTable],
    numeric: &[NumericTotal],
    population_size: Option<f64>,
    opts: &CalibrateOptions,
) -> Result<(Calibrated, DataFrame), Error> {
    if tables.is_empty() && numeric.is_empty() {
        return Err(DesignError::Parameter {
            parameter: "margins".into(),
            message: "give at least one population table (margins) or numeric total (totals)"
                .into(),
        }
        .into());
    }
    let base = base_weights(df, base)?;
    let margins = tables
        .iter()
        .map(|t| margin(df, t))
        .collect::<Result<Vec<_>, _>>()?;
    check_margins(&base, &margins)?;
    let (model, targets) = calibration_model(df, &margins, numeric, population_size)?;
    let outcome = calibrate(&base, &model, &targets, opts)?;
    let achieved = margins
        .iter()
        .map(|m| totals(&outcome.weights, m))
        .collect();
    let as_rake = RakeOutcome {
        weights: Vec::new(),
        iterations: outcome.iterations,
        max_error: outcome.max_error,
        trimmed: outcome.at_bound,
        achieved,
    };
    let mut report = margin_report(&margins, &as_rake)?;
    let reached = calibrate_totals(&model, &outcome.weights);
    for (j, n) in numeric.iter().enumerate() {
        let got = reached[model.numeric_column(j)];
        let row = df!(
            "margin" => [n.column.as_str()],
            "category" => ["(total)"],
            "n" => [df.height() as u32],
            "target" => [n.total],
            "achieved" => [got],
            "relative_error" => [(got - n.total) / n.total.abs().max(1e-300)],
        )?;
        report.vstack_mut(&row)?;
    }
    Ok((outcome, report))
}

/// The calibration model of weights calibrated to `margins` (groups of columns) and numeric
/// columns from `base`.
pub fn calibration_with_numeric(
    df: &DataFrame,
    base: Option<&str>,
    margins: &[Vec<String>],
    numeric: &[String],
) -> Result<Calibration, Error> {
    let base = weights(df, base)?;
    let mut categories = Vec::new();
    let mut levels = Vec::new();
    for m in margins {
        let (idx, names) = joint_codes(df, m, "calibration category")?;
        categories.push(idx);
        levels.push(names.len());
    }
    let mut columns = Vec::with_capacity(numeric.len());
    for name in numeric {
        columns.push(complete_numbers(df, name)?);
    }
    Ok(Calibration::with_model(
        base,
        Model::new(categories, &levels, columns),
    )?)
}

/// Nonresponse adjustment by weighting classes (`super::nonresponse`): the adjusted weights
/// of the responding rows (in row order) and a report per class (its keys, sampled and
/// responding rows, weighted response rate, factor).
pub fn nonresponse_frame(
    df: &DataFrame,
    base: Option<&str>,
    responded: &str,
    classes: &[String],
) -> Result<(Vec<f64>, DataFrame), Error> {
    let base = base_weights(df, base)?;
    let flags = numbers(df, responded, "response indicator")?;
    let mut answered = Vec::with_capacity(flags.len());
    for (row, v) in flags.iter().enumerate() {
        match v {
            Some(v) if *v == 0.0 || *v == 1.0 => answered.push(*v == 1.0),
            _ => {
                return Err(bad(
                    responded,
                    row,
                    "must be true/false (or 1/0) for every sampled row: did this person respond?",
                ))
            }
        }
    }
    let groups = group_rows(df, classes)?;
    let labels: Vec<String> = key_texts(&groups.keys)?
        .into_iter()
        .map(|k| {
            k.into_iter()
                .map(|v| v.unwrap_or_else(|| "(empty)".into()))
                .collect::<Vec<_>>()
                .join(" × ")
        })
        .collect();
    let counts = class_counts(&base, &answered, &groups.group_of_row, groups.len());
    let adjusted = adjust_by_class(&base, &answered, &groups.group_of_row, &counts, &labels)?;
    let rows: Vec<usize> = (0..counts.len()).collect();
    let report = Table::new(&rows)
        .keys(&groups.keys, |&c| Some(c))?
        .count("n_sampled", |&c| Some(counts[c].sampled))
        .count("n_responded", |&c| Some(counts[c].responded))
        .float("response_rate", |&c| {
            Some(counts[c].responded_weight / counts[c].sampled_weight)
        })
        .float("factor", |&c| Some(counts[c].factor()))
        .finish()?;
    Ok((adjusted, report))
}

/// The calibration model of weights raked to `margins` (groups of columns) from `base`.
pub fn calibration_from_frame(
    df: &DataFrame,
    base: Option<&str>,
    margins: &[Vec<String>],
) -> Result<Calibration, Error> {
    calibration_with_numeric(df, base, margins, &[])
}

pub struct EstimateSpec {
    pub variables: Vec<String>,
    pub by: Vec<String>,
    pub statistic: Statistic,
    pub confidence: f64,
    pub min_group: usize,
    /// The interval of shares; `None`: logit for shares (R `svyciprop`'s default), the
    /// symmetric t interval for means and totals (the only one they have).
    pub ci_method: Option<ShareInterval>,
    /// Finite-population factor and critical values (R's, or the People Survey's with
    /// normal quantiles).
    pub convention: Convention,
    /// The quantile's `p` (0.5: the median) when `statistic` is `Quantile`.
    pub quantile: f64,
}

impl EstimateSpec {
    /// The interval of every row of the table, checked against the statistic.
    fn intervals(&self, df: f64) -> Result<IntervalSpec, Error> {
        // Checks the confidence level and the degrees of freedom, naming the parameter.
        t_critical(self.confidence, df)?;
        if self.statistic == Statistic::Quantile && !(self.quantile > 0.0 && self.quantile < 1.0) {
            return Err(DesignError::Parameter {
                parameter: "quantile".into(),
                message: format!(
                    "must be between 0 and 1, exclusive (0.5 for the median; 0 and 1 would publish one person's answer, the smallest or largest), got {}",
                    self.quantile
                ),
            }
            .into());
        }
        let method = match (self.statistic, self.ci_method) {
            (Statistic::Proportion, None) => self.convention.default_share_interval(),
            (Statistic::Proportion, Some(method)) => method,
            (_, None | Some(ShareInterval::Mean)) => ShareInterval::Mean,
            (statistic, Some(other)) => {
                return Err(DesignError::Parameter {
                    parameter: "ci_method".into(),
                    message: format!(
                        "{:?} is an interval for shares; with statistic=\"{}\" leave ci_method out (or give \"mean\"), or estimate statistic=\"proportion\"",
                        crate::choice::Choice::as_str(other),
                        crate::choice::Choice::as_str(statistic)
                    ),
                }
                .into())
            }
        };
        Ok(IntervalSpec {
            method,
            confidence: self.confidence,
            df,
        })
    }
}

/// Domains: the whole sample (level 0, no key) and each group of `by` (level 1, its row of
/// `keys`), grouped as every output groups: keys in their dtype, a null key its own group.
pub(super) struct Domains {
    pub keys: DataFrame,
    pub key_of: Vec<Option<usize>>,
    /// Each row's domain after the whole sample (1, 2, …); 0 without `by`.
    pub group: Vec<u32>,
}

impl Domains {
    /// Domains in all, the whole sample included.
    pub fn count(&self) -> usize {
        self.key_of.len()
    }

    /// Which rows are in domain `d` (0: the whole sample).
    pub fn mask(&self, d: usize) -> Vec<bool> {
        match d {
            0 => vec![true; self.group.len()],
            _ => self.group.iter().map(|&g| g as usize == d).collect(),
        }
    }

    /// Rows in each domain, the whole sample first.
    pub fn sizes(&self) -> Vec<u64> {
        let mut sizes = vec![0u64; self.count()];
        sizes[0] = self.group.len() as u64;
        self.group
            .iter()
            .filter(|&&g| g > 0)
            .for_each(|&g| sizes[g as usize] += 1);
        sizes
    }
}

fn domains(df: &DataFrame, by: &[String]) -> Result<Domains, Error> {
    if by.is_empty() {
        return Ok(Domains {
            keys: DataFrame::empty_with_height(1),
            key_of: vec![None],
            group: vec![0; df.height()],
        });
    }
    let groups = group_rows(df, by)?;
    let count = groups.keys.height();
    Ok(Domains {
        key_of: std::iter::once(None).chain((0..count).map(Some)).collect(),
        group: groups.group_of_row.iter().map(|&g| g + 1).collect(),
        keys: groups.keys,
    })
}

/// Which domains (the whole sample first) are blanked, by the publication layer's engine on
/// the counts a domain table publishes: respondents per domain and answers per variable.
fn domain_blanks(
    domains: &Domains,
    estimates: &[Vec<Option<super::estimate::DomainEstimate>>],
    min_group: usize,
) -> CountBlanks {
    let sizes = domains.sizes();
    let respondents: Vec<u64> = sizes[1..].to_vec();
    let answers: Vec<Vec<u64>> = estimates
        .iter()
        .map(|per| {
            per[1..]
                .iter()
                .map(|e| e.map_or(0, |e| e.n as u64))
                .collect()
        })
        .collect();
    let thresholds = Thresholds {
        min_group: min_group as u64,
        min_distribution: min_group as u64,
    };
    if respondents.is_empty() {
        // The whole sample alone: blank only when it is itself too small.
        let n = sizes[0] as usize;
        return CountBlanks {
            row: vec![n < min_group],
            variable: estimates
                .iter()
                .map(|per| vec![per[0].is_some_and(|e| e.n < min_group)])
                .collect(),
        };
    }
    protect_counts(&respondents, &answers, true, thresholds)
}

/// Each variable of `spec` estimated in the whole sample and each domain of its `by`
/// (`estimates[variable][domain]`, the whole sample first), and which are blanked.
pub(super) struct DomainEstimates {
    pub domains: Domains,
    pub estimates: Vec<Vec<Option<DomainEstimate>>>,
    /// Woodruff intervals of quantiles, `[variable][domain]` (empty for other statistics).
    pub quantile_intervals: Vec<Vec<Interval>>,
    /// Degrees of freedom of each domain's intervals (the whole sample first).
    pub df: Vec<f64>,
    pub blank: CountBlanks,
    /// Replicates left out of each variance (undefined there), `[variable][domain]`;
    /// empty without replicate weights.
    pub dropped: Vec<Vec<usize>>,
    /// With replicate weights, the SE of each share's logit from the replicates' logits,
    /// `[variable][domain]` (for the logit interval); empty otherwise.
    pub logit_se: Vec<Vec<Option<f64>>>,
}

/// An interval's ends; either may be missing (a quantile's end beyond the data).
type Interval = (Option<f64>, Option<f64>);

impl DomainEstimates {
    pub fn blanked(&self, variable: usize, domain: usize) -> bool {
        self.blank.row[domain] || self.blank.variable[variable][domain]
    }
}

pub(super) fn estimate_domains(
    df: &DataFrame,
    design: &Design,
    calibration: Option<&Calibration>,
    spec: &EstimateSpec,
) -> Result<DomainEstimates, Error> {
    let domains = domains(df, &spec.by)?;
    if let Some(reps) = &design.replicates {
        return replicate_domains(df, design, reps, spec, domains);
    }
    // Without calibration every domain comes from one pass over the rows; calibrated
    // variances regress each domain's linearised variable on the margins, one at a time.
    let one_pass = calibration.is_none() && spec.statistic != Statistic::Quantile;
    let route = DomainRoute::new(design, &domains.group, domains.count(), one_pass);
    let share = matches!(spec.statistic, Statistic::Proportion | Statistic::Quantile);
    let degrees: Vec<f64> = if spec.convention.normal(share) {
        vec![f64::INFINITY; domains.count()]
    } else {
        route.degrees_of_freedom(design)
    };
    let parts = if one_pass {
        Some(VarianceParts::new(
            design,
            spec.convention,
            spec.statistic == Statistic::Proportion,
        )?)
    } else {
        None
    };
    let mut estimates = Vec::with_capacity(spec.variables.len());
    let mut quantile_intervals = Vec::new();
    for var in &spec.variables {
        let y = variable_values(df, var, spec.statistic)?;
        if let Some(parts) = &parts {
            estimates.push(route.all_domains(design, &domains.group, parts, &y, spec.statistic));
            continue;
        }
        if spec.statistic == Statistic::Quantile {
            let mut per_domain = Vec::with_capacity(domains.count());
            let mut intervals = Vec::with_capacity(domains.count());
            for (d, &df) in degrees.iter().enumerate() {
                let at = (spec.quantile, spec.confidence, df);
                let mask = domains.mask(d);
                let q = domain_quantile(design, calibration, &y, &mask, at, spec.convention)?;
                intervals.push(q.as_ref().map_or((None, None), |q| q.interval));
                per_domain.push(q.map(|q| q.estimate));
            }
            estimates.push(per_domain);
            quantile_intervals.push(intervals);
            continue;
        }
        let per_domain = (0..domains.count())
            .map(|d| {
                domain_estimate(
                    design,
                    calibration,
                    &y,
                    &domains.mask(d),
                    spec.statistic,
                    spec.convention,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        estimates.push(per_domain);
    }
    let blank = domain_blanks(&domains, &estimates, spec.min_group);
    Ok(DomainEstimates {
        domains,
        estimates,
        quantile_intervals,
        df: degrees,
        blank,
        dropped: Vec::new(),
        logit_se: Vec::new(),
    })
}

/// How every domain is reached in one pass: per-(domain, cluster) sums when they are
/// few, rows ordered by domain, stratum and cluster otherwise.
enum DomainRoute {
    Cells(DomainCells),
    Ordered(DomainOrder),
}

impl DomainRoute {
    /// `cells_allowed`: the variances need only cluster totals (no calibration residuals,
    /// no quantiles, which read rows in order).
    fn new(design: &Design, group: &[u32], count: usize, cells_allowed: bool) -> Self {
        let cells = cells_allowed
            .then(|| DomainCells::new(design, group, count))
            .flatten();
        match cells {
            Some(cells) => DomainRoute::Cells(cells),
            None => DomainRoute::Ordered(DomainOrder::new(design, group, count)),
        }
    }

    fn degrees_of_freedom(&self, design: &Design) -> Vec<f64> {
        match self {
            DomainRoute::Cells(cells) => cells.degrees_of_freedom(),
            DomainRoute::Ordered(order) => order.degrees_of_freedom(design),
        }
    }

    fn all_domains(
        &self,
        design: &Design,
        group: &[u32],
        parts: &VarianceParts,
        y: &[Option<f64>],
        statistic: Statistic,
    ) -> Vec<Option<DomainEstimate>> {
        match self {
            DomainRoute::Cells(cells) => cells.all_domains(design, group, parts, y, statistic),
            DomainRoute::Ordered(order) => {
                let mut out = all_domains(design, order, parts, y, statistic);
                // The whole sample as the sums route takes it (row order), so its figures
                // are the same bits whichever route a table's domains take.
                let none = vec![0u32; group.len()];
                if let Some(whole) = DomainCells::new(design, &none, 1) {
                    out[0] = whole.all_domains(design, &none, parts, y, statistic)[0];
                }
                out
            }
        }
    }
}

/// [`estimate_domains`] with replicate weights: each estimate recomputed with every
/// replicate's weights, the variance from their spread (`Replicates::variance`), intervals
/// on the replicates' degrees of freedom; a quantile's Woodruff interval takes the
/// replicate SE of the share below it (R `svyquantile` on a replicate design).
fn replicate_domains(
    df: &DataFrame,
    design: &Design,
    reps: &Replicates,
    spec: &EstimateSpec,
    domains: Domains,
) -> Result<DomainEstimates, Error> {
    let share = matches!(spec.statistic, Statistic::Proportion | Statistic::Quantile);
    let dof = if spec.convention.normal(share) {
        f64::INFINITY
    } else {
        reps.df
    };
    let mut estimates = Vec::with_capacity(spec.variables.len());
    let mut quantile_intervals = Vec::new();
    let mut dropped = Vec::with_capacity(spec.variables.len());
    let mut logit_se = Vec::new();
    let order = DomainOrder::new(design, &domains.group, domains.count());
    let masks: Vec<Vec<bool>> = if spec.statistic == Statistic::Quantile {
        (0..domains.count()).map(|d| domains.mask(d)).collect()
    } else {
        Vec::new()
    };
    for var in &spec.variables {
        let y = variable_values(df, var, spec.statistic)?;
        let mut left_out = vec![0; domains.count()];
        if spec.statistic == Statistic::Quantile {
            let mut per_domain = Vec::with_capacity(domains.count());
            let mut intervals = Vec::with_capacity(domains.count());
            for (mask, left) in masks.iter().zip(left_out.iter_mut()) {
                let at = (spec.quantile, spec.confidence, dof);
                let q = woodruff(design, &y, mask, at, |below| {
                    // The domain as group 1 of 2 (0: the whole sample).
                    let inside: Vec<u32> = mask.iter().map(|&m| u32::from(m)).collect();
                    let values =
                        replicate_estimates(reps, below, &inside, 2, Statistic::Proportion);
                    Ok(domain_estimate_with(
                        design,
                        below,
                        mask,
                        Statistic::Proportion,
                        |e| {
                            let (v, k) = reps.variance(e, &values[1]);
                            *left = k;
                            v
                        },
                    ))
                })?;
                intervals.push(q.as_ref().map_or((None, None), |q| q.interval));
                per_domain.push(q.map(|q| q.estimate));
            }
            estimates.push(per_domain);
            quantile_intervals.push(intervals);
            dropped.push(left_out);
            continue;
        }
        let values = replicate_estimates(reps, &y, &domains.group, domains.count(), spec.statistic);
        let total = spec.statistic == Statistic::Total;
        let per_domain = all_domains_with(design, &order, &y, spec.statistic, |d, mean, sw| {
            let estimate = if total { mean * sw } else { mean };
            let (v, k) = reps.variance(estimate, &values[d]);
            left_out[d] = k;
            v
        });
        if spec.statistic == Statistic::Proportion {
            let logit_of = |(e, v): (&Option<DomainEstimate>, &Vec<Option<f64>>)| {
                e.and_then(|e| replicate_logit_se(reps, e.estimate, v))
            };
            logit_se.push(per_domain.iter().zip(&values).map(logit_of).collect());
        }
        estimates.push(per_domain);
        dropped.push(left_out);
    }
    let blank = domain_blanks(&domains, &estimates, spec.min_group);
    Ok(DomainEstimates {
        df: vec![dof; domains.count()],
        domains,
        estimates,
        quantile_intervals,
        blank,
        dropped,
        logit_se,
    })
}

/// The replicate SE of the logit of share `p` (the replicates' logits, as `svyglm` on a
/// replicate design); `None` when the share or a replicate's share is 0 or 1.
fn replicate_logit_se(reps: &Replicates, p: f64, shares: &[Option<f64>]) -> Option<f64> {
    let logit = |p: f64| (p > 0.0 && p < 1.0).then(|| (p / (1.0 - p)).ln());
    let logits: Vec<Option<f64>> = shares.iter().map(|s| s.and_then(logit)).collect();
    if logits
        .iter()
        .zip(shares)
        .any(|(l, s)| l.is_none() && s.is_some())
    {
        return None;
    }
    Some(reps.variance(logit(p)?, &logits).0.sqrt())
}

/// The variable's values, checked for the statistic.
pub(super) fn variable_values(
    df: &DataFrame,
    name: &str,
    statistic: Statistic,
) -> Result<Vec<Option<f64>>, Error> {
    let y = numbers(df, name, "variable")?;
    check_variable(&y, name, statistic)?;
    Ok(y)
}

/// Design-based estimates of each variable in the whole sample and each domain.
pub fn design_estimate_frame(
    df: &DataFrame,
    design: &Design,
    calibration: Option<&Calibration>,
    spec: &EstimateSpec,
) -> Result<DataFrame, Error> {
    let intervals = spec.intervals(design.degrees_of_freedom())?;
    let DomainEstimates {
        domains,
        estimates,
        quantile_intervals,
        df,
        blank,
        dropped,
        logit_se,
    } = estimate_domains(df, design, calibration, spec)?;
    let spec_statistic = spec.statistic;
    let mut rows = Vec::new();
    for (v, var) in spec.variables.iter().enumerate() {
        for (d, est) in estimates[v].iter().enumerate() {
            let blanked = blank.row[d] || blank.variable[v][d];
            let estimate = est.filter(|_| !blanked);
            // Each domain's interval with its own degrees of freedom.
            let spec = IntervalSpec {
                df: df[d],
                ..intervals
            };
            let interval = match estimate {
                None => (None, None),
                Some(_) if spec_statistic == Statistic::Quantile => quantile_intervals[v][d],
                Some(e) if spec.method == ShareInterval::Logit && !logit_se.is_empty() => logit_se
                    [v][d]
                    .and_then(|se| logit_interval(&spec, e.estimate, se))
                    .map_or((None, None), |(low, high)| (Some(low), Some(high))),
                Some(e) => share_interval(&spec, e.estimate, e.se, e.n)
                    .map_or((None, None), |(low, high)| (Some(low), Some(high))),
            };
            rows.push(DomainRow {
                key: domains.key_of[d],
                variable: var,
                estimate,
                interval,
                df: df[d],
                flag: estimate.and_then(|e| presentation_flags(spec_statistic, &e, df[d])),
                suppressed: blanked,
                empty: est.is_none(),
                dropped_replicates: dropped.get(v).map_or(0, |per| per[d]),
            });
        }
    }
    domain_table(&rows, &domains.keys, spec.statistic)
}

fn check_variable(y: &[Option<f64>], name: &str, statistic: Statistic) -> Result<(), Error> {
    for (row, v) in y.iter().enumerate() {
        match v {
            Some(v) if !v.is_finite() => {
                return Err(bad(name, row, format!("{v} is not a number")))
            }
            Some(v) if statistic == Statistic::Proportion && *v != 0.0 && *v != 1.0 => {
                return Err(bad(
                    name,
                    row,
                    format!("is {v}; a proportion needs 0/1 (or true/false) values"),
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// One row of a domain table: a variable in the whole sample (`key` None) or a domain.
struct DomainRow<'a> {
    key: Option<usize>,
    variable: &'a str,
    estimate: Option<DomainEstimate>,
    /// Missing ends on a shown row: the method has no interval there (a share of 0 or 1,
    /// a quantile's end beyond the data).
    interval: Interval,
    /// The domain's degrees of freedom (of its intervals).
    df: f64,
    /// NCHS presentation flags of a shown estimate (`super::flags`).
    flag: Option<String>,
    suppressed: bool,
    empty: bool,
    /// Replicates whose estimate was undefined here (no weight left in the domain).
    dropped_replicates: usize,
}

fn domain_table(
    rows: &[DomainRow],
    keys: &DataFrame,
    statistic: Statistic,
) -> Result<DataFrame, Error> {
    let est = |get: fn(&DomainEstimate) -> f64| move |r: &DomainRow| r.estimate.map(|e| get(&e));
    Table::new(rows)
        .level(|r| r.key.is_some() as u32)
        .keys(keys, |r| r.key)?
        .text("variable", |r| Some(r.variable))
        .text("statistic", |_| {
            Some(crate::choice::Choice::as_str(statistic))
        })
        .float("estimate", est(|e| e.estimate))
        .finite_float("se", est(|e| e.se))
        .float("ci_low", |r| r.interval.0)
        .float("ci_high", |r| r.interval.1)
        .count("n", |r| r.estimate.map(|e| e.n as u64))
        .float("n_eff", est(|e| e.n_eff))
        .finite_float("deff", est(|e| e.deff))
        .finite_float("deff_replace", est(|e| e.deff_replace))
        // Shown with the estimate only: a blank is bare.
        .float("df", |r| {
            r.estimate.map(|_| r.df).filter(|df| df.is_finite())
        })
        .owned_text("flag", |r| r.flag.clone())
        .suppressed(|r| r.suppressed)
        // A blank is bare: no reason.
        .owned_text("note", |r| {
            if r.empty && !r.suppressed {
                Some("no answers".to_string())
            } else if r.estimate.is_some() && statistic == Statistic::Quantile {
                (r.interval.0.is_none() || r.interval.1.is_none())
                    .then(|| NO_QUANTILE_END.to_string())
            } else if r.estimate.is_some() && r.interval == (None, None) {
                Some(NO_INTERVAL.to_string())
            } else if r.estimate.is_some() && r.dropped_replicates > 0 {
                Some(format!(
                    "left out of the variance: {} {DROPPED_REPLICATES}",
                    r.dropped_replicates
                ))
            } else {
                None
            }
        })
        .finish()
}

/// The note of an estimate some replicates could not give (R drops them with a warning).
const DROPPED_REPLICATES: &str =
    "replicate(s) with no weight in this domain (as R svrVar drops them)";

/// The note of a quantile whose Woodruff interval has an end beyond the data.
const NO_QUANTILE_END: &str =
    "an end of the interval is missing: the interval of the share below the quantile leaves [0, 1]";

/// The note of a share at 0 or 1 (or without variance) on a scale that has no interval there.
const NO_INTERVAL: &str =
    "no interval: the share is 0 or 1 (or has no variance) on this ci_method's scale; ci_method=\"beta\" gives one";
