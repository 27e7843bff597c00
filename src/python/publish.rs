//! Bindings of the publication layer (`ly.Publication`): every table of one publication is
//! suppressed jointly with the ones returned before; the one-table functions (`ly.estimate`,
//! `ly.reliability`, ...) are publications of one table.

use super::errors::{self, IntoPyResult};
use super::PyInstrument;
use crate::design::interval::ShareInterval;
use crate::error::{Error, ReliabilityError};
use crate::estimate::frame::{estimate_tables, EstimateOptions};
use crate::estimate::stats::Convention;
use crate::instrument::Lang;
use crate::publish::publication::{group_table, Publication, Record, Source, Within};
use crate::reliability::frame::{
    drivers_frame, item_analysis_frame, priority_frame, reliability_frame, DriverOptions,
    ReliabilityOptions,
};
use crate::reliability::invariance::frame::{invariance_frame, InvarianceOptions, Model};
use crate::reliability::invariance::Criteria;
use crate::reliability::{CiKind, Missing};
use polars::prelude::DataFrame;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3_polars::PyDataFrame;

#[pyclass(name = "_Publication", module = "lyhord._lyhord")]
pub struct PyPublication {
    inner: Publication,
    /// The answers, for the analyses that need more than sums (none for a publication of
    /// stored sums).
    answers: Option<DataFrame>,
}

impl PyPublication {
    /// Adds estimate tables, their blanks chosen together with everything before.
    fn tables(&mut self, py: Python<'_>, opts: Vec<EstimateOptions>) -> PyResult<Vec<PyDataFrame>> {
        let out = py
            .detach(|| estimate_tables(&mut self.inner, &opts))
            .py_err()?;
        Ok(out.into_iter().map(PyDataFrame).collect())
    }

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

/// One estimate table's keywords (`ly.estimate`, `Publication.estimate`).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct EstimateArgs {
    by: Vec<String>,
    background: Vec<String>,
    within: Option<(String, Vec<String>)>,
    min_group: Option<usize>,
    confidence: f64,
    headcounts: Option<PyDataFrame>,
    headcount_column: String,
    convention: String,
    ci_method: Option<String>,
}

impl EstimateArgs {
    fn options(self) -> PyResult<EstimateOptions> {
        Ok(EstimateOptions {
            by: self.by,
            min_group: self.min_group,
            confidence: self.confidence,
            weights: None,
            headcounts: self.headcounts.map(|h| h.0),
            headcount_column: self.headcount_column,
            background: self.background,
            within: self
                .within
                .map(|(column, values)| Within { column, values }),
            convention: self.convention.parse::<Convention>().py_err()?,
            ci_method: self
                .ci_method
                .map(|m| m.parse::<ShareInterval>())
                .transpose()
                .py_err()?,
        })
    }
}

/// The keywords of `ly.reliability` besides the data.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct ReliabilityArgs {
    by: Vec<String>,
    missing: String,
    ci: String,
    n_boot: usize,
    seed: u64,
    confidence: f64,
    min_group: Option<usize>,
    ordinal: bool,
}

impl ReliabilityArgs {
    fn options(self) -> PyResult<(ReliabilityOptions, Option<usize>)> {
        let ci = self.ci.parse::<CiKind>().py_err()?;
        let opts = ReliabilityOptions {
            by: self.by,
            missing: self.missing.parse::<Missing>().py_err()?,
            ci: ci.method(self.n_boot, self.seed),
            confidence: self.confidence,
            ordinal: self.ordinal,
        };
        Ok((opts, self.min_group))
    }
}

/// The keywords of `ly.invariance` besides the data.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct InvarianceArgs {
    by: Vec<String>,
    model: String,
    max_cfi_drop: f64,
    max_rmsea_rise: Option<f64>,
    min_configural_cfi: f64,
    min_group: Option<usize>,
    min_respondents: Option<usize>,
    lang: Option<String>,
}

