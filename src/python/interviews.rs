//! Bindings of coded interviews: the coding frame class and the scoring functions.

use super::errors::{self, IntoPyResult};
use super::results::{frame_object, PyCodeCounts, PySegments};
use crate::datasets;
use crate::interviews::frame::{
    code_counts_frame, cooccurrence_frame, score_interviews_frame, ScoreLevel, ScoreOptions,
    SegmentColumns,
};
use crate::interviews::import::{map_code_column, qdpx_frame, write_qdpx_frame, Unmatched};
use crate::interviews::qdpx::codebook_xml;
use crate::interviews::CodingFrame;
use polars::prelude::*;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3_polars::PyDataFrame;
use std::path::Path;

/// A coding frame for interviews: codes with parent, EPL dimension and valence (or a
/// rating scale).
///
/// Load the built-in frame (``CodingFrame.builtin("epl-interviews")``) or your own TOML
/// file; :func:`lyhord.score_interviews`, :func:`lyhord.code_counts` and
/// :func:`lyhord.read_segments` take it as ``frame=``.
///
/// Examples
/// --------
/// >>> import polars as pl, lyhord as ly
/// >>> cf = ly.CodingFrame.builtin("epl-interviews")
/// >>> cf.dimensions
/// ['engagement', 'participation', 'learning']
/// >>> cf.codes().filter(pl.col("id") == "del_lyssnad")["valence"].to_list()
/// ['positive']
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
    /// A built-in coding frame by name (see :meth:`builtin_names`).
    ///
    /// Raises
    /// ------
    /// lyhord.InstrumentError
    ///     An unknown name (the message lists the built-ins).
    #[staticmethod]
    fn builtin(name: &str) -> PyResult<Self> {
        Ok(PyCodingFrame {
            inner: CodingFrame::builtin(name).py_err()?,
        })
    }

    /// The names of the built-in coding frames.
    ///
    /// Examples
    /// --------
    /// >>> import lyhord as ly
    /// >>> ly.CodingFrame.builtin_names()
    /// ['epl-interviews']
    #[staticmethod]
    fn builtin_names() -> Vec<&'static str> {
        CodingFrame::builtin_names()
    }

    /// A coding frame from a TOML file.
    ///
    /// Raises
    /// ------
    /// lyhord.InstrumentError
    ///     A file that cannot be read or parsed, or a frame that cannot be used as written.
    #[staticmethod]
    fn from_toml(path: &str) -> PyResult<Self> {
        Ok(PyCodingFrame {
            inner: CodingFrame::from_toml_file(path).py_err()?,
        })
    }

    /// A coding frame from TOML text (as :meth:`to_toml` writes it).
    ///
    /// Examples
    /// --------
    /// >>> import lyhord as ly
    /// >>> text = ly.CodingFrame.builtin("epl-interviews").to_toml()
    /// >>> ly.CodingFrame.from_toml_str(text).id
    /// 'epl-interviews'
    #[staticmethod]
    fn from_toml_str(text: &str) -> PyResult<Self> {
        Ok(PyCodingFrame {
            inner: CodingFrame::from_toml_str(text, "from text").py_err()?,
        })
    }

    /// The frame as TOML (what :meth:`from_toml_str` reads).
    fn to_toml(&self) -> String {
        self.inner.to_toml()
    }

    /// The frame as a REFI-QDA codebook (``.qdc`` XML) for NVivo, MAXQDA, ATLAS.ti or
    /// QualCoder; rated codes get one child code per rating.
    ///
    /// Examples
    /// --------
    /// >>> import lyhord as ly
    /// >>> ly.CodingFrame.builtin("epl-interviews").to_qdc().count("<Code ") > 19
    /// True
    fn to_qdc(&self) -> String {
        codebook_xml(&self.inner)
    }

    /// The frame's id (``"epl-interviews"``).
    #[getter]
    fn id(&self) -> String {
        self.inner.id.clone()
    }

    /// The frame's name for people.
    #[getter]
    fn name(&self) -> String {
        self.inner.name.clone()
    }

    /// The EPL dimensions the codes belong to.
    #[getter]
    fn dimensions(&self) -> Vec<String> {
        self.inner.dimensions.clone()
    }

    /// The codes as a table.
    ///
    /// Returns
    /// -------
    /// polars.DataFrame
    ///     ``id``, ``label``, ``parent``, ``dimension``, ``valence`` (positive / negative /
    ///     neutral, null for rated codes), ``scale_min`` and ``scale_max`` (rated codes).
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

