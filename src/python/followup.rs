//! Bindings of the yearly follow-up (`lyhord._followup`) and the combined index.

use super::errors::IntoPyResult;
use super::results::PyTargetStatus;
use crate::followup::actions::{
    combined_effect, detectable_change, pooled_effect, unit_effect, Effect, UnitChange,
};
use crate::followup::compare::Adjust;
use crate::followup::frame::{compare_frames, CompareOptions};
use pyo3::prelude::*;
use pyo3_polars::PyDataFrame;

#[pyfunction]
#[pyo3(signature = (earlier, later, unit_map, adjust, confidence))]
fn _compare_waves(
    py: Python<'_>,
    earlier: PyDataFrame,
    later: PyDataFrame,
    unit_map: Vec<(String, String)>,
    adjust: &str,
    confidence: f64,
) -> PyResult<PyDataFrame> {
    let adjust = adjust.parse::<Adjust>().py_err()?;
    let opts = CompareOptions {
        unit_map,
        adjust,
        confidence,
    };
    let out = py
        .detach(|| compare_frames(&earlier.0, &later.0, &opts))
        .py_err()?;
    Ok(PyDataFrame(out))
}

#[pyfunction]
#[pyo3(signature = (long, keys, sources, confidence))]
fn _combine(
    long: PyDataFrame,
    keys: Vec<String>,
    sources: Vec<(String, f64)>,
    confidence: f64,
) -> PyResult<PyDataFrame> {
    Ok(PyDataFrame(
        crate::combine::frame::combine_frame(&long.0, &keys, &sources, confidence).py_err()?,
    ))
}

/// Whether `target` is reached by `target_year` (`direction`: "at_least" or "at_most"),
/// from the published means and SEs of the years.
#[pyfunction]
#[pyo3(signature = (years, means, ses, target, target_year, direction))]
fn _target_status(
    years: Vec<f64>,
    means: Vec<f64>,
    ses: Vec<f64>,
    target: f64,
    target_year: f64,
    direction: &str,
) -> PyResult<PyTargetStatus> {
    use crate::followup::targets::{target_status, Direction, Point};
    let direction = direction.parse::<Direction>().py_err()?;
    let points: Vec<Point> = years
        .iter()
        .zip(&means)
        .zip(&ses)
        .map(|((&year, &mean), &se)| Point { year, mean, se })
        .collect();
    let s = target_status(&points, target, target_year, direction);
    Ok(PyTargetStatus {
        status: s.status,
        latest_year: s.latest_year,
        latest: s.latest,
        slope: s.slope,
        slope_se: s.slope_se,
        projected: s.projected,
    })
}

#[pyfunction]
fn _restate_wave(
    py: Python<'_>,
    earlier: PyDataFrame,
    later: PyDataFrame,
    unit_map: Vec<(String, String)>,
    confidence: f64,
    strict: bool,
) -> PyResult<PyDataFrame> {
    let out = py
        .detach(|| {
            crate::followup::restate::restate_frame(
                &earlier.0, &later.0, &unit_map, confidence, strict,
            )
        })
        .py_err()?;
    Ok(PyDataFrame(out))
}

/// A unit's change as Python passes it: (treated, change, covariates, sampling variance).
type ChangeTuple = (bool, f64, Vec<f64>, f64);
/// estimate, se, df, ci_low, ci_high, p.
type EffectTuple = (f64, f64, f64, f64, f64, f64);

fn to_change((treated, change, covariates, sampling_var): ChangeTuple) -> UnitChange {
    UnitChange {
        treated,
        change,
        covariates,
        sampling_var,
    }
}

fn to_tuple(e: Effect) -> EffectTuple {
    (e.estimate, e.se, e.df, e.ci_low, e.ci_high, e.p)
}

/// The pooled effect of an action (`followup::actions::pooled_effect`).
#[pyfunction]
fn _pooled_effect(units: Vec<ChangeTuple>, confidence: f64) -> PyResult<EffectTuple> {
    let units: Vec<UnitChange> = units.into_iter().map(to_change).collect();
    Ok(to_tuple(pooled_effect(&units, confidence).py_err()?))
}

/// One unit's effect against the comparison units (`followup::actions::unit_effect`).
#[pyfunction]
fn _unit_effect(
    unit: ChangeTuple,
    comparisons: Vec<ChangeTuple>,
    confidence: f64,
) -> PyResult<EffectTuple> {
    let comparisons: Vec<UnitChange> = comparisons.into_iter().map(to_change).collect();
    Ok(to_tuple(
        unit_effect(&to_change(unit), &comparisons, confidence).py_err()?,
    ))
}

/// Staggered cohorts of one action combined (`followup::actions::combined_effect`).
#[pyfunction]
fn _combined_effect(cohorts: Vec<(EffectTuple, f64)>, confidence: f64) -> PyResult<EffectTuple> {
    let cohorts: Vec<(Effect, f64)> = cohorts
        .into_iter()
        .map(|((estimate, se, df, ci_low, ci_high, p), w)| {
            let e = Effect {
                estimate,
                se,
                df,
                ci_low,
                ci_high,
                p,
            };
            (e, w)
        })
        .collect();
    Ok(to_tuple(combined_effect(&cohorts, confidence).py_err()?))
}

/// The detectable change of each row (sd, n now, n next, headcount or None).
#[pyfunction]
fn _detectable_change(
    rows: Vec<(f64, f64, f64, Option<f64>)>,
    confidence: f64,
    power: f64,
) -> PyResult<Vec<f64>> {
    rows.into_iter()
        .map(|(sd, n_now, n_next, headcount)| {
            detectable_change(sd, n_now, n_next, headcount, confidence, power).py_err()
        })
        .collect()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_pooled_effect, m)?)?;
    m.add_function(wrap_pyfunction!(_unit_effect, m)?)?;
    m.add_function(wrap_pyfunction!(_combined_effect, m)?)?;
    m.add_function(wrap_pyfunction!(_detectable_change, m)?)?;
    m.add_function(wrap_pyfunction!(_restate_wave, m)?)?;
    m.add_function(wrap_pyfunction!(_target_status, m)?)?;
    m.add_function(wrap_pyfunction!(_compare_waves, m)?)?;
    m.add_function(wrap_pyfunction!(_combine, m)?)?;
    Ok(())
}
