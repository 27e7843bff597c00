//! Excel and OpenDocument workbooks (.xlsx, .xlsm, .xlsb, .xls, .ods) through calamine.

use super::headers;
use super::text::TextBuilder;
use super::{Column, ReadOptions, SourceInfo, Table, Values};
use crate::error::ImportError;
use calamine::{open_workbook_auto, Data, Reader};
use std::path::Path;

/// A sheet by name or 0-based position.
#[derive(Debug, Clone, PartialEq)]
pub enum SheetChoice {
    Name(String),
    Index(usize),
}

pub fn read(
    path: &Path,
    file: &str,
    options: &ReadOptions,
) -> Result<(Table, SourceInfo), ImportError> {
    let mut workbook = open_workbook_auto(path).map_err(|e| ImportError::Parse {
        file: file.into(),
        message: format!("cannot open as a workbook: {e}; is it a real Excel/OpenDocument file (not a CSV renamed .xlsx)?"),
    })?;
    let names = workbook.sheet_names();
    let sheet = pick_sheet(&names, options.sheet.as_ref(), file)?;
    let range = workbook
        .worksheet_range(&sheet)
        .map_err(|e| ImportError::Parse {
            file: file.into(),
            message: format!("sheet {sheet:?}: {e}"),
        })?;
    let rows: Vec<&[Data]> = range.rows().collect();
    if rows.is_empty() {
        return Err(ImportError::Empty {
            file: file.into(),
            message: format!(
                "sheet {sheet:?} is empty; choose the sheet with the answers (sheet=)"
            ),
        });
    }
    // Sheet row numbers: calamine's range starts at the first filled row.
    let top = range.start().map(|(r, _)| r as usize).unwrap_or(0);
    let head: Vec<Vec<String>> = rows
        .iter()
        .take(options.header_row.unwrap_or(0) + headers::TITLE_ROWS_MAX + 3)
        .map(|r| r.iter().map(cell_text).collect())
        .collect();
    let place = headers::HeaderPlace::find(&head, options.header_row, top, file)?;
    let first = &head[place.skip..head.len().min(place.skip + 3)];
    let style = headers::detect(first, options.header);
    let start = (place.skip + style.rows()).min(rows.len());
    let data = &rows[start..];
    if data.is_empty() {
        return Err(ImportError::Empty {
            file: file.into(),
            message: format!(
                "sheet {sheet:?} has only a header row, no answers; choose the sheet with the answers (sheet=, names: {})",
                names.join(", ")
            ),
        });
    }
    let width = first[0].len();
    let mut columns: Vec<Column> = (0..width)
        .map(|c| Column::new(String::new(), column_values(data, c)))
        .collect();
    headers::apply(style, &first[..style.rows().min(first.len())], &mut columns);
    // Spreadsheet row numbers, so the report points at the row the user sees.
    let row_lines = (0..data.len()).map(|i| top + start + i + 1).collect();
    let info = SourceInfo {
        file: file.into(),
        format: path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default(),
        header: style.name().to_string(),
        sheet: Some(sheet),
        header_row: Some(top + place.skip + 1),
        // Blank rows above the first filled one are not in the range: a title block is
        // only what `place` saw.
        title_block: place.title_block,
        header_row_given: options.header_row.is_some(),
        ..SourceInfo::default()
    };
    Ok((
        Table {
            columns,
            rows: data.len(),
            row_lines: Some(row_lines),
        },
        info,
    ))
}

fn pick_sheet(
    names: &[String],
    choice: Option<&SheetChoice>,
    file: &str,
) -> Result<String, ImportError> {
    let available = || {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| format!("{i}: {n:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let found = match choice {
        None => names.first().cloned(),
        Some(SheetChoice::Index(i)) => names.get(*i).cloned(),
        Some(SheetChoice::Name(n)) => names
            .iter()
            .find(|s| s.trim().eq_ignore_ascii_case(n.trim()))
            .cloned(),
    };
    found.ok_or_else(|| ImportError::Sheet {
        file: file.into(),
        sheet: match choice {
            Some(SheetChoice::Name(n)) => format!("{n:?}"),
            Some(SheetChoice::Index(i)) => format!("{i}"),
            None => "at all".into(),
        },
        available: if names.is_empty() {
            "no sheets".into()
        } else {
            available()
        },
    })
}

/// Numbers when every filled cell is a number, else text as the cell shows it.
fn column_values(rows: &[&[Data]], c: usize) -> Values {
    let cell = |r: &&[Data]| r.get(c).cloned().unwrap_or(Data::Empty);
    let numeric = rows
        .iter()
        .all(|r| matches!(cell(r), Data::Int(_) | Data::Float(_) | Data::Empty));
    if numeric {
        return Values::Numbers(
            rows.iter()
                .map(|r| match cell(r) {
                    Data::Int(i) => Some(i as f64),
                    Data::Float(f) => Some(f),
                    _ => None,
                })
                .collect(),
        );
    }
    let mut b = TextBuilder::default();
    for r in rows {
        b.push(&cell_text(&cell(r)));
    }
    Values::Text(b.finish())
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}
