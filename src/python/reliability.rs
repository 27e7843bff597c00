//! Binding of the dimension check and polychoric correlations; the analyses per group are bound through the publication
//! layer (`publish.rs`).

use super::errors::IntoPyResult;
use super::PyInstrument;
use crate::reliability::frame::{polychoric_frame, structure_frame};
use pyo3::prelude::*;
use pyo3_polars::PyDataFrame;

#[pyfunction]
#[pyo3(signature = (answers, instrument, ordinal))]
fn _dimension_check(
    py: Python<'_>,
    answers: PyDataFrame,
    instrument: PyInstrument,
    ordinal: bool,
) -> PyResult<PyDataFrame> {
    let out = py
        .detach(|| structure_frame(&answers.0, &instrument.inner, ordinal))
        .py_err()?;
    Ok(PyDataFrame(out))
}

#[pyfunction]
fn _polychoric(
    py: Python<'_>,
    answers: PyDataFrame,
    instrument: PyInstrument,
) -> PyResult<PyDataFrame> {
    let out = py
        .detach(|| polychoric_frame(&answers.0, &instrument.inner))
        .py_err()?;
    Ok(PyDataFrame(out))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_dimension_check, m)?)?;
    m.add_function(wrap_pyfunction!(_polychoric, m)?)?;
    Ok(())
}
