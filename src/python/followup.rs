//! Bindings of the yearly follow-up (`lyhord._followup`) and the combined index.

use super::errors::IntoPyResult;
use crate::error::FollowupError;
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
    let adjust = Adjust::parse(adjust)
        .ok_or_else(|| FollowupError::Parameter {
            parameter: "adjust".into(),
            message: format!("must be \"holm\", \"bh\" or \"none\", not {adjust:?}"),
        })
        .py_err()?;
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

/// What `_target_status` returns: status, latest year, latest estimate, slope, its SE and
/// the projection.
type StatusTuple = (
    &'static str,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
);

#[pyfunction]
#[pyo3(signature = (years, means, ses, target, target_year, at_most))]
fn _target_status(
    years: Vec<f64>,
    means: Vec<f64>,
    ses: Vec<f64>,
    target: f64,
    target_year: f64,
    at_most: bool,
) -> StatusTuple {
    use crate::followup::targets::{target_status, Direction, Point};
    let points: Vec<Point> = years
        .iter()
        .zip(&means)
        .zip(&ses)
        .map(|((&year, &mean), &se)| Point { year, mean, se })
        .collect();
    let direction = if at_most {
        Direction::AtMost
    } else {
        Direction::AtLeast
    };
    let s = target_status(&points, target, target_year, direction);
    (
        s.status,
        s.latest_year,
        s.latest,
        s.slope,
        s.slope_se,
        s.projected,
    )
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

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_restate_wave, m)?)?;
    m.add_function(wrap_pyfunction!(_target_status, m)?)?;
    m.add_function(wrap_pyfunction!(_compare_waves, m)?)?;
    m.add_function(wrap_pyfunction!(_combine, m)?)?;
    Ok(())
}
