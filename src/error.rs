//! Error types, one enum per capability. Every variant names what was wrong (file, column,
//! row, key or parameter) and what would fix it; `src/python/errors.rs` maps them to the
//! Python exception hierarchy in one place.
//!
//! Advice about a keyword argument is written `name=` (with a value where it helps:
//! `strict=True`, `encoding="utf-16"`, `mapping={...}`) or as "parameter `name`": the command
//! line finds these two forms and says them as its flags (`lyhord.cli.FLAGS`).

use thiserror::Error;

/// A keyword option given a value it does not have (`missing="both"`): the same error, and
/// the same Python exception, for every option of every capability.
#[derive(Debug, Error, Clone, PartialEq)]
#[error("parameter `{keyword}` must be {}, not {value:?}", one_of(valid))]
pub struct ChoiceError {
    pub keyword: String,
    pub value: String,
    pub valid: Vec<String>,
}

/// `"a", "b" or "c"`.
fn one_of(valid: &[String]) -> String {
    let quoted: Vec<String> = valid.iter().map(|v| format!("{v:?}")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => "one of no values".into(),
    }
}

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
    #[error("parameter `{parameter}` {message}")]
    Parameter { parameter: String, message: String },
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
    #[error("key column `{column}` is {left_dtype} in the {left} table but {right_dtype} in the {right} table, so their groups cannot be matched; cast the column in one of them so both have the same type")]
    KeyDtype {
        column: String,
        left: String,
        left_dtype: String,
        right: String,
        right_dtype: String,
    },
    #[error("{role} value `{value}` cannot be read as a value of key column `{column}` ({dtype}); give it as the column's values are written")]
    KeyValue {
        role: String,
        value: String,
        column: String,
        dtype: String,
    },
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
        "headcount table: no headcount for unit {unit}; add a row for it or leave out headcounts="
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
    #[error("sums table: {message}")]
    Sums { message: String },
    #[error("the {table} table cannot be published beside what this publication returned before: blanking {what} of {group} would not protect it, because the earlier tables show the groups around it ({shown}); add this table to the publication before those, or leave it out")]
    Unprotectable {
        table: String,
        what: String,
        group: String,
        shown: String,
    },
}

/// Reliability, item analysis and driver analysis that cannot be computed as asked. `scale`
/// is the dimension or index (and group) being analysed.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ReliabilityError {
    #[error("parameter `{parameter}`: {message}")]
    Parameter { parameter: String, message: String },
    #[error("{scale}: {k} item(s); {what} needs at least {needed} items")]
    TooFewItems {
        scale: String,
        k: usize,
        needed: usize,
        what: String,
    },
    #[error("{scale}: only {n} respondent(s) with answers; at least {needed} are needed (use a coarser `by` or more data)")]
    TooFewRespondents { scale: String, n: u64, needed: u64 },
    #[error("{scale}: item `{item}` has zero variance (everyone who answered gave the same answer, or fewer than two answered); drop the item or analyse a larger group")]
    ZeroVariance { scale: String, item: String },
    #[error("{scale}: items `{a}` and `{b}` are answered together by {n} respondent(s); their covariance needs at least 2 (use missing=\"pairwise\" on more data or drop an item)")]
    TooFewPairs {
        scale: String,
        a: String,
        b: String,
        n: u64,
    },
    #[error("{scale}: the correlation matrix of {items} is singular (an item is a linear combination of others); drop one of them")]
    Singular { scale: String, items: String },
    #[error("{scale}: {message}")]
    Undefined { scale: String, message: String },
    #[error("outcome `{outcome}` is neither \"index\", a dimension of the instrument nor a numeric column of the answers; known: {known}")]
    UnknownOutcome { outcome: String, known: String },
}

/// Example data generation.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ExampleError {
    #[error("parameter `{parameter}`: {message}")]
    Parameter { parameter: String, message: String },
}

/// Comparing waves and following units over time.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum FollowupError {
    #[error("parameter `{parameter}`: {message}")]
    Parameter { parameter: String, message: String },
    #[error("the {which} table is not an `ly.estimate` table: column `{missing}` is missing; pass the output of `ly.estimate`")]
    NotAnEstimateTable { which: String, missing: String },
    #[error("the two tables are grouped differently (earlier by [{earlier}], later by [{later}]); estimate both waves with the same `by`")]
    DifferentGrouping { earlier: String, later: String },
    #[error("unit_map names {wave} unit `{unit}`, which is not a unit of the {wave} table; check the spelling or drop the entry")]
    UnknownUnit { wave: String, unit: String },
}

/// Intercoder agreement that cannot be computed as asked.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum AgreementError {
    #[error("parameter `{parameter}`: {message}")]
    Parameter { parameter: String, message: String },
    #[error("the {role} column `{column}` is not in the ratings; present columns: {present}. Pass its name as `{role}=`")]
    MissingColumn {
        role: String,
        column: String,
        present: String,
    },
    #[error(
        "column `{column}`, row {row}: the {role} is empty; every rating needs a unit and a coder"
    )]
    EmptyKey {
        role: String,
        column: String,
        row: usize,
    },
    #[error("{group}unit `{unit}` is rated twice by coder `{coder}` (rows {first} and {second}); keep one rating per coder and unit (for several codes on one segment use `ly.code_presence`, which gives one yes/no rating per code)")]
    DuplicateRating {
        group: String,
        unit: String,
        coder: String,
        first: usize,
        second: usize,
    },
    #[error("column `{column}`, row {row}: value {value:?} is not one of the categories ({categories}); add it to `categories` or correct the rating")]
    UnknownCategory {
        column: String,
        row: usize,
        value: String,
        categories: String,
    },
    #[error("column `{column}`: {message}")]
    Values { column: String, message: String },
}

