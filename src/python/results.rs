//! What the bindings hand back besides plain frames: frozen classes read by attribute
//! (never JSON re-parsed by key, never positional tuples). Frames are converted to polars
//! objects once, when the result is made.

use crate::import::mapping::{ColumnReport, ImportReport, LabelValue, ValueCount};
use crate::import::SourceInfo;
use polars::prelude::*;
use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3_polars::PyDataFrame;

use super::errors::IntoPyResult;

/// A Rust frame as a Python polars DataFrame.
pub fn frame_object(py: Python<'_>, df: DataFrame) -> PyResult<Py<PyAny>> {
    Ok(PyDataFrame(df).into_pyobject(py)?.unbind())
}

/// The result of reading an export: the answers and the import report.
#[pyclass(name = "_Export", module = "lyhord._lyhord", frozen, get_all)]
pub struct PyExport {
    pub data: Py<PyAny>,
    pub report: Py<PyImportReport>,
}

/// How an export was read or sniffed (``ImportReport.source``).
///
/// Attributes
/// ----------
/// file, format, header : str
/// encoding, delimiter, decimal, sheet : str or None
/// header_row : int or None
///     1-based row of the (first) header row in the file or sheet.
/// title_block : bool
///     Something is written above the header row.
/// header_row_given : bool
///     The header row was given (``header_row=``) rather than found.
#[pyclass(name = "ImportSource", module = "lyhord._lyhord", frozen, get_all)]
pub struct PyImportSource {
    pub file: String,
    pub format: String,
    pub encoding: Option<String>,
    pub delimiter: Option<String>,
    pub decimal: Option<String>,
    pub header: String,
    pub sheet: Option<String>,
    pub header_row: Option<usize>,
    pub title_block: bool,
    pub header_row_given: bool,
}

#[pymethods]
impl PyImportSource {
    /// ``source["encoding"]`` reads the attribute: the source was a dict before it was a
    /// class, and notebooks index it.
    fn __getitem__<'py>(slf: &Bound<'py, Self>, key: &str) -> PyResult<Bound<'py, PyAny>> {
        if key.starts_with('_') {
            return Err(PyKeyError::new_err(key.to_string()));
        }
        slf.as_any()
            .getattr(key)
            .map_err(|_| PyKeyError::new_err(key.to_string()))
    }

    fn __repr__(&self) -> String {
        format!(
            "ImportSource(file={:?}, format={:?}, encoding={:?}, delimiter={:?}, decimal={:?}, header={:?}, sheet={:?}, header_row={:?})",
            self.file,
            self.format,
            self.encoding,
            self.delimiter,
            self.decimal,
            self.header,
            self.sheet,
            self.header_row
        )
    }
}

impl From<SourceInfo> for PyImportSource {
    fn from(s: SourceInfo) -> Self {
        PyImportSource {
            file: s.file,
            format: s.format,
            encoding: s.encoding,
            delimiter: s.delimiter,
            decimal: s.decimal,
            header: s.header,
            sheet: s.sheet,
            header_row: s.header_row,
            title_block: s.title_block,
            header_row_given: s.header_row_given,
        }
    }
}

/// The import report as the core made it; ``lyhord.ImportReport`` adds the sentences.
#[pyclass(name = "_ImportReport", module = "lyhord._lyhord", frozen, get_all)]
pub struct PyImportReport {
    pub source: Py<PyImportSource>,
    pub instrument: String,
    pub strict: bool,
    pub rows_read: usize,
    pub rows_kept: usize,
    pub n_empty_rows: usize,
    pub empty_rows: Vec<usize>,
    pub id_column: Option<String>,
    pub id_found_by: Option<String>,
    pub n_duplicate_rows: usize,
    pub duplicate_ids: Py<PyAny>,
    pub n_straightliners: usize,
    pub straightliners: Vec<usize>,
    pub columns: Py<PyAny>,
    pub near_misses: Py<PyAny>,
    /// Column → {value: label} of the SPSS value labels (items' and background columns').
    pub value_labels: Py<PyDict>,
}