impl InvarianceArgs {
    fn options(self) -> PyResult<InvarianceOptions> {
        Ok(InvarianceOptions {
            by: self.by,
            model: self.model.parse::<Model>().py_err()?,
            criteria: Criteria {
                max_cfi_drop: self.max_cfi_drop,
                max_rmsea_rise: self.max_rmsea_rise,
                min_configural_cfi: self.min_configural_cfi,
            },
            min_group: self.min_group,
            min_respondents: self.min_respondents,
            lang: self.lang.map(|l| l.parse::<Lang>()).transpose().py_err()?,
        })
    }
}

/// The keywords of `ly.drivers` besides the data.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct DriverArgs {
    outcome: String,
    by: Vec<String>,
    missing: String,
    n_boot: usize,
    seed: u64,
    confidence: f64,
    min_group: Option<usize>,
}

impl DriverArgs {
    fn options(self) -> PyResult<(DriverOptions, Option<usize>)> {
        let opts = DriverOptions {
            outcome: self.outcome,
            by: self.by,
            missing: self.missing.parse::<Missing>().py_err()?,
            n_boot: self.n_boot,
            seed: self.seed,
            confidence: self.confidence,
        };
        Ok((opts, self.min_group))
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

    /// What the publication has released so far, as JSON. This one result stays a JSON
    /// text on purpose: it is a persisted, versioned document that the follow-up store
    /// writes to a file and hands back to `new(record=...)` in a later year.
    fn record(&self) -> PyResult<String> {
        serde_json::to_string(&self.inner.record())
            .map_err(|e| {
                Error::from(crate::error::EstimateError::Parameter {
                    parameter: "record".into(),
                    message: format!("cannot be written as JSON ({e})"),
                })
            })
            .py_err()
    }

    /// One estimate table; `options` are the keywords of [`EstimateArgs`].
    #[pyo3(signature = (**options))]
    fn estimate(
        &mut self,
        py: Python<'_>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyDataFrame> {
        let opts = errors::options::<EstimateArgs>(py, options)?.options()?;
        let mut out = self.tables(py, vec![opts])?;
        Ok(out.remove(0))
    }

    /// Several estimate tables added at once, their blanks chosen together; each request
    /// holds the keywords of [`EstimateArgs`].
    fn estimates(
        &mut self,
        py: Python<'_>,
        requests: Vec<Bound<'_, PyDict>>,
    ) -> PyResult<Vec<PyDataFrame>> {
        let opts = requests
            .iter()
            .map(|r| errors::options::<EstimateArgs>(py, Some(r))?.options())
            .collect::<PyResult<Vec<_>>>()?;
        self.tables(py, opts)
    }

    /// Reliability per group; `options` are the keywords of [`ReliabilityArgs`].
    #[pyo3(signature = (**options))]
    fn reliability(
        &mut self,
        py: Python<'_>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyDataFrame> {
        let (opts, min_group) = errors::options::<ReliabilityArgs>(py, options)?.options()?;
        let out = py
            .detach(|| {
                let visible = group_table(&mut self.inner, "reliability", &opts.by, min_group)?;
                let answers = self.answers("reliability")?;
                reliability_frame(answers, &self.inner.inst, &opts, &visible)
            })
            .py_err()?;
        Ok(PyDataFrame(out))
    }

    /// Measurement invariance across the groups of `by`; `options` are the keywords of
    /// [`InvarianceArgs`]. The groups' visibility comes from the publication, and blanked
    /// groups stay out of the models.
    #[pyo3(signature = (**options))]
    fn invariance(
        &mut self,
        py: Python<'_>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyDataFrame> {
        let opts = errors::options::<InvarianceArgs>(py, options)?.options()?;
        let out = py
            .detach(|| {
                let answers = self.answers("invariance")?;
                crate::publish::groups::check_columns(answers, opts.by.iter().map(String::as_str))?;
                let visible = group_table(&mut self.inner, "invariance", &opts.by, opts.min_group)?;
                let answers = self.answers("invariance")?;
                invariance_frame(answers, &self.inner.inst, &opts, &visible)
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

    /// Driver analysis per group; `options` are the keywords of [`DriverArgs`].
    #[pyo3(signature = (**options))]
    fn drivers(
        &mut self,
        py: Python<'_>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyDataFrame> {
        let (opts, min_group) = errors::options::<DriverArgs>(py, options)?.options()?;
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
