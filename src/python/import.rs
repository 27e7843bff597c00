//! Bindings of survey-export import: files and frames to the tidy answers frame plus the
//! import report (handed over as JSON), and the `.sav` writer of the example exports.

use super::errors::{to_pyerr, IntoPyResult};
use super::PyInstrument;
use crate::error::ImportError;
use crate::import::excel::SheetChoice;
use crate::import::headers::HeaderChoice;
use crate::import::mapping::{map_table, MapOptions};
use crate::import::sav::{self, WriteValues, WriteVariable};
use crate::import::{from_frame, read_file, ReadOptions, SourceInfo, Table};
use polars::prelude::*;
use pyo3::prelude::*;
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

fn map_options(
    mapping: Vec<(String, String)>,
    labels: Vec<(String, i64)>,
    id: Option<String>,
    strict: bool,
) -> MapOptions {
    MapOptions {
        mapping,
        labels,
        id_column: id,
        strict,
        decimal: b'.',
    }
}

fn report_json<T: serde::Serialize>(report: &T) -> PyResult<String> {
    serde_json::to_string(report).map_err(|e| parameter("report", e.to_string()))
}

#[pyfunction]
#[pyo3(signature = (path, instrument, mapping, labels, id, strict, encoding, delimiter, decimal, header, sheet, header_row))]
#[allow(clippy::too_many_arguments)]
fn _read_export_file(
    py: Python<'_>,
    path: PathBuf,
    instrument: PyInstrument,
    mapping: Vec<(String, String)>,
    labels: Vec<(String, i64)>,
    id: Option<String>,
    strict: bool,
    encoding: Option<String>,
    delimiter: Option<String>,
    decimal: Option<String>,
    header: String,
    sheet: Option<Bound<'_, PyAny>>,
    header_row: Option<i64>,
) -> PyResult<(PyDataFrame, String)> {
    let header = HeaderChoice::parse(&header).ok_or_else(|| {
        parameter(
            "header",
            format!(
                "must be \"auto\", \"single\", \"qualtrics\" or \"surveymonkey\", got {header:?}"
            ),
        )
    })?;
    let sheet = match sheet {
        None => None,
        Some(s) => match s.extract::<usize>() {
            Ok(i) => Some(SheetChoice::Index(i)),
            Err(_) => Some(SheetChoice::Name(s.extract::<String>().map_err(|_| {
                parameter("sheet", "must be a sheet name or a 0-based index".into())
            })?)),
        },
    };
    let options = ReadOptions {
        encoding,
        delimiter: one_byte("delimiter", delimiter)?,
        decimal: one_byte("decimal", decimal)?,
        header,
        sheet,
        header_row: row_number("header_row", header_row)?,
    };
    let map = map_options(mapping, labels, id, strict);
    import(py, &instrument, map, None, || read_file(&path, &options))
}

#[pyfunction]
#[pyo3(signature = (data, instrument, mapping, labels, id, strict, decimal, source, format))]
#[allow(clippy::too_many_arguments)]
fn _read_export_frame(
    py: Python<'_>,
    data: PyDataFrame,
    instrument: PyInstrument,
    mapping: Vec<(String, String)>,
    labels: Vec<(String, i64)>,
    id: Option<String>,
    strict: bool,
    decimal: Option<String>,
    source: String,
    format: String,
) -> PyResult<(PyDataFrame, String)> {
    let map = map_options(mapping, labels, id, strict);
    let decimal = one_byte("decimal", decimal)?;
    import(py, &instrument, map, decimal, || {
        Ok(from_frame(&data.0, &source, &format))
    })
}

/// Reads with `read` and maps to the instrument without holding the GIL. Numbers written as
/// text use `decimal` when given, else the separator the reader found, else `.`.
fn import(
    py: Python<'_>,
    instrument: &PyInstrument,
    mut map: MapOptions,
    decimal: Option<u8>,
    read: impl FnOnce() -> Result<(Table, SourceInfo), ImportError> + Send,
) -> PyResult<(PyDataFrame, String)> {
    let (frame, report) = py
        .detach(|| {
            let (table, info) = read()?;
            let found = info.decimal.as_deref().and_then(|d| d.bytes().next());
            map.decimal = decimal.or(found).unwrap_or(b'.');
            map_table(&table, info, &instrument.inner, &map)
        })
        .map_err(crate::Error::from)
        .py_err()?;
    Ok((PyDataFrame(frame), report_json(&report)?))
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
    m.add_function(wrap_pyfunction!(_write_sav, m)?)?;
    Ok(())
}
