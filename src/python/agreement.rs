//! Bindings of intercoder agreement (`lyhord._agreement`, `lyhord._code_presence`).

use super::errors::{self, IntoPyResult};
use crate::agreement::frame::{agreement_frame, presence_frame, AgreementOptions};
use crate::agreement::{AgreementStatistic, Level, SeMethod, Weights};
use crate::error::AgreementError;
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
    se_method: Option<String>,
    n_boot: Option<usize>,
    confidence: f64,
    seed: u64,
    statistics: Option<Vec<String>>,
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
        let se_method = se_method(self.se_method.as_deref(), self.n_boot).py_err()?;
        Ok(AgreementOptions {
            unit: self.unit,
            coder: self.coder,
            value: self.value,
            by: self.by,
            level: self.level.parse::<Level>().py_err()?,
            categories: self.categories,
            weights,
            se_method,
            n_boot: self.n_boot.unwrap_or(DEFAULT_BOOT),
            confidence: self.confidence,
            seed: self.seed,
            statistics: self
                .statistics
                .map(|names| {
                    names
                        .iter()
                        .map(|n| n.parse::<AgreementStatistic>())
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()
                .py_err()?,
        })
    }
}

/// Bootstrap resamples when `se_method="bootstrap"` is asked for without `n_boot`.
const DEFAULT_BOOT: usize = 1000;

/// The SE method: as named, or bootstrap when only `n_boot` is given (it means nothing to
/// the analytic SEs, so `n_boot` with `se_method="analytic"` is refused, not ignored).
fn se_method(named: Option<&str>, n_boot: Option<usize>) -> Result<SeMethod, crate::error::Error> {
    let method = match (named, n_boot) {
        (Some(name), _) => name.parse::<SeMethod>()?,
        (None, Some(n)) if n > 0 => SeMethod::Bootstrap,
        (None, _) => SeMethod::Analytic,
    };
    if method == SeMethod::Analytic && n_boot.is_some_and(|n| n > 0) {
        return Err(AgreementError::Parameter {
            parameter: "n_boot".into(),
            message: "is the number of bootstrap resamples and only used with se_method=\"bootstrap\"; drop n_boot for the analytic SEs or pass se_method=\"bootstrap\"".into(),
        }
        .into());
    }
    if method == SeMethod::Bootstrap && n_boot == Some(0) {
        return Err(AgreementError::Parameter {
            parameter: "n_boot".into(),
            message: "must be at least 1 with se_method=\"bootstrap\" (1000 is a good choice)"
                .into(),
        }
        .into());
    }
    Ok(method)
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
