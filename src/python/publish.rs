//! Bindings of the publication layer (`ly.Publication`): every table of one publication is
//! suppressed jointly with the ones returned before; the one-table functions (`ly.estimate`,
//! `ly.reliability`, ...) are publications of one table.

use super::errors::IntoPyResult;
use super::PyInstrument;
use crate::error::{Error, ReliabilityError};
use crate::estimate::frame::{estimate_tables, EstimateOptions};
use crate::publish::publication::{group_table, Publication, Record, Source, Within};
use crate::reliability::frame::{
    drivers_frame, item_analysis_frame, priority_frame, reliability_frame, DriverOptions,
    ReliabilityOptions,
};
use crate::reliability::{CiMethod, Missing};
use polars::prelude::DataFrame;
use pyo3::prelude::*;
use pyo3_polars::PyDataFrame;

#[pyclass(name = "_Publication", module = "lyhord._lyhord")]
pub struct PyPublication {
    inner: Publication,
    /// The answers, for the analyses that need more than sums (none for a publication of
    /// stored sums).
    answers: Option<DataFrame>,
}

impl PyPublication {
    fn answers(&self, function: &str) -> Result<&DataFrame, Error> {
        self.answers.as_ref().ok_or_else(|| {
            ReliabilityError::Parameter {
                parameter: "data".into(),
                message: format!(
                    "`{function}` needs the answers; a publication of stored sums publishes estimates only"
                ),
            }
            .into()
        })
    }
}

fn ci_method(ci: &str, n_boot: usize, seed: u64) -> Result<CiMethod, Error> {
    match ci {
        "feldt" => Ok(CiMethod::Feldt),
        "bootstrap" => Ok(CiMethod::Bootstrap { n_boot, seed }),
        other => Err(ReliabilityError::Parameter {
            parameter: "ci".into(),
            message: format!("must be \"feldt\" or \"bootstrap\", not {other:?}"),
        }
        .into()),
    }
}

/// One estimate table's keywords: by, background, within, min_group, confidence,
/// headcounts, headcount_column.
type EstimateRequest = (
    Vec<String>,
    Vec<String>,
    Option<(String, Vec<String>)>,
    Option<usize>,
    f64,
    Option<PyDataFrame>,
    String,
);

fn estimate_options(request: EstimateRequest) -> EstimateOptions {
    let (by, background, within, min_group, confidence, headcounts, headcount_column) = request;
    EstimateOptions {
        by,
        min_group,
        confidence,
        weights: None,
        headcounts: headcounts.map(|h| h.0),
        headcount_column,
        background,
        within: within.map(|(column, values)| Within { column, values }),
    }
}

#[pymethods]
impl PyPublication {
    #[new]
    #[pyo3(signature = (data, instrument, weights, sums, record))]
    fn new(
        data: PyDataFrame,
        instrument: PyInstrument,
        weights: Option<String>,
        sums: bool,
        record: Option<String>,
    ) -> PyResult<Self> {
        let (source, answers) = if sums {
            (Source::Sums(data.0), None)
        } else {
            let source = Source::Answers {
                df: data.0.clone(),
                weights,
            };
            (source, Some(data.0))
        };
        let inner = match record {
            None => Publication::new(instrument.inner, source),
            Some(json) => {
                let record: Result<Record, Error> = serde_json::from_str(&json).map_err(|e| {
                    Error::from(crate::error::EstimateError::Parameter {
                        parameter: "record".into(),
                        message: format!("is not a record of a publication ({e})"),
                    })
                });
                Publication::with_record(instrument.inner, source, record.py_err()?).py_err()?
            }
        };
        Ok(PyPublication { inner, answers })
    }

    /// What the publication has released so far, as JSON (kept by the follow-up store).
    fn record(&self) -> String {
        serde_json::to_string(&self.inner.record()).expect("a record serialises")
    }

