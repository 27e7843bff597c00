//! Bindings of coded interviews: the coding frame class and the scoring functions.

use super::errors::IntoPyResult;
use crate::datasets;
use crate::interviews::frame::{
    code_counts_frame, cooccurrence_frame, score_interviews_frame, ScoreOptions, SegmentColumns,
};
use crate::interviews::import::{map_code_column, qdpx_frame, write_qdpx_frame, Unmatched};
use crate::interviews::qdpx::codebook_xml;
use crate::interviews::CodingFrame;
use polars::prelude::*;
use pyo3::prelude::*;
use pyo3_polars::PyDataFrame;
use std::path::Path;

#[pyclass(
    name = "CodingFrame",
    module = "lyhord._lyhord",
    frozen,
    skip_from_py_object
)]
#[derive(Clone)]
pub struct PyCodingFrame {
    pub inner: CodingFrame,
}

#[pymethods]
impl PyCodingFrame {
    #[staticmethod]
    fn builtin(name: &str) -> PyResult<Self> {
        Ok(PyCodingFrame {
            inner: CodingFrame::builtin(name).py_err()?,
        })
    }

    #[staticmethod]
    fn builtin_names() -> Vec<&'static str> {
        CodingFrame::builtin_names()
    }

    #[staticmethod]
    fn from_toml(path: &str) -> PyResult<Self> {
        Ok(PyCodingFrame {
            inner: CodingFrame::from_toml_file(path).py_err()?,
        })
    }

    #[staticmethod]
    fn from_toml_str(text: &str) -> PyResult<Self> {
        Ok(PyCodingFrame {
            inner: CodingFrame::from_toml_str(text, "from text").py_err()?,
        })
    }

    fn to_toml(&self) -> String {
        self.inner.to_toml()
    }

    /// The frame as a REFI-QDA codebook (`.qdc` XML).
    fn to_qdc(&self) -> String {
        codebook_xml(&self.inner)
    }

    #[getter]
    fn id(&self) -> String {
        self.inner.id.clone()
    }

    #[getter]
    fn name(&self) -> String {
        self.inner.name.clone()
    }

    #[getter]
    fn dimensions(&self) -> Vec<String> {
        self.inner.dimensions.clone()
    }

    /// The codes as a table: id, label, parent, dimension, valence, scale_min, scale_max.
    fn codes(&self) -> PyResult<PyDataFrame> {
        let c = &self.inner.codes;
        let s = |f: &dyn Fn(&crate::interviews::Code) -> Option<String>| {
            c.iter().map(f).collect::<Vec<_>>()
        };
        let df = DataFrame::new(
            c.len(),
            vec![
                Column::new("id".into(), s(&|c| Some(c.id.clone()))),
                Column::new("label".into(), s(&|c| Some(c.label.clone()))),
                Column::new("parent".into(), s(&|c| c.parent.clone())),
                Column::new("dimension".into(), s(&|c| c.dimension.clone())),
                Column::new(
                    "valence".into(),
                    s(&|c| c.valence.map(|v| format!("{v:?}").to_lowercase())),
                ),
                Column::new(
                    "scale_min".into(),
                    c.iter().map(|c| c.scale.map(|s| s.min)).collect::<Vec<_>>(),
                ),
                Column::new(
                    "scale_max".into(),
                    c.iter().map(|c| c.scale.map(|s| s.max)).collect::<Vec<_>>(),
                ),
            ],
        )
        .map_err(crate::error::Error::from)
        .py_err()?;
        Ok(PyDataFrame(df))
    }

    fn __repr__(&self) -> String {
        format!(
            "CodingFrame(id={:?}, {} codes, dimensions={:?})",
            self.inner.id,
            self.inner.codes.len(),
            self.inner.dimensions
        )
    }
}

fn columns(
    interview: String,
    code: String,
    coder: Option<String>,
    rating: Option<String>,
    by: Vec<String>,
) -> SegmentColumns {
    SegmentColumns {
        interview,
        code,
        coder,
        rating,
        by,
    }
}

