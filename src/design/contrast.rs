//! Comparisons between domains of one design: the difference of two domains' estimates with
//! its design-based standard error (R `svycontrast` of `svyby(..., covmat = TRUE)`), a t
//! test and an interval, p-values adjusted across the comparisons of a variable; and the
//! Rao–Scott test of independence of two categorical columns (`super::chisq`).
//!
//! Degrees of freedom: the design's (clusters − strata) less one per further domain compared,
//! `degf − (k − 1)` for k domains, as in R `svyglm(y ~ domain)` (whose coefficients are these
//! differences); for two domains exactly `svyttest(y ~ domain, design)`. Under the People
//! Survey convention the normal. Pairs with a blanked domain (the publication layer's
//! blanks of `design_estimate` for the same variables) are blank themselves: a difference
//! with a shown domain would give the blanked estimate back.

use super::calibration::Calibration;
use super::chisq::{rao_scott, RaoScott};
use super::estimate::{domain_difference, joint_means, DomainEstimate, Statistic};
use super::frame::{estimate_domains, variable_values, DomainEstimates, Domains, EstimateSpec};
use super::replicate::replicate_estimates;
use super::Design;
use crate::error::{DesignError, Error};
use crate::estimate::stats::{two_sided_p, two_sided_quantile, Convention};
use crate::followup::compare::Adjust;
use crate::publish::groups::{group_rows, key_texts, key_value_text};
use crate::publish::publication::{protect_counts, Thresholds};
use crate::publish::table::Table;
use polars::prelude::*;

/// What a comparison adds to the estimate's options.
pub struct ContrastSpec {
    /// Compare every domain with this one (a value of the single `by` column); `None`:
    /// every pair of domains.
    pub reference: Option<String>,
    pub adjust: Adjust,
}

/// One comparison: domain `a` minus domain `b` (positions among the domains, the whole
/// sample being 0).
struct Pair<'a> {
    variable: &'a str,
    a: usize,
    b: usize,
    estimates: Option<(DomainEstimate, DomainEstimate)>,
    difference: Option<Tested>,
    p_adjusted: Option<f64>,
    suppressed: bool,
}

#[derive(Clone, Copy)]
struct Tested {
    difference: f64,
    se: f64,
    df: f64,
    t: f64,
    p_value: f64,
    ci: (f64, f64),
}

/// Compares the domains of `spec.by` for each variable of `spec`.
/// Refuses a design with replicate weights where only linearised variances are built
/// (the Rao–Scott test).
fn taylor_only(design: &Design, function: &str) -> Result<(), Error> {
    if design.replicates.is_some() {
        return Err(parameter(
            "design",
            &format!("{function} uses linearised (Taylor) variances and does not take replicate weights yet; pass the design without replicates (strata, psu, fpc)"),
        ));
    }
    Ok(())
}