/// The column keywords shared by the interview functions.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct ColumnArgs {
    interview: String,
    code: String,
    coder: Option<String>,
    rating: Option<String>,
    by: Vec<String>,
}

impl From<ColumnArgs> for SegmentColumns {
    fn from(c: ColumnArgs) -> Self {
        SegmentColumns {
            interview: c.interview,
            code: c.code,
            coder: c.coder,
            rating: c.rating,
            by: c.by,
        }
    }
}

/// The scoring keywords of `ly.score_interviews`.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct ScoreArgs {
    prior: f64,
    confidence: f64,
    min_interviews: usize,
    level: String,
}

/// Interview scores; `options` are the keywords of [`ColumnArgs`] and [`ScoreArgs`].
#[pyfunction]
#[pyo3(signature = (segments, frame, **options))]
fn _score_interviews(
    py: Python<'_>,
    segments: PyDataFrame,
    frame: PyRef<'_, PyCodingFrame>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyDataFrame> {
    let cols = SegmentColumns::from(errors::options::<ColumnArgs>(py, options)?);
    let args = errors::options::<ScoreArgs>(py, options)?;
    let level = args.level.parse::<ScoreLevel>().py_err()?;
    let opts = ScoreOptions {
        prior: args.prior,
        confidence: args.confidence,
        min_interviews: args.min_interviews,
    };
    let frame = frame.inner.clone();
    let out = py
        .detach(|| score_interviews_frame(&segments.0, &frame, &cols, &opts, level.per_unit()))
        .py_err()?;
    Ok(PyDataFrame(out))
}

/// The counting keywords of `ly.code_counts`.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct CountArgs {
    segment: Option<String>,
    min_interviews: usize,
}

/// Code counts (and co-occurrences within `segment`); `options` are the keywords of
/// [`ColumnArgs`] and [`CountArgs`].
#[pyfunction]
#[pyo3(signature = (segments, frame, **options))]
fn _code_counts(
    py: Python<'_>,
    segments: PyDataFrame,
    frame: PyRef<'_, PyCodingFrame>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyCodeCounts> {
    let cols = SegmentColumns::from(errors::options::<ColumnArgs>(py, options)?);
    let args = errors::options::<CountArgs>(py, options)?;
    let (df, frame, min) = (&segments.0, &frame.inner, args.min_interviews);
    let counts = code_counts_frame(df, frame, &cols, min).py_err()?;
    let pairs = match &args.segment {
        Some(s) => Some(frame_object(
            py,
            cooccurrence_frame(df, frame, &cols, s, min).py_err()?,
        )?),
        None => None,
    };
    Ok(PyCodeCounts {
        counts: frame_object(py, counts)?,
        pairs,
    })
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
) -> PyResult<PySegments> {
    let unmatched = unmatched.parse::<Unmatched>().py_err()?;
    let frame = frame.map(|f| f.inner.clone());
    let (segments, report) = py
        .detach(|| qdpx_frame(Path::new(&path), frame.as_ref(), unmatched))
        .py_err()?;
    PySegments::new(py, segments, report)
}

#[pyfunction]
#[pyo3(signature = (segments, code, frame, unmatched, source))]
fn _map_codes(
    py: Python<'_>,
    segments: PyDataFrame,
    code: &str,
    frame: PyRef<'_, PyCodingFrame>,
    unmatched: &str,
    source: &str,
) -> PyResult<PySegments> {
    let unmatched = unmatched.parse::<Unmatched>().py_err()?;
    let (out, report) =
        map_code_column(&segments.0, code, &frame.inner, unmatched, source).py_err()?;
    PySegments::new(py, out, report)
}

/// The file keywords of `ly.write_qdpx`.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct QdpxArgs {
    segment: String,
    name: String,
}

/// Writes segments as a REFI-QDA project; `options` are the keywords of [`ColumnArgs`] and
/// [`QdpxArgs`].
#[pyfunction]
#[pyo3(signature = (segments, frame, path, **options))]
fn _write_qdpx(
    py: Python<'_>,
    segments: PyDataFrame,
    frame: PyRef<'_, PyCodingFrame>,
    path: String,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<()> {
    let cols = SegmentColumns::from(errors::options::<ColumnArgs>(py, options)?);
    let args = errors::options::<QdpxArgs>(py, options)?;
    write_qdpx_frame(
        &segments.0,
        &cols,
        &args.segment,
        &frame.inner,
        Path::new(&path),
        &args.name,
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