impl PyImportReport {
    pub fn new(py: Python<'_>, r: ImportReport) -> PyResult<Self> {
        Ok(PyImportReport {
            duplicate_ids: frame_object(py, duplicates_frame(&r.duplicate_ids).py_err()?)?,
            columns: frame_object(py, columns_frame(&r.columns).py_err()?)?,
            value_labels: value_labels_dict(py, &r.columns)?.unbind(),
            near_misses: frame_object(py, near_misses_frame(&r).py_err()?)?,
            source: Py::new(py, PyImportSource::from(r.source))?,
            instrument: r.instrument,
            strict: r.strict,
            rows_read: r.rows_read,
            rows_kept: r.rows_kept,
            n_empty_rows: r.n_empty_rows,
            empty_rows: r.empty_rows,
            id_column: r.id_column,
            id_found_by: r.id_found_by,
            n_duplicate_rows: r.n_duplicate_rows,
            n_straightliners: r.n_straightliners,
            straightliners: r.straightliners,
        })
    }
}

fn int(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// `id`, `count`, `rows` of ids given to more than one row.
fn duplicates_frame(dups: &[ValueCount]) -> PolarsResult<DataFrame> {
    let rows: Vec<Series> = dups
        .iter()
        .map(|d| {
            Series::new(
                "".into(),
                d.rows.iter().map(|&r| int(r)).collect::<Vec<_>>(),
            )
        })
        .collect();
    let rows = Series::new("rows".into(), rows).cast(&DataType::List(Box::new(DataType::Int64)))?;
    DataFrame::new(
        dups.len(),
        vec![
            Column::new(
                "id".into(),
                dups.iter().map(|d| d.value.clone()).collect::<Vec<_>>(),
            ),
            Column::new(
                "count".into(),
                dups.iter().map(|d| int(d.count)).collect::<Vec<_>>(),
            ),
            rows.into(),
        ],
    )
}

/// `7: 3 (rows 12, 40, 41)` for each value, `; `-separated (the lists hold the first rows).
fn value_counts(entries: &[ValueCount]) -> String {
    let one = |e: &ValueCount| {
        let rows: Vec<String> = e.rows.iter().map(usize::to_string).collect();
        let more = if e.count > e.rows.len() { ", …" } else { "" };
        format!("{}: {} (rows {}{more})", e.value, e.count, rows.join(", "))
    };
    entries.iter().map(one).collect::<Vec<_>>().join("; ")
}

/// `1: Socialförvaltningen; 2: Utbildningsförvaltningen` (`None` without labels).
fn label_list(labels: &[(LabelValue, String)]) -> Option<String> {
    let one = |(v, l): &(LabelValue, String)| format!("{v}: {l}");
    (!labels.is_empty()).then(|| labels.iter().map(one).collect::<Vec<_>>().join("; "))
}

/// Column → {value: label}: numbers as floats, a string variable's values as text.
fn value_labels_dict<'py>(py: Python<'py>, cols: &[ColumnReport]) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    for c in cols.iter().filter(|c| !c.value_labels.is_empty()) {
        let labels = PyDict::new(py);
        for (v, l) in &c.value_labels {
            match v {
                LabelValue::Number(x) => labels.set_item(*x, l)?,
                LabelValue::Text(t) => labels.set_item(t, l)?,
            }
        }
        out.set_item(&c.column, labels)?;
    }
    Ok(out)
}

/// Whether a column's counts mean something: an item's answers, or any column of a table
/// read without an instrument (`read_columns`); other columns' values are not answers.
fn counted(c: &ColumnReport) -> bool {
    c.role == "item" || c.role == "column"
}