pub fn design_compare_frame(
    df: &DataFrame,
    design: &Design,
    calibration: Option<&Calibration>,
    spec: &EstimateSpec,
    contrast: &ContrastSpec,
) -> Result<DataFrame, Error> {
    if spec.by.is_empty() {
        return Err(parameter(
            "by",
            "name the domain column(s) to compare (e.g. by=\"sex\")",
        ));
    }
    if spec.statistic == Statistic::Quantile {
        return Err(parameter(
            "statistic",
            "domains are compared by means, totals or proportions; \"quantile\" has no linearised difference here",
        ));
    }
    let found = estimate_domains(df, design, calibration, spec)?;
    let pairs = pairs_to_compare(&found, spec, contrast)?;
    let degrees = degrees_of_freedom(design, &found, spec.convention, spec.statistic);
    let mut rows = Vec::with_capacity(pairs.len() * spec.variables.len());
    for (v, variable) in spec.variables.iter().enumerate() {
        let y = variable_values(df, variable, spec.statistic)?;
        // With replicate weights each replicate's difference, instead of linearisation.
        let replicated = design.replicates.as_ref().map(|reps| {
            let domains = &found.domains;
            (
                reps,
                replicate_estimates(reps, &y, &domains.group, domains.count(), spec.statistic),
            )
        });
        let first = rows.len();
        for &(a, b) in &pairs {
            let suppressed = found.blanked(v, a) || found.blanked(v, b);
            let estimates = found.estimates[v][a].zip(found.estimates[v][b]);
            let difference = match estimates {
                Some((ea, eb)) if !suppressed && replicated.is_some() => replicated
                    .as_ref()
                    .map(|(reps, values)| {
                        let d = ea.estimate - eb.estimate;
                        let per_replicate: Vec<Option<f64>> = values[a]
                            .iter()
                            .zip(&values[b])
                            .map(|(x, y)| x.zip(*y).map(|(x, y)| x - y))
                            .collect();
                        test(
                            d,
                            reps.variance(d, &per_replicate).0.max(0.0).sqrt(),
                            degrees,
                            spec.confidence,
                        )
                    })
                    .transpose()?,
                Some(_) if !suppressed => {
                    let (mask_a, mask_b) = (found.domains.mask(a), found.domains.mask(b));
                    domain_difference(
                        design,
                        calibration,
                        &y,
                        (&mask_a, &mask_b),
                        spec.statistic,
                        spec.convention,
                    )?
                    .map(|(d, se)| test(d, se, degrees, spec.confidence))
                    .transpose()?
                }
                _ => None,
            };
            rows.push(Pair {
                variable,
                a,
                b,
                estimates: estimates.filter(|_| !suppressed),
                difference,
                p_adjusted: None,
                suppressed,
            });
        }
        adjust(&mut rows[first..], contrast.adjust);
    }
    comparison_table(&rows, &found.domains, &spec.by, spec.statistic)
}

fn parameter(name: &str, message: &str) -> Error {
    DesignError::Parameter {
        parameter: name.into(),
        message: message.into(),
    }
    .into()
}

/// The (a, b) pairs among the domains (positions 1.. of `found`): every pair, or every
/// domain against the reference.
fn pairs_to_compare(
    found: &DomainEstimates,
    spec: &EstimateSpec,
    contrast: &ContrastSpec,
) -> Result<Vec<(usize, usize)>, Error> {
    let domains = found.domains.count();
    let Some(reference) = &contrast.reference else {
        return Ok((1..domains)
            .flat_map(|a| (a + 1..domains).map(move |b| (a, b)))
            .collect());
    };
    if spec.by.len() != 1 {
        return Err(parameter(
            "reference",
            "compares with one domain of a single `by` column; give one column in `by`, or leave `reference` out to compare every pair",
        ));
    }
    let keys = &found.domains.keys;
    let wanted = key_value_text(reference, keys.column(&spec.by[0])?, "reference")?;
    let texts = key_texts(keys)?;
    let position = texts
        .iter()
        .position(|k| k[0].as_deref() == Some(wanted.as_str()))
        .ok_or_else(|| {
            let present: Vec<String> = texts.iter().flat_map(|k| k[0].clone()).collect();
            parameter(
                "reference",
                &format!(
                    "{reference:?} is not a value of `{}`; its values are {}",
                    spec.by[0],
                    present.join(", ")
                ),
            )
        })?;
    let reference = position + 1;
    Ok((1..domains)
        .filter(|&d| d != reference)
        .map(|d| (d, reference))
        .collect())
}

/// `degf − (k − 1)` for the k domains with rows (R `svyglm`'s residual df), at least 1;
/// infinite (the normal) under the People Survey convention.
fn degrees_of_freedom(
    design: &Design,
    found: &DomainEstimates,
    convention: Convention,
    statistic: Statistic,
) -> f64 {
    if convention.normal(statistic == Statistic::Proportion) {
        return f64::INFINITY;
    }
    let design_df = match &design.replicates {
        Some(reps) => reps.df,
        None => design.degrees_of_freedom(),
    };
    let domains = found.domains.sizes()[1..]
        .iter()
        .filter(|&&n| n > 0)
        .count();
    (design_df - (domains as f64 - 1.0)).max(1.0)
}

fn test(difference: f64, se: f64, df: f64, confidence: f64) -> Result<Tested, Error> {
    let q = two_sided_quantile(confidence, df).ok_or_else(|| {
        parameter(
            "confidence",
            &format!("must be between 0 and 1 (e.g. 0.95), got {confidence}"),
        )
    })?;
    // No sampling variance (a census, or answers all alike): the difference stands as it
    // is, without a test (t and p are left empty, not infinite).
    let t = if se > 0.0 { difference / se } else { f64::NAN };

    Ok(Tested {
        difference,
        se,
        df,
        t,
        p_value: two_sided_p(t, df),
        ci: (difference - q * se, difference + q * se),
    })
}