/// Coding frames and coded interview segments.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum InterviewError {
    #[error("coding frame {source_name}: cannot parse TOML: {message}")]
    Parse {
        source_name: String,
        message: String,
    },
    #[error("coding frame {frame}: key `{key}`: {message}")]
    Invalid {
        frame: String,
        key: String,
        message: String,
    },
    #[error("unknown built-in coding frame `{name}`; available: {available}")]
    UnknownBuiltin { name: String, available: String },
    #[error("cannot read coding frame file {path}: {message}")]
    Io { path: String, message: String },
    #[error("parameter `{parameter}`: {message}")]
    Parameter { parameter: String, message: String },
    #[error("the {role} column `{column}` is not in the segments; present columns: {present}. Pass its name as `{role}=`")]
    MissingColumn {
        role: String,
        column: String,
        present: String,
    },
    #[error("{file} {message}")]
    Qdpx { file: String, message: String },
    #[error("{file}: codes not in coding frame {frame}: {codes}. Add them to the frame (by id or label), rename them in the QDA program, or pass unmatched=\"drop\" to leave them out (the import report then lists them)")]
    UnmatchedCodes {
        file: String,
        frame: String,
        codes: String,
    },
    #[error("column `{column}`, row {row}: {message}")]
    Segment {
        column: String,
        row: usize,
        message: String,
    },
}

/// Sampling designs, raking and design-based estimates.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum DesignError {
    #[error("the {role} column `{column}` is not in the data; present columns: {present}")]
    MissingColumn {
        role: String,
        column: String,
        present: String,
    },
    #[error("column `{column}`, row {row}: {message}")]
    Column {
        column: String,
        row: usize,
        message: String,
    },
    #[error("parameter `{parameter}`: {message}")]
    Parameter { parameter: String, message: String },
    #[error("stratum `{stratum}` has a single sampled cluster, so its variance cannot be estimated; pass lonely_psu=\"adjust\" (its cluster total counted from 0, as R), \"certainty\", \"remove\", \"average\" or \"collapse\" (merge it with the next stratum)")]
    LonelyPsu { stratum: String },
    #[error("margin {margin}: {message}")]
    Margin { margin: String, message: String },
    #[error("margin {margin}: `{category}` has {target} people in the population but no respondents, so no weight can reach it; merge it with a neighbouring category")]
    EmptyCell {
        margin: String,
        category: String,
        target: f64,
    },
    #[error("margin {margin}: row {row} has `{value}`, which the population table does not list; add it to the table or correct the data")]
    UnknownCategory {
        margin: String,
        value: String,
        row: usize,
    },
    #[error("the margins describe different populations: {first} sums to {first_total} but {other} to {other_total}; they must have the same total")]
    InconsistentMargins {
        first: String,
        first_total: f64,
        other: String,
        other_total: f64,
    },
    #[error("raking did not converge in {iterations} iterations (largest relative margin error {max_error:.3e}){}", if *bounded { "; the weight bounds may conflict with the margins: loosen `cap`/`floor`" } else { "; raise `max_iterations` or merge sparse categories" })]
    NotConverged {
        iterations: usize,
        max_error: f64,
        bounded: bool,
    },
}

/// Survey exports that cannot be read or mapped to the instrument. `file` is the path (or
/// "the DataFrame") and every message names the place: line, row, column or sheet.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ImportError {
    #[error("{file}: {message}")]
    Io { file: String, message: String },
    #[error("{file}: {message}")]
    Empty { file: String, message: String },
    #[error("{file}: {message}")]
    Decode { file: String, message: String },
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: no sheet {sheet}; the workbook has {available}. Pass sheet= with one of them (name or 0-based index)")]
    Sheet {
        file: String,
        sheet: String,
        available: String,
    },
    #[error("parameter `{parameter}`: {message}")]
    Parameter { parameter: String, message: String },
    #[error("{file}: {message}")]
    Mapping { file: String, message: String },
    #[error("{file}: column `{column}` (item {item}), row {row}: {problem}. Correct the value, map the label with labels={{...}}, or leave out strict=True to set such values to missing (the import report lists them)")]
    Strict {
        file: String,
        column: String,
        item: String,
        row: usize,
        problem: String,
    },
}

/// Any lyhord error; the Python layer maps each capability to its own exception class.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum Error {
    #[error(transparent)]
    Choice(#[from] ChoiceError),
    #[error(transparent)]
    Instrument(#[from] InstrumentError),
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Estimate(#[from] EstimateError),
    #[error(transparent)]
    Example(#[from] ExampleError),
    #[error(transparent)]
    Reliability(#[from] ReliabilityError),
    #[error(transparent)]
    Followup(#[from] FollowupError),
    #[error(transparent)]
    Agreement(#[from] AgreementError),
    #[error(transparent)]
    Interview(#[from] InterviewError),
    #[error(transparent)]
    Design(#[from] DesignError),
    #[error(transparent)]
    Import(#[from] ImportError),
}

impl Error {
    /// The same error with its row number counted `offset` rows further on: for answers
    /// read in batches, so the row is the row of the whole input.
    pub fn rows_from(mut self, offset: usize) -> Self {
        match &mut self {
            Error::Data(DataError::OutOfScale { row, .. })
            | Error::Estimate(EstimateError::BadWeight { row, .. }) => *row += offset,
            _ => {}
        }
        self
    }
}

impl From<polars::prelude::PolarsError> for Error {
    fn from(e: polars::prelude::PolarsError) -> Self {
        Error::Data(DataError::Polars(e.to_string()))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