/// One row per column of the export; answer counts only where [`counted`] (null for the
/// others).
fn columns_frame(cols: &[ColumnReport]) -> PolarsResult<DataFrame> {
    let text = |name: &str, f: &dyn Fn(&ColumnReport) -> Option<String>| {
        Column::new(name.into(), cols.iter().map(f).collect::<Vec<_>>())
    };
    let count = |name: &str, f: &dyn Fn(&ColumnReport) -> usize| {
        let values: Vec<Option<i64>> = cols.iter().map(|c| counted(c).then(|| int(f(c)))).collect();
        Column::new(name.into(), values)
    };
    // User-missing values become null in background columns too: counted where declared.
    let user_missing: Vec<Option<i64>> = cols
        .iter()
        .map(|c| (c.role == "item" || c.user_missing.is_some()).then(|| int(c.n_user_missing)))
        .collect();
    DataFrame::new(
        cols.len(),
        vec![
            text("column", &|c| Some(c.column.clone())),
            text("role", &|c| Some(c.role.clone())),
            text("item", &|c| c.item.clone()),
            text("matched_by", &|c| c.matched_by.clone()),
            text("question", &|c| c.question.clone()),
            text("dtype", &|c| Some(c.dtype.clone())),
            count("n_valid", &|c| c.n_valid),
            count("n_missing", &|c| c.n_missing),
            count("n_dont_know", &|c| c.n_dont_know),
            count("n_not_applicable", &|c| c.n_not_applicable),
            Column::new("n_user_missing".into(), user_missing),
            count("n_out_of_range", &|c| c.n_out_of_range),
            count("n_unknown_label", &|c| c.n_unknown_label),
            count("n_labels_mapped", &|c| c.n_labels_mapped),
            text("question_number", &|c| c.question_number.clone()),
            text("out_of_range", &|c| Some(value_counts(&c.out_of_range))),
            text("unknown_labels", &|c| Some(value_counts(&c.unknown_labels))),
            text("format", &|c| c.format.clone()),
            text("measure", &|c| c.measure.clone()),
            text("value_labels", &|c| label_list(&c.value_labels)),
            text("labels", &|c| c.labels.clone()),
            text("labels_note", &|c| c.labels_note.clone()),
            text("user_missing", &|c| c.user_missing.clone()),
        ],
    )
}

fn near_misses_frame(r: &ImportReport) -> PolarsResult<DataFrame> {
    let m = &r.near_misses;
    let text = |name: &str, f: &dyn Fn(&crate::import::mapping::NearMiss) -> String| {
        Column::new(name.into(), m.iter().map(f).collect::<Vec<_>>())
    };
    DataFrame::new(
        m.len(),
        vec![
            text("column", &|n| n.column.clone()),
            text("item", &|n| n.item.clone()),
            text("item_text", &|n| n.item_text.clone()),
            Column::new(
                "similarity".into(),
                m.iter().map(|n| n.similarity).collect::<Vec<_>>(),
            ),
        ],
    )
}

/// The result of raking: the new weights and the per-margin report, plus how it went.
#[pyclass(name = "_RakeOutcome", module = "lyhord._lyhord", frozen, get_all)]
pub struct PyRakeOutcome {
    /// One column, the new weights, in the rows' order.
    pub weights: Py<PyAny>,
    /// Achieved against population counts, per margin and category.
    pub report: Py<PyAny>,
    pub iterations: usize,
    pub max_error: f64,
    /// Weights held at `cap` or `floor`.
    pub trimmed: usize,
    /// Kish's design effect of the weights, and the effective sample size.
    pub deff: f64,
    pub n_eff: f64,
}

/// Whether a target is reached, and the trend it rests on.
#[pyclass(name = "_TargetStatus", module = "lyhord._lyhord", frozen, get_all)]
pub struct PyTargetStatus {
    pub status: &'static str,
    pub latest_year: Option<f64>,
    pub latest: Option<f64>,
    pub slope: Option<f64>,
    pub slope_se: Option<f64>,
    pub projected: Option<f64>,
}

/// Code counts, and co-occurrence pairs when a segment column was given.
#[pyclass(name = "_CodeCounts", module = "lyhord._lyhord", frozen, get_all)]
pub struct PyCodeCounts {
    pub counts: Py<PyAny>,
    pub pairs: Option<Py<PyAny>>,
}

/// Coded segments read from a file, and what became of each code name in it.
#[pyclass(name = "_Segments", module = "lyhord._lyhord", frozen, get_all)]
pub struct PySegments {
    pub segments: Py<PyAny>,
    pub codes: Py<PyAny>,
}

impl PySegments {
    pub fn new(py: Python<'_>, segments: DataFrame, codes: DataFrame) -> PyResult<Self> {
        Ok(PySegments {
            segments: frame_object(py, segments)?,
            codes: frame_object(py, codes)?,
        })
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyExport>()?;
    m.add_class::<PyImportSource>()?;
    m.add_class::<PyImportReport>()?;
    m.add_class::<PyRakeOutcome>()?;
    m.add_class::<PyTargetStatus>()?;
    m.add_class::<PyCodeCounts>()?;
    m.add_class::<PySegments>()
}