/// Adjusts the p-values of one variable's comparisons (those that were tested).
fn adjust(pairs: &mut [Pair], method: Adjust) {
    let tested: Vec<usize> = (0..pairs.len())
        .filter(|&i| pairs[i].difference.is_some_and(|d| d.p_value.is_finite()))
        .collect();
    let p: Vec<f64> = tested
        .iter()
        .filter_map(|&i| pairs[i].difference.map(|d| d.p_value))
        .collect();
    for (&i, q) in tested.iter().zip(method.apply(&p)) {
        pairs[i].p_adjusted = Some(q);
    }
}

fn comparison_table(
    rows: &[Pair],
    domains: &Domains,
    by: &[String],
    statistic: Statistic,
) -> Result<DataFrame, Error> {
    let keys = &domains.keys;
    let mut versus = keys.clone();
    for name in by {
        versus.rename(name, format!("{name}_versus").into())?;
    }
    let tested = |get: fn(&Tested) -> f64| move |r: &Pair| r.difference.as_ref().map(get);
    Table::new(rows)
        .keys(keys, |r| domains.key_of[r.a])?
        .keys(&versus, |r| domains.key_of[r.b])?
        .text("variable", |r| Some(r.variable))
        .text("statistic", |_| {
            Some(crate::choice::Choice::as_str(statistic))
        })
        .float("estimate", |r| r.estimates.map(|e| e.0.estimate))
        .float("estimate_versus", |r| r.estimates.map(|e| e.1.estimate))
        .float("difference", tested(|t| t.difference))
        .float("se", tested(|t| t.se))
        .float("df", |r| {
            r.difference.map(|t| t.df).filter(|df| df.is_finite())
        })
        .finite_float("t", tested(|t| t.t))
        .finite_float("p_value", tested(|t| t.p_value))
        .float("p_adjusted", |r| r.p_adjusted)
        .float("ci_low", tested(|t| t.ci.0))
        .float("ci_high", tested(|t| t.ci.1))
        .suppressed(|r| r.suppressed)
        .finish()
}

/// Most cells a test of independence takes (the covariance matrix is cells × cells).
const MAX_CELLS: usize = 1000;

/// What a test of independence is asked for.
pub struct ChisqSpec {
    pub row: String,
    pub column: String,
    pub min_group: usize,
}

/// One test's row: the counts and, unless blanked, the statistics.
struct ChisqRow<'a> {
    spec: &'a ChisqSpec,
    n: u64,
    excluded: u64,
    test: Option<RaoScott>,
    suppressed: bool,
}

/// Rao–Scott tests of independence of `row` and `column` under the design (R `svychisq`,
/// R's convention). Rows with a null in either are left out of the table (no answer) and
/// counted in `n_excluded`. The test is blank (bare) when the publication layer would
/// blank a count of the table — a row category or a cell too small for `min_group`: the
/// statistic is a function of the cells, and with the other published margins it could
/// give a small cell back.
pub fn design_chisq_frame(
    df: &DataFrame,
    design: &Design,
    calibration: Option<&Calibration>,
    spec: &ChisqSpec,
) -> Result<DataFrame, Error> {
    taylor_only(design, "design_chisq")?;
    let (row_of, rows) = answered_levels(df, &spec.row)?;
    let (col_of, cols) = answered_levels(df, &spec.column)?;
    if rows * cols > MAX_CELLS {
        return Err(parameter(
            "column",
            &format!(
                "`{}` × `{}` has {rows} × {cols} categories; a test of independence takes at most {MAX_CELLS} cells: group the categories first",
                spec.row, spec.column
            ),
        ));
    }
    let cell_of: Vec<Option<usize>> = row_of
        .iter()
        .zip(&col_of)
        .map(|(r, c)| Some(r.as_ref()? + rows * c.as_ref()?))
        .collect();
    let n = cell_of.iter().flatten().count() as u64;
    let mut out = ChisqRow {
        spec,
        n,
        excluded: df.height() as u64 - n,
        test: None,
        suppressed: table_is_blanked(&row_of, &col_of, (rows, cols), spec.min_group),
    };
    if !out.suppressed {
        let indicators: Vec<Vec<Option<f64>>> = (0..rows * cols)
            .map(|cell| {
                cell_of
                    .iter()
                    .map(|c| c.map(|c| (c == cell) as u8 as f64))
                    .collect()
            })
            .collect();
        let (p, v) = joint_means(design, calibration, &indicators, Convention::Survey)?;
        let nu = design.degrees_of_freedom();
        out.test = rao_scott(&p, &v, (rows, cols), n as f64, nu);
    }
    chisq_table(&out)
}

