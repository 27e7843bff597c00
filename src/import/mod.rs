//! Survey exports into the tidy frame `score` takes, with an import report.
//!
//! Every source (delimited text, Excel/OpenDocument, SPSS `.sav`, an in-memory frame) is
//! first read into a [`Table`] of raw columns that keep what the source says (text as
//! written, numbers, SPSS labels and user-missing codes); [`mapping`] then matches columns
//! to the instrument's items, turns answers into codes and reports everything it did.

pub mod excel;
pub mod headers;
mod labelled;
pub mod mapping;
pub mod sav;
pub mod text;
pub mod zipped;

use crate::error::ImportError;
use polars::prelude::*;
use std::path::Path;
pub use text::TextColumn;

/// A column as read: its flattened name, the texts it can be matched to items by, and values.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    /// Question text from a multi-row header, or an SPSS variable label.
    pub label: Option<String>,
    /// Extra texts to match items by (e.g. the statement of a matrix question).
    pub texts: Vec<String>,
    pub values: Values,
    /// Codes the source itself declares missing (SPSS user-missing values).
    pub user_missing: UserMissing,
    /// Value labels the source declares (SPSS), code → label.
    pub value_labels: Vec<(f64, String)>,
    /// The rest of an SPSS variable's dictionary entry (`None` for other sources).
    pub spss: Option<SpssVariable>,
}

impl Column {
    pub fn new(name: String, values: Values) -> Self {
        Column {
            name,
            label: None,
            texts: Vec::new(),
            values,
            user_missing: UserMissing::default(),
            value_labels: Vec::new(),
            spss: None,
        }
    }
}

/// What an SPSS dictionary says about a variable besides its name, label, value labels and
/// missing codes: shown per column in the import report, and used to type the column.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpssVariable {
    /// The print format as SPSS writes it ("F8.2", "A20", "DATE11").
    pub format: Option<String>,
    /// "nominal", "ordinal" or "scale"; `None` when the file leaves it unknown.
    pub measure: Option<String>,
    pub temporal: Option<Temporal>,
    /// Value labels of a string variable, value (trailing spaces removed) → label.
    pub text_labels: Vec<(String, String)>,
}

/// A numeric SPSS variable holding points in time or durations, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Temporal {
    /// A date (seconds since 1582-10-14 at midnight) → polars Date.
    Date,
    /// → polars Datetime (microseconds, no time zone: SPSS stores none).
    Datetime,
    /// A time of day or a duration → polars Duration (microseconds).
    Duration,
}

/// SPSS user-missing declaration: up to three discrete codes and/or one range (numeric
/// variables), or up to three values (string variables).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserMissing {
    pub codes: Vec<f64>,
    pub range: Option<(f64, f64)>,
    /// Missing values of a string variable, trailing spaces removed.
    pub texts: Vec<String>,
}

impl UserMissing {
    pub fn contains(&self, x: f64) -> bool {
        self.codes.contains(&x) || self.range.is_some_and(|(lo, hi)| x >= lo && x <= hi)
    }

    pub fn contains_text(&self, s: &str) -> bool {
        self.texts.iter().any(|t| t == s.trim_end())
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty() && self.range.is_none() && self.texts.is_empty()
    }

