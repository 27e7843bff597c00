//! Comparisons between domains of one design: the difference of two domains' estimates with
//! its design-based standard error (R `svycontrast` of `svyby(..., covmat = TRUE)`), a t
//! test and an interval, p-values adjusted across the comparisons of a variable.
//!
//! Degrees of freedom: the design's (clusters − strata) less one per further domain compared,
//! `degf − (k − 1)` for k domains, as in R `svyglm(y ~ domain)` (whose coefficients are these
//! differences); for two domains exactly `svyttest(y ~ domain, design)`. Under the People
//! Survey convention the normal. Pairs with a blanked domain (the publication layer's
//! blanks of `design_estimate` for the same variables) are blank themselves: a difference
//! with a shown domain would give the blanked estimate back.

use super::calibration::Calibration;
use super::estimate::{domain_difference, DomainEstimate, Statistic};
use super::frame::{estimate_domains, variable_values, DomainEstimates, Domains, EstimateSpec};
use super::Design;
use crate::error::{DesignError, Error};
use crate::estimate::stats::{two_sided_quantile, Convention};
use crate::followup::compare::Adjust;
use crate::publish::groups::{key_texts, key_value_text};
use crate::publish::table::Table;
use polars::prelude::*;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

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
    let found = estimate_domains(df, design, calibration, spec)?;
    let pairs = pairs_to_compare(&found, spec, contrast)?;
    let degrees = degrees_of_freedom(design, &found, spec.convention);
    let mut rows = Vec::with_capacity(pairs.len() * spec.variables.len());
    for (v, variable) in spec.variables.iter().enumerate() {
        let y = variable_values(df, variable, spec.statistic)?;
        let first = rows.len();
        for &(a, b) in &pairs {
            let suppressed = found.blanked(v, a) || found.blanked(v, b);
            let estimates = found.estimates[v][a].zip(found.estimates[v][b]);
            let difference = match estimates {
                Some(_) if !suppressed => {
                    let masks = (&found.domains.masks[a][..], &found.domains.masks[b][..]);
                    domain_difference(
                        design,
                        calibration,
                        &y,
                        masks,
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
    let domains = found.domains.masks.len();
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
fn degrees_of_freedom(design: &Design, found: &DomainEstimates, convention: Convention) -> f64 {
    if convention == Convention::PeopleSurvey {
        return f64::INFINITY;
    }
    let domains = found.domains.masks[1..]
        .iter()
        .filter(|m| m.iter().any(|&inside| inside))
        .count();
    (design.degrees_of_freedom() - (domains as f64 - 1.0)).max(1.0)
}

fn test(difference: f64, se: f64, df: f64, confidence: f64) -> Result<Tested, Error> {
    let q = two_sided_quantile(confidence, df).ok_or_else(|| {
        parameter(
            "confidence",
            &format!("must be between 0 and 1 (e.g. 0.95), got {confidence}"),
        )
    })?;
    let t = difference / se;
    let tail = if df.is_finite() {
        StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |d| d.sf(t.abs()))
    } else {
        Normal::standard().sf(t.abs())
    };
    Ok(Tested {
        difference,
        se,
        df,
        t,
        p_value: 2.0 * tail,
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
        .float("t", tested(|t| t.t))
        .float("p_value", tested(|t| t.p_value))
        .float("p_adjusted", |r| r.p_adjusted)
        .float("ci_low", tested(|t| t.ci.0))
        .float("ci_high", tested(|t| t.ci.1))
        .suppressed(|r| r.suppressed)
        .finish()
}
