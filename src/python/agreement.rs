//! Bindings of intercoder agreement (`lyhord._agreement`, `lyhord._code_presence`).

use super::errors::IntoPyResult;
use crate::agreement::frame::{agreement_frame, presence_frame, AgreementOptions};
use crate::agreement::{Level, Weights};
use crate::error::AgreementError;
use pyo3::prelude::*;
use pyo3_polars::PyDataFrame;

fn parse_weights(names: Option<Vec<String>>) -> Result<Option<Vec<Weights>>, AgreementError> {
    let Some(names) = names else { return Ok(None) };
    names
        .iter()
        .map(|n| match n.as_str() {
            "unweighted" => Ok(Weights::Unweighted),
            "linear" => Ok(Weights::Linear),
            "quadratic" => Ok(Weights::Quadratic),
            other => Err(AgreementError::Parameter {
                parameter: "weights".into(),
                message: format!(
                    "must list \"unweighted\", \"linear\" and/or \"quadratic\", not {other:?}"
                ),
            }),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

#[pyfunction]
#[pyo3(signature = (ratings, unit, coder, value, by, level, categories, weights, n_boot, confidence, seed))]
#[allow(clippy::too_many_arguments)]
fn _agreement(
    py: Python<'_>,
    ratings: PyDataFrame,
    unit: String,
    coder: String,
    value: String,
    by: Vec<String>,
    level: &str,
    categories: Option<Vec<String>>,
    weights: Option<Vec<String>>,
    n_boot: usize,
    confidence: f64,
    seed: u64,
) -> PyResult<PyDataFrame> {
    let opts = AgreementOptions {
        unit,
        coder,
        value,
        by,
        level: Level::parse(level).py_err()?,
        categories,
        weights: parse_weights(weights).py_err()?,
        n_boot,
        confidence,
        seed,
    };
    let out = py.detach(|| agreement_frame(&ratings.0, &opts)).py_err()?;
    Ok(PyDataFrame(out))
}

#[pyfunction]
#[pyo3(signature = (segments, unit, coder, code, codes))]
fn _code_presence(
    py: Python<'_>,
    segments: PyDataFrame,
    unit: String,
    coder: String,
    code: String,
    codes: Option<Vec<String>>,
) -> PyResult<PyDataFrame> {
    let out = py
        .detach(|| presence_frame(&segments.0, &unit, &coder, &code, codes))
        .py_err()?;
    Ok(PyDataFrame(out))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_agreement, m)?)?;
    m.add_function(wrap_pyfunction!(_code_presence, m)?)?;
    Ok(())
}
