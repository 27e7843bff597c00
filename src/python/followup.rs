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

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_compare_waves, m)?)?;
    m.add_function(wrap_pyfunction!(_combine, m)?)?;
    Ok(())
}