#[pyfunction]
#[pyo3(signature = (segments, frame, interview, code, coder, rating, by, prior, confidence, min_interviews, per_unit))]
#[allow(clippy::too_many_arguments)]
fn _score_interviews(
    py: Python<'_>,
    segments: PyDataFrame,
    frame: PyRef<'_, PyCodingFrame>,
    interview: String,
    code: String,
    coder: Option<String>,
    rating: Option<String>,
    by: Vec<String>,
    prior: f64,
    confidence: f64,
    min_interviews: usize,
    per_unit: bool,
) -> PyResult<PyDataFrame> {
    let cols = columns(interview, code, coder, rating, by);
    let opts = ScoreOptions {
        prior,
        confidence,
        min_interviews,
    };
    let frame = frame.inner.clone();
    let out = py
        .detach(|| score_interviews_frame(&segments.0, &frame, &cols, &opts, per_unit))
        .py_err()?;
    Ok(PyDataFrame(out))
}

#[pyfunction]
#[pyo3(signature = (segments, frame, interview, code, coder, rating, by, segment, min_interviews))]
#[allow(clippy::too_many_arguments)]
fn _code_counts(
    segments: PyDataFrame,
    frame: PyRef<'_, PyCodingFrame>,
    interview: String,
    code: String,
    coder: Option<String>,
    rating: Option<String>,
    by: Vec<String>,
    segment: Option<String>,
    min_interviews: usize,
) -> PyResult<(PyDataFrame, Option<PyDataFrame>)> {
    let cols = columns(interview, code, coder, rating, by);
    let counts = code_counts_frame(&segments.0, &frame.inner, &cols, min_interviews).py_err()?;
    let pairs = match segment {
        Some(s) => Some(PyDataFrame(
            cooccurrence_frame(&segments.0, &frame.inner, &cols, &s, min_interviews).py_err()?,
        )),
        None => None,
    };
    Ok((PyDataFrame(counts), pairs))
}

#[pyfunction]
fn _interview_data(seed: u64) -> PyResult<PyDataFrame> {
    Ok(PyDataFrame(datasets::interview_frame(seed).py_err()?))
}

#[pyfunction]
#[pyo3(signature = (path, frame, unmatched))]
fn _read_qdpx(
    py: Python<'_>,
    path: String,
    frame: Option<PyRef<'_, PyCodingFrame>>,
    unmatched: &str,
) -> PyResult<(PyDataFrame, PyDataFrame)> {
    let unmatched = Unmatched::parse(unmatched).py_err()?;
    let frame = frame.map(|f| f.inner.clone());
    let (segments, report) = py
        .detach(|| qdpx_frame(Path::new(&path), frame.as_ref(), unmatched))
        .py_err()?;
    Ok((PyDataFrame(segments), PyDataFrame(report)))
}

#[pyfunction]
#[pyo3(signature = (segments, code, frame, unmatched, source))]
fn _map_codes(
    segments: PyDataFrame,
    code: &str,
    frame: PyRef<'_, PyCodingFrame>,
    unmatched: &str,
    source: &str,
) -> PyResult<(PyDataFrame, PyDataFrame)> {
    let unmatched = Unmatched::parse(unmatched).py_err()?;
    let (out, report) =
        map_code_column(&segments.0, code, &frame.inner, unmatched, source).py_err()?;
    Ok((PyDataFrame(out), PyDataFrame(report)))
}

#[pyfunction]
#[pyo3(signature = (segments, frame, path, interview, code, coder, rating, by, segment, name))]
#[allow(clippy::too_many_arguments)]
fn _write_qdpx(
    segments: PyDataFrame,
    frame: PyRef<'_, PyCodingFrame>,
    path: String,
    interview: String,
    code: String,
    coder: Option<String>,
    rating: Option<String>,
    by: Vec<String>,
    segment: String,
    name: String,
) -> PyResult<()> {
    let cols = columns(interview, code, coder, rating, by);
    write_qdpx_frame(
        &segments.0,
        &cols,
        &segment,
        &frame.inner,
        Path::new(&path),
        &name,
    )
    .py_err()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyCodingFrame>()?;
    m.add_function(wrap_pyfunction!(_read_qdpx, m)?)?;
    m.add_function(wrap_pyfunction!(_map_codes, m)?)?;
    m.add_function(wrap_pyfunction!(_write_qdpx, m)?)?;
    m.add_function(wrap_pyfunction!(_score_interviews, m)?)?;
    m.add_function(wrap_pyfunction!(_code_counts, m)?)?;
    m.add_function(wrap_pyfunction!(_interview_data, m)?)
}
