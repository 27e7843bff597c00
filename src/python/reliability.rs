//! Bindings of reliability, item analysis and driver analysis (`lyhord._reliability`).

use super::errors::IntoPyResult;
use super::PyInstrument;
use crate::reliability::frame::{
    drivers_frame, item_analysis_frame, priority_frame, reliability_frame, structure_frame,
    DriverOptions, ReliabilityOptions,
};
use crate::reliability::{CiMethod, Missing};
use pyo3::prelude::*;
use pyo3_polars::PyDataFrame;

#[pyfunction]
#[pyo3(signature = (answers, instrument, by, missing, ci, n_boot, seed, confidence, min_group))]
#[allow(clippy::too_many_arguments)]
fn _reliability(
    py: Python<'_>,
    answers: PyDataFrame,
    instrument: PyInstrument,
    by: Vec<String>,
    missing: &str,
    ci: &str,
    n_boot: usize,
    seed: u64,
    confidence: f64,
    min_group: Option<usize>,
) -> PyResult<PyDataFrame> {
    let missing = Missing::parse(missing).py_err()?;
    let ci = match ci {
        "feldt" => CiMethod::Feldt,
        "bootstrap" => CiMethod::Bootstrap { n_boot, seed },
        other => {
            return Err(crate::error::ReliabilityError::Parameter {
                parameter: "ci".into(),
                message: format!("must be \"feldt\" or \"bootstrap\", not {other:?}"),
            })
            .py_err()
        }
    };
    let opts = ReliabilityOptions {
        by,
        missing,
        ci,
        confidence,
        min_group,
    };
    let out = py
        .detach(|| reliability_frame(&answers.0, &instrument.inner, &opts))
        .py_err()?;
    Ok(PyDataFrame(out))
}

#[pyfunction]
#[pyo3(signature = (answers, instrument, by, min_group))]
fn _item_analysis(
    py: Python<'_>,
    answers: PyDataFrame,
    instrument: PyInstrument,
    by: Vec<String>,
    min_group: Option<usize>,
) -> PyResult<PyDataFrame> {
    let out = py
        .detach(|| item_analysis_frame(&answers.0, &instrument.inner, &by, min_group))
        .py_err()?;
    Ok(PyDataFrame(out))
}

#[pyfunction]
#[pyo3(signature = (answers, instrument, outcome, by, missing, n_boot, seed, confidence, min_group))]
#[allow(clippy::too_many_arguments)]
fn _drivers(
    py: Python<'_>,
    answers: PyDataFrame,
    instrument: PyInstrument,
    outcome: String,
    by: Vec<String>,
    missing: &str,
    n_boot: usize,
    seed: u64,
    confidence: f64,
    min_group: Option<usize>,
) -> PyResult<PyDataFrame> {
    let opts = DriverOptions {
        outcome,
        by,
        missing: Missing::parse(missing).py_err()?,
        n_boot,
        seed,
        confidence,
        min_group,
    };
    let out = py
        .detach(|| drivers_frame(&answers.0, &instrument.inner, &opts))
        .py_err()?;
    Ok(PyDataFrame(out))
}

#[pyfunction]
#[pyo3(signature = (answers, instrument, by, top, outcome, min_group))]
fn _priority_matrix(
    py: Python<'_>,
    answers: PyDataFrame,
    instrument: PyInstrument,
    by: Vec<String>,
    top: usize,
    outcome: String,
    min_group: Option<usize>,
) -> PyResult<PyDataFrame> {
    let out = py
        .detach(|| priority_frame(&answers.0, &instrument.inner, &by, top, &outcome, min_group))
        .py_err()?;
    Ok(PyDataFrame(out))
}

#[pyfunction]
fn _dimension_check(
    py: Python<'_>,
    answers: PyDataFrame,
    instrument: PyInstrument,
) -> PyResult<PyDataFrame> {
    let out = py
        .detach(|| structure_frame(&answers.0, &instrument.inner))
        .py_err()?;
    Ok(PyDataFrame(out))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_dimension_check, m)?)?;
    m.add_function(wrap_pyfunction!(_reliability, m)?)?;
    m.add_function(wrap_pyfunction!(_item_analysis, m)?)?;
    m.add_function(wrap_pyfunction!(_drivers, m)?)?;
    m.add_function(wrap_pyfunction!(_priority_matrix, m)?)?;
    Ok(())
}
