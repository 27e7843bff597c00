//! Error types, one enum per capability. Every variant names what was wrong (file, column,
//! row, key or parameter) and what would fix it; `src/python/errors.rs` maps them to the
//! Python exception hierarchy in one place.

use thiserror::Error;

/// A codebook (instrument) that cannot be used as written.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum InstrumentError {
    #[error("instrument {source_name}: cannot parse TOML: {message}")]
    Parse {
        source_name: String,
        message: String,
    },
    #[error("instrument {instrument}: key `{key}`: {message}")]
    Invalid {
        instrument: String,
        key: String,
        message: String,
    },
    #[error("unknown built-in instrument `{name}`; available: {available}")]
    UnknownBuiltin { name: String, available: String },
    #[error("instrument {instrument}: no dimension or index called `{measure}`; known measures: {known}")]
    UnknownMeasure {
        instrument: String,
        measure: String,
        known: String,
    },
    #[error("cannot read instrument file {path}: {message}")]
    Io { path: String, message: String },
}

/// Answers that do not fit the instrument.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum DataError {
    #[error("column `{column}` (item of instrument {instrument}) is missing from the answers; present columns: {present}. Rename the column or map it to the item")]
    MissingColumn {
        column: String,
        instrument: String,
        present: String,
    },
    #[error("column `{column}`, row {row}: value {value} is outside the scale {min}–{max} and is not a declared \"don't know\" / not-applicable code ({codes}); clean the value or declare the code in the instrument")]
    OutOfScale {
        column: String,
        row: usize,
        value: String,
        min: i64,
        max: i64,
        codes: String,
    },
    #[error("column `{column}` has type {dtype}; answers must be numeric codes (integers){hint}")]
    NotNumeric {
        column: String,
        dtype: String,
        hint: String,
    },
    #[error("column `{column}`: {message}")]
    BadColumn { column: String, message: String },
    #[error("grouping column `{column}` is not in the data; present columns: {present}")]
    UnknownGroupColumn { column: String, present: String },
    #[error("output column `{column}` would overwrite an input column; rename the input column or choose another measure id")]
    ColumnClash { column: String },
    #[error("{0}")]
    Polars(String),
}

/// Estimates that cannot be computed as asked.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum EstimateError {
    #[error("parameter `{parameter}`: {message}")]
    Parameter { parameter: String, message: String },
    #[error("headcount table: unit {unit} has headcount {headcount} but {respondents} respondents; fix the headcount table (headcount must be at least the number of respondents)")]
    HeadcountTooSmall {
        unit: String,
        headcount: f64,
        respondents: usize,
    },
    #[error(
        "headcount table: no headcount for unit {unit}; add a row for it or leave out `headcounts`"
    )]
    MissingHeadcount { unit: String },
    #[error(
        "weights column `{column}`, row {row}: weight {value} is not a positive finite number"
    )]
    BadWeight {
        column: String,
        row: usize,
        value: String,
    },
}

/// Example data generation.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ExampleError {
    #[error("parameter `{parameter}`: {message}")]
    Parameter { parameter: String, message: String },
}

/// Any lyhord error; the Python layer maps each capability to its own exception class.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum Error {
    #[error(transparent)]
    Instrument(#[from] InstrumentError),
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Estimate(#[from] EstimateError),
    #[error(transparent)]
    Example(#[from] ExampleError),
}

impl From<polars::prelude::PolarsError> for Error {
    fn from(e: polars::prelude::PolarsError) -> Self {
        Error::Data(DataError::Polars(e.to_string()))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
