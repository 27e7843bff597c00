//! Bindings of survey-export import: files and frames to the tidy answers frame plus the
//! import report (a class of its own, `results.rs`), and the `.sav` writer of the example
//! exports.

use super::errors::{self, to_pyerr, IntoPyResult};
use super::results::{frame_object, PyExport, PyImportReport};
use super::PyInstrument;
use crate::error::ImportError;
use crate::import::excel::SheetChoice;
use crate::import::headers::HeaderChoice;
use crate::import::mapping::{map_table, read_columns, ImportReport, MapOptions};
use crate::import::sav::{self, WriteValues, WriteVariable};
use crate::import::{from_frame, read_file, ReadOptions, SourceInfo, Table};
use polars::prelude::*;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3_polars::PyDataFrame;
use std::collections::HashMap;
use std::path::PathBuf;

fn parameter(parameter: &str, message: String) -> PyErr {
    to_pyerr(
        ImportError::Parameter {
            parameter: parameter.into(),
            message,
        }
        .into(),
    )
}

fn one_byte(name: &str, value: Option<String>) -> PyResult<Option<u8>> {
    match value.as_deref() {
        None => Ok(None),
        Some("\\t") | Some("\t") | Some("tab") => Ok(Some(b'\t')),
        Some(s) if s.len() == 1 && s.is_ascii() => Ok(Some(s.as_bytes()[0])),
        Some(s) => Err(parameter(
            name,
            format!("must be a single character, got {s:?}"),
        )),
    }
}

/// A 1-based row number given from Python.
fn row_number(name: &str, value: Option<i64>) -> PyResult<Option<usize>> {
    match value {
        None => Ok(None),
        Some(r) if r >= 1 => Ok(usize::try_from(r).ok()),
        Some(r) => Err(parameter(
            name,
            format!("rows are counted from 1 (the first row of the file or sheet), got {r}"),
        )),
    }
}

/// The mapping keywords of `ly.read_export`, for files and frames alike.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct MapArgs {
    mapping: Vec<(String, String)>,
    labels: Vec<(String, i64)>,
    id: Option<String>,
    strict: bool,
    decimal: Option<String>,
}

impl MapArgs {
    /// The mapping options and the decimal separator the user gave (else the sniffed one).
    fn split(self) -> PyResult<(MapOptions, Option<u8>)> {
        let decimal = one_byte("decimal", self.decimal)?;
        let map = MapOptions {
            mapping: self.mapping,
            labels: self.labels,
            id_column: self.id,
            strict: self.strict,
            decimal: b'.',
        };
        Ok((map, decimal))
    }
}

/// A sheet by 0-based index or by name.
#[derive(FromPyObject)]
enum SheetArg {
    Index(usize),
    Name(String),
}

/// The reading keywords of `ly.read_export` for files (sniffed when left out).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct ReadArgs {
    encoding: Option<String>,
    delimiter: Option<String>,
    header: String,
    sheet: Option<SheetArg>,
    header_row: Option<i64>,
}

impl ReadArgs {
    fn read_options(self) -> PyResult<ReadOptions> {
        Ok(ReadOptions {
            encoding: self.encoding,
            delimiter: one_byte("delimiter", self.delimiter)?,
            decimal: None,
            header: self.header.parse::<HeaderChoice>().py_err()?,
            sheet: self.sheet.map(|s| match s {
                SheetArg::Index(i) => SheetChoice::Index(i),
                SheetArg::Name(n) => SheetChoice::Name(n),
            }),
            header_row: row_number("header_row", self.header_row)?,
        })
    }
}