/// Each row's level of `name` (`None` for a null: no answer) and the number of levels,
/// in the one sort order of grouped outputs.
fn answered_levels(df: &DataFrame, name: &str) -> Result<(Vec<Option<usize>>, usize), Error> {
    let groups = group_rows(df, &[name.to_string()])?;
    let nulls = groups.keys.column(name)?.is_null();
    let level_of_group: Vec<Option<usize>> = {
        let mut next = 0;
        nulls
            .iter()
            .map(|null| {
                (null != Some(true)).then(|| {
                    next += 1;
                    next - 1
                })
            })
            .collect()
    };
    let levels = level_of_group.iter().flatten().count();
    let of_row = groups
        .group_of_row
        .iter()
        .map(|&g| level_of_group[g as usize])
        .collect();
    Ok((of_row, levels))
}

/// Whether the publication layer's engine blanks any count of the table: each row
/// category's respondents and, per column category, its cells (the counts a table of the
/// two would publish, under their total). Rows without an answer are a category of their
/// own on either side, since `n` and `n_excluded` count them.
fn table_is_blanked(
    row_of: &[Option<usize>],
    col_of: &[Option<usize>],
    (rows, cols): (usize, usize),
    min_group: usize,
) -> bool {
    // The "no answer" category only where some row has it (an empty one is no group).
    let rows = rows + row_of.iter().any(Option::is_none) as usize;
    let cols = cols + col_of.iter().any(Option::is_none) as usize;
    let mut counts = vec![0u64; rows * cols];
    for (r, c) in row_of.iter().zip(col_of) {
        let r = r.unwrap_or(rows - 1);
        let c = c.unwrap_or(cols - 1);
        counts[r + rows * c] += 1;
    }
    let respondents: Vec<u64> = (0..rows)
        .map(|r| (0..cols).map(|c| counts[r + rows * c]).sum())
        .collect();
    let answers: Vec<Vec<u64>> = (0..cols)
        .map(|c| (0..rows).map(|r| counts[r + rows * c]).collect())
        .collect();
    let thresholds = Thresholds {
        min_group: min_group as u64,
        min_distribution: min_group as u64,
    };
    let blank = protect_counts(&respondents, &answers, true, thresholds);
    blank.row.iter().any(|b| *b) || blank.variable.iter().flatten().any(|b| *b)
}

fn chisq_table(row: &ChisqRow) -> Result<DataFrame, Error> {
    let rows = std::slice::from_ref(row);
    let test = |get: fn(&RaoScott) -> f64| move |r: &ChisqRow| r.test.as_ref().map(get);
    let shown = |r: &ChisqRow| !r.suppressed;
    Table::new(rows)
        .text("row", |r| Some(r.spec.row.as_str()))
        .text("column", |r| Some(r.spec.column.as_str()))
        .count("n", |r| shown(r).then_some(r.n))
        .count("n_excluded", |r| shown(r).then_some(r.excluded))
        .float("pearson", test(|t| t.pearson))
        .float("f", test(|t| t.f))
        .float("ndf", test(|t| t.ndf))
        .float("ddf", test(|t| t.ddf))
        .float("p_value", test(|t| t.p_f))
        .float("chisq", test(|t| t.chisq))
        .float("df", test(|t| t.df))
        .float("p_chisq", test(|t| t.p_chisq))
        .suppressed(|r| r.suppressed)
        .text("note", |r| {
            (shown(r) && r.test.is_none()).then_some(
                "no test: fewer than two answered categories in a variable, a category answered only where the other column is empty, or no sampling variance",
            )
        })
        .finish()
}
