//! Bindings of intercoder agreement (`lyhord._agreement`, `lyhord._code_presence`).

use super::errors::{self, IntoPyResult};
use crate::agreement::frame::{agreement_frame, presence_frame, AgreementOptions};
use crate::agreement::{Level, Weights};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3_polars::PyDataFrame;

/// The keywords of `ly.agreement` besides the ratings.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct AgreementArgs {
    unit: String,
    coder: String,
    value: String,
    by: Vec<String>,
    level: String,
    categories: Option<Vec<String>>,
    weights: Option<Vec<String>>,
    n_boot: usize,
    confidence: f64,
    seed: u64,
}

impl AgreementArgs {
    fn options(self) -> PyResult<AgreementOptions> {
        let weights = match self.weights {
            Some(names) => Some(
                names
                    .iter()
                    .map(|n| n.parse::<Weights>())
                    .collect::<Result<Vec<_>, _>>()
                    .py_err()?,
            ),
            None => None,
        };
        Ok(AgreementOptions {
            unit: self.unit,
            coder: self.coder,
            value: self.value,
            by: self.by,
            level: self.level.parse::<Level>().py_err()?,
            categories: self.categories,
            weights,
            n_boot: self.n_boot,
            confidence: self.confidence,
            seed: self.seed,
        })
    }
}

/// Agreement per group; `options` are the keywords of [`AgreementArgs`].
#[pyfunction]
#[pyo3(signature = (ratings, **options))]
fn _agreement(
    py: Python<'_>,
    ratings: PyDataFrame,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyDataFrame> {
    let opts = errors::options::<AgreementArgs>(py, options)?.options()?;
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