    /// As SPSS's MISSING VALUES writes it: `9, 90 THRU HI`, `LO THRU 0`, `'Z'`.
    pub fn describe(&self) -> String {
        let bound = |x: f64, lo: bool| {
            // SPSS writes LO as the lowest double above SYSMIS (−f64::MAX), HI as f64::MAX.
            if lo && x <= -f64::MAX / 2.0 {
                "LO".to_string()
            } else if !lo && x >= f64::MAX / 2.0 {
                "HI".to_string()
            } else {
                number_text(x)
            }
        };
        let range = self
            .range
            .map(|(lo, hi)| format!("{} THRU {}", bound(lo, true), bound(hi, false)));
        let codes = self.codes.iter().map(|&x| number_text(x));
        let texts = self.texts.iter().map(|t| format!("'{t}'"));
        range
            .into_iter()
            .chain(codes)
            .chain(texts)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A code as people write it: `9`, not `9.0`; `0.5` as is.
pub fn number_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

#[derive(Debug, Clone)]
pub enum Values {
    /// Text as written in the file; empty cells are `None`.
    Text(TextColumn),
    Numbers(Vec<Option<f64>>),
    /// A column of an in-memory frame, kept as it is for background columns.
    Series(Series),
}

/// One cell, as the mapping sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Empty,
    Number(f64),
    Text(&'a str),
}

impl Values {
    pub fn len(&self) -> usize {
        match self {
            Values::Text(t) => t.len(),
            Values::Numbers(v) => v.len(),
            Values::Series(s) => s.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Raw columns of equal length, plus the file line each data row starts on (text files).
#[derive(Debug, Clone)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: usize,
    pub row_lines: Option<Vec<usize>>,
}

/// How the source was read, for the import report.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SourceInfo {
    pub file: String,
    pub format: String,
    pub encoding: Option<String>,
    pub delimiter: Option<String>,
    pub decimal: Option<String>,
    pub header: String,
    pub sheet: Option<String>,
    /// 1-based row (line of a text file, row of a sheet) of the (first) header row.
    pub header_row: Option<usize>,
    /// Whether the rows above the header hold anything (a title block) or are empty.
    pub title_block: bool,
    /// Whether the header row was given (`header_row=`) rather than found.
    pub header_row_given: bool,
}

/// What a user can fix instead of letting it be sniffed.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub encoding: Option<String>,
    pub delimiter: Option<u8>,
    pub decimal: Option<u8>,
    pub header: headers::HeaderChoice,
    pub sheet: Option<excel::SheetChoice>,
    /// 1-based row of the header; found when not given (a title block may sit above it).
    pub header_row: Option<usize>,
}

/// Reads a survey export file of any supported format into raw columns.
pub fn read_file(path: &Path, options: &ReadOptions) -> Result<(Table, SourceInfo), ImportError> {
    let file = path.display().to_string();
    if path.is_dir() {
        return Err(ImportError::Io {
            file,
            message: "is a directory, not a file; give the export file inside it".into(),
        });
    }
    if !path.is_file() {
        return Err(ImportError::Io {
            file,
            message:
                "no such file; check the path (relative paths start from the working directory)"
                    .into(),
        });
    }
    let suffix = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match suffix.as_str() {
        "xlsx" | "xlsm" | "xlsb" | "xls" | "ods" => excel::read(path, &file, options),
        "sav" | "zsav" if options.header_row.is_some() => Err(ImportError::Parameter {
            parameter: "header_row".into(),
            message: format!("{file} is an SPSS file, whose variables are named; leave out header_row="),
        }),
        "sav" | "zsav" => sav::read_path(path, &file),
        "csv" | "tsv" | "txt" | "tab" | "" => read_text(path, &file, options),
        other => Err(ImportError::Parse {
            file,
            message: format!(
                "unknown export format .{other}; lyhord reads .csv/.tsv/.txt, .xlsx/.xls/.ods, .sav and .parquet"
            ),
        }),
    }
}

fn read_text(
    path: &Path,
    file: &str,
    options: &ReadOptions,
) -> Result<(Table, SourceInfo), ImportError> {
    let bytes = read_bytes(path).map_err(|e| ImportError::Io {
        file: file.into(),
        message: format!("cannot read: {e}"),
    })?;
    read_text_owned(bytes, file, options)
}

/// The whole file; a large one read in parts on several threads, so the kernel's copy into
/// fresh memory runs on every core.
fn read_bytes(path: &Path) -> std::io::Result<Vec<u8>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        let file = std::fs::File::open(path)?;
        let Ok(len) = usize::try_from(file.metadata()?.len()) else {
            return std::fs::read(path);
        };
        let threads = crate::parallel::threads_for(len / BYTES_PER_READ_THREAD);
        if threads > 1 {
            let mut bytes = vec![0u8; len];
            let parts: Vec<(u64, &mut [u8])> = bytes
                .chunks_mut(len.div_ceil(threads))
                .scan(0u64, |at, part| {
                    let start = *at;
                    *at += part.len() as u64;
                    Some((start, part))
                })
                .collect();
            let read = crate::parallel::map_owned(parts, |(at, part)| file.read_exact_at(part, at));
            read.into_iter().collect::<std::io::Result<()>>()?;
            return Ok(bytes);
        }
    }
    std::fs::read(path)
}