/// Reads an export file; `options` are the keywords of [`MapArgs`] and [`ReadArgs`].
#[pyfunction]
#[pyo3(signature = (path, instrument, **options))]
fn _read_export_file(
    py: Python<'_>,
    path: PathBuf,
    instrument: PyInstrument,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyExport> {
    let (map, decimal) = errors::options::<MapArgs>(py, options)?.split()?;
    let mut read = errors::options::<ReadArgs>(py, options)?.read_options()?;
    read.decimal = decimal;
    import(py, &instrument, map, None, || read_file(&path, &read))
}

/// Maps a frame's columns; `options` are the keywords of [`MapArgs`].
#[pyfunction]
#[pyo3(signature = (data, instrument, source, format, **options))]
fn _read_export_frame(
    py: Python<'_>,
    data: PyDataFrame,
    instrument: PyInstrument,
    source: String,
    format: String,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyExport> {
    let (map, decimal) = errors::options::<MapArgs>(py, options)?.split()?;
    import(py, &instrument, map, decimal, || {
        Ok(from_frame(&data.0, &source, &format))
    })
}

/// Reads with `read` and maps to the instrument without holding the GIL.
fn import(
    py: Python<'_>,
    instrument: &PyInstrument,
    mut map: MapOptions,
    decimal: Option<u8>,
    read: impl FnOnce() -> Result<(Table, SourceInfo), ImportError> + Send,
) -> PyResult<PyExport> {
    read_then(py, decimal, read, |table, info, decimal| {
        map.decimal = decimal;
        map_table(table, info, &instrument.inner, &map)
    })
}

/// Reads with `read`, then makes the frame and report with `make` (given the decimal
/// separator of numbers written as text), without holding the GIL.
fn read_then(
    py: Python<'_>,
    decimal: Option<u8>,
    read: impl FnOnce() -> Result<(Table, SourceInfo), ImportError> + Send,
    make: impl FnOnce(&Table, SourceInfo, u8) -> Result<(DataFrame, ImportReport), ImportError> + Send,
) -> PyResult<PyExport> {
    let (frame, report) = py
        .detach(|| {
            let (table, info) = read()?;
            let decimal = decimal_of(&info, decimal);
            make(&table, info, decimal)
        })
        .map_err(crate::Error::from)
        .py_err()?;
    export(py, frame, report)
}

/// Numbers written as text use `decimal` when given, else the separator the reader found,
/// else `.`.
fn decimal_of(info: &SourceInfo, given: Option<u8>) -> u8 {
    let found = info.decimal.as_deref().and_then(|d| d.bytes().next());
    given.or(found).unwrap_or(b'.')
}

fn export(py: Python<'_>, frame: DataFrame, report: ImportReport) -> PyResult<PyExport> {
    Ok(PyExport {
        data: frame_object(py, frame)?,
        report: Py::new(py, PyImportReport::new(py, report)?)?,
    })
}

/// The `decimal=` keyword of `ly.read_table` (the reading keywords are [`ReadArgs`]).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct DecimalArg {
    decimal: Option<String>,
}

/// Reads an export without an instrument: every column as the source has it; `options` are
/// the keywords of [`ReadArgs`] and `decimal`.
#[pyfunction]
#[pyo3(signature = (path, **options))]
fn _read_table_file(
    py: Python<'_>,
    path: PathBuf,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyExport> {
    let decimal = one_byte(
        "decimal",
        errors::options::<DecimalArg>(py, options)?.decimal,
    )?;
    let mut read = errors::options::<ReadArgs>(py, options)?.read_options()?;
    read.decimal = decimal;
    as_found(py, decimal, || read_file(&path, &read))
}

/// A frame read by the caller (Parquet) as `_read_table_file` reads files.
#[pyfunction]
#[pyo3(signature = (data, source, format))]
fn _read_table_frame(
    py: Python<'_>,
    data: PyDataFrame,
    source: String,
    format: String,
) -> PyResult<PyExport> {
    as_found(py, None, || Ok(from_frame(&data.0, &source, &format)))
}

fn as_found(
    py: Python<'_>,
    decimal: Option<u8>,
    read: impl FnOnce() -> Result<(Table, SourceInfo), ImportError> + Send,
) -> PyResult<PyExport> {
    read_then(py, decimal, read, read_columns)
}

fn write_values(column: &polars::prelude::Column) -> PyResult<WriteValues> {
    let s = column.as_materialized_series();
    let err = |e: PolarsError| to_pyerr(crate::Error::from(e));
    if s.dtype().is_primitive_numeric() || s.dtype().is_bool() {
        let f = s.cast(&DataType::Float64).map_err(err)?;
        return Ok(WriteValues::Numbers(f.f64().map_err(err)?.iter().collect()));
    }
    let t = s.cast(&DataType::String).map_err(err)?;
    Ok(WriteValues::Text(
        t.str()
            .map_err(err)?
            .iter()
            .map(|v| v.map(str::to_string))
            .collect(),
    ))
}

/// Writes a frame as a bytecode-compressed UTF-8 `.sav` with labels and user-missing codes.
#[pyfunction]
#[pyo3(signature = (data, path, variable_labels, value_labels, user_missing, file_label))]
fn _write_sav(
    data: PyDataFrame,
    path: PathBuf,
    variable_labels: HashMap<String, String>,
    value_labels: HashMap<String, Vec<(f64, String)>>,
    user_missing: HashMap<String, Vec<f64>>,
    file_label: String,
) -> PyResult<()> {
    let df = data.0;
    for name in variable_labels
        .keys()
        .chain(value_labels.keys())
        .chain(user_missing.keys())
    {
        if df.column(name).is_err() {
            return Err(parameter(
                "labels",
                format!("column {name:?} is not in the frame"),
            ));
        }
    }
    let variables = df
        .columns()
        .iter()
        .map(|c| {
            let name = c.name().to_string();
            Ok(WriteVariable {
                label: variable_labels.get(&name).cloned(),
                value_labels: value_labels.get(&name).cloned().unwrap_or_default(),
                user_missing: user_missing.get(&name).cloned().unwrap_or_default(),
                values: write_values(c)?,
                name,
            })
        })
        .collect::<PyResult<Vec<_>>>()?;
    let bytes = sav::write(&variables, &file_label)
        .map_err(crate::Error::from)
        .py_err()?;
    std::fs::write(&path, bytes).map_err(|e| {
        to_pyerr(
            ImportError::Io {
                file: path.display().to_string(),
                message: format!("cannot write: {e}"),
            }
            .into(),
        )
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_read_export_file, m)?)?;
    m.add_function(wrap_pyfunction!(_read_export_frame, m)?)?;
    m.add_function(wrap_pyfunction!(_read_table_file, m)?)?;
    m.add_function(wrap_pyfunction!(_read_table_frame, m)?)?;
    m.add_function(wrap_pyfunction!(_write_sav, m)?)?;
    Ok(())
}