    #[pyo3(signature = (by, background, within, min_group, confidence, headcounts, headcount_column))]
    #[allow(clippy::too_many_arguments)] // one argument per keyword of the API
    fn estimate(
        &mut self,
        py: Python<'_>,
        by: Vec<String>,
        background: Vec<String>,
        within: Option<(String, Vec<String>)>,
        min_group: Option<usize>,
        confidence: f64,
        headcounts: Option<PyDataFrame>,
        headcount_column: String,
    ) -> PyResult<PyDataFrame> {
        let request = (
            by,
            background,
            within,
            min_group,
            confidence,
            headcounts,
            headcount_column,
        );
        let mut out = self.estimates(py, vec![request])?;
        Ok(out.remove(0))
    }

    /// Several estimate tables added at once, their blanks chosen together.
    fn estimates(
        &mut self,
        py: Python<'_>,
        requests: Vec<EstimateRequest>,
    ) -> PyResult<Vec<PyDataFrame>> {
        let opts: Vec<EstimateOptions> = requests.into_iter().map(estimate_options).collect();
        let out = py
            .detach(|| estimate_tables(&mut self.inner, &opts))
            .py_err()?;
        Ok(out.into_iter().map(PyDataFrame).collect())
    }

    #[pyo3(signature = (by, missing, ci, n_boot, seed, confidence, min_group))]
    #[allow(clippy::too_many_arguments)]
    fn reliability(
        &mut self,
        py: Python<'_>,
        by: Vec<String>,
        missing: &str,
        ci: &str,
        n_boot: usize,
        seed: u64,
        confidence: f64,
        min_group: Option<usize>,
    ) -> PyResult<PyDataFrame> {
        let opts = ReliabilityOptions {
            by,
            missing: Missing::parse(missing).py_err()?,
            ci: ci_method(ci, n_boot, seed).py_err()?,
            confidence,
        };
        let out = py
            .detach(|| {
                let visible = group_table(&mut self.inner, "reliability", &opts.by, min_group)?;
                let answers = self.answers("reliability")?;
                reliability_frame(answers, &self.inner.inst, &opts, &visible)
            })
            .py_err()?;
        Ok(PyDataFrame(out))
    }

    #[pyo3(signature = (by, min_group))]
    fn item_analysis(
        &mut self,
        py: Python<'_>,
        by: Vec<String>,
        min_group: Option<usize>,
    ) -> PyResult<PyDataFrame> {
        let out = py
            .detach(|| {
                let visible = group_table(&mut self.inner, "item_analysis", &by, min_group)?;
                let answers = self.answers("item_analysis")?;
                item_analysis_frame(answers, &self.inner.inst, &by, &visible)
            })
            .py_err()?;
        Ok(PyDataFrame(out))
    }

    #[pyo3(signature = (outcome, by, missing, n_boot, seed, confidence, min_group))]
    #[allow(clippy::too_many_arguments)]
    fn drivers(
        &mut self,
        py: Python<'_>,
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
        };
        let out = py
            .detach(|| {
                let visible = group_table(&mut self.inner, "drivers", &opts.by, min_group)?;
                let answers = self.answers("drivers")?;
                drivers_frame(answers, &self.inner.inst, &opts, &visible)
            })
            .py_err()?;
        Ok(PyDataFrame(out))
    }

    #[pyo3(signature = (by, top, outcome, min_group))]
    fn priority_matrix(
        &mut self,
        py: Python<'_>,
        by: Vec<String>,
        top: usize,
        outcome: String,
        min_group: Option<usize>,
    ) -> PyResult<PyDataFrame> {
        let out = py
            .detach(|| {
                let answers = self.answers("priority_matrix")?;
                crate::publish::groups::check_columns(answers, by.iter().map(String::as_str))?;
                let visible = group_table(&mut self.inner, "priority_matrix", &by, min_group)?;
                let answers = self.answers("priority_matrix")?;
                priority_frame(answers, &self.inner.inst, &by, top, &outcome, &visible)
            })
            .py_err()?;
        Ok(PyDataFrame(out))
    }

    /// The audit table (for the statistician, never to publish).
    fn audit(&self, py: Python<'_>) -> PyResult<PyDataFrame> {
        Ok(PyDataFrame(py.detach(|| self.inner.audit()).py_err()?))
    }

    /// How many tables the publication holds.
    fn __len__(&self) -> usize {
        self.inner.tables().len()
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPublication>()
}