/// Bytes of a file that count as one row of work for [`crate::parallel::threads_for`]: a file
/// is read on two threads from 20 MB on.
const BYTES_PER_READ_THREAD: usize = 200;

/// The text path on bytes already in memory (also what the fuzz tests drive).
pub fn read_text_bytes(
    bytes: &[u8],
    file: &str,
    options: &ReadOptions,
) -> Result<(Table, SourceInfo), ImportError> {
    read_text_owned(bytes.to_vec(), file, options)
}

fn read_text_owned(
    bytes: Vec<u8>,
    file: &str,
    options: &ReadOptions,
) -> Result<(Table, SourceInfo), ImportError> {
    let (decoded, encoding) = text::decode(bytes, file, options.encoding.as_deref())?;
    if decoded.is_blank() {
        return Err(ImportError::Empty {
            file: file.into(),
            message: "the file is empty; export the survey again with its header row and answers"
                .into(),
        });
    }
    let delimiter = options
        .delimiter
        .unwrap_or_else(|| text::sniff_delimiter(&decoded, options.header_row));
    let head = text::parse_head(
        &decoded,
        file,
        delimiter,
        options.header_row.unwrap_or(0) + headers::TITLE_ROWS_MAX + 3,
    )?;
    let place = headers::HeaderPlace::find(&head, options.header_row, 0, file)?;
    let style = headers::detect(&head[place.skip..], options.header, file)?;
    let (header_rows, mut table) =
        text::parse(&decoded, file, delimiter, place.skip, style.rows())?;
    if table.rows == 0 {
        return Err(ImportError::Empty {
            file: file.into(),
            message: format!(
                "only the header ({} row(s)), no answers; was the export filtered to zero responses?",
                header_rows.len()
            ),
        });
    }
    headers::apply(style, &header_rows, &mut table.columns);
    let decimal = options
        .decimal
        .unwrap_or_else(|| text::sniff_decimal(&table, delimiter));
    let info = SourceInfo {
        file: file.into(),
        format: if delimiter == b'\t' { "tsv" } else { "csv" }.into(),
        encoding: Some(encoding),
        delimiter: Some(text::describe_delimiter(delimiter)),
        decimal: Some((decimal as char).to_string()),
        header: style.name().into(),
        sheet: None,
        header_row: Some(place.skip + 1),
        title_block: place.title_block,
        header_row_given: options.header_row.is_some(),
    };
    Ok((table, info))
}

/// A frame (in memory, or read by the caller from `file`, e.g. Parquet) as raw columns;
/// `file` and `format` name it in errors and the report.
pub fn from_frame(df: &DataFrame, file: &str, format: &str) -> (Table, SourceInfo) {
    let columns = df
        .columns()
        .iter()
        .map(|c| {
            let mut column = Column::new(
                c.name().to_string(),
                Values::Series(c.as_materialized_series().clone()),
            );
            column.texts = vec![column.name.clone()];
            column
        })
        .collect();
    let info = SourceInfo {
        file: file.into(),
        format: format.into(),
        header: "single".into(),
        ..SourceInfo::default()
    };
    (
        Table {
            columns,
            rows: df.height(),
            row_lines: None,
        },
        info,
    )
}
