//! Excel and OpenDocument workbooks (.xlsx, .xlsm, .xlsb, .xls, .ods) through calamine.

use super::headers;
use super::text::TextBuilder;
use super::{Column, ReadOptions, SourceInfo, Table, Values};
use crate::error::ImportError;
use calamine::{open_workbook_auto_from_rs, open_workbook_from_rs, Data, DataRef, Reader, Sheets};
use std::io::Cursor;
use std::path::Path;

/// A sheet by name or 0-based position.
#[derive(Debug, Clone, PartialEq)]
pub enum SheetChoice {
    Name(String),
    Index(usize),
}

/// Filled cells, and cells of the used area, a sheet may have: 20 million is a survey of
/// 40,000 respondents × 500 columns. The area is allocated, so a stray cell at XFD1048576
/// must be an error, not 17 billion cells.
pub const MAX_SHEET_CELLS: usize = 20_000_000;

pub fn read(
    path: &Path,
    file: &str,
    options: &ReadOptions,
) -> Result<(Table, SourceInfo), ImportError> {
    let bytes = std::fs::read(path).map_err(|e| ImportError::Io {
        file: file.into(),
        message: format!("cannot read: {e}"),
    })?;
    let format = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    read_workbook_bytes(&bytes, file, &format, options)
}

/// A sheet's filled rows as read, from sheet row `top` (0-based) on.
struct Grid {
    top: usize,
    rows: Vec<Vec<Data>>,
    names: Vec<String>,
    sheet: String,
}

/// The workbook path on bytes in memory (also what the fuzz tests drive); `format` is the
/// file's extension (xlsx, xlsm, xlsb, xls, ods).
pub fn read_workbook_bytes(
    bytes: &[u8],
    file: &str,
    format: &str,
    options: &ReadOptions,
) -> Result<(Table, SourceInfo), ImportError> {
    let grid = read_grid(bytes, file, format, options.sheet.as_ref())?;
    let Grid {
        top,
        rows,
        names,
        sheet,
    } = grid;
    if rows.is_empty() {
        return Err(ImportError::Empty {
            file: file.into(),
            message: format!(
                "sheet {sheet:?} is empty; choose the sheet with the answers (sheet=)"
            ),
        });
    }
    let head: Vec<Vec<String>> = rows
        .iter()
        .take(options.header_row.unwrap_or(0) + headers::TITLE_ROWS_MAX + 3)
        .map(|r| r.iter().map(cell_text).collect())
        .collect();
    let place = headers::HeaderPlace::find(&head, options.header_row, top, file)?;
    let first = &head[place.skip..head.len().min(place.skip + 3)];
    let style = headers::detect(first, options.header, file)?;
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
    // Every row is as wide as its last filled cell: the header's width may be narrower
    // than an answer row's, and those cells would have no column.
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut columns: Vec<Column> = (0..width)
        .map(|c| Column::new(String::new(), column_values(data, c)))
        .collect();
    headers::apply(style, &first[..style.rows().min(first.len())], &mut columns);
    // Spreadsheet row numbers, so the report points at the row the user sees.
    let row_lines = (0..data.len()).map(|i| top + start + i + 1).collect();
    let info = SourceInfo {
        file: file.into(),
        format: format.into(),
        header: style.name().to_string(),
        sheet: Some(sheet),
        header_row: Some(top + place.skip + 1),
        // Blank rows above the first filled one are not in the grid: a title block is
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

fn malformed(file: &str, message: String) -> ImportError {
    ImportError::Parse {
        file: file.into(),
        message,
    }
}

/// Opens the workbook and reads the chosen sheet. calamine is a parser of untrusted
/// bytes: a panic inside it is caught and reported as a malformed file, like its errors.
fn read_grid(
    bytes: &[u8],
    file: &str,
    format: &str,
    sheet: Option<&SheetChoice>,
) -> Result<Grid, ImportError> {
    if matches!(format, "xlsx" | "xlsm" | "xlsb" | "ods") {
        super::zipped::check(bytes, file, format)?;
    }
    let read = || -> Result<Grid, ImportError> {
        let mut workbook = open(bytes, format).map_err(|e| {
            malformed(file, format!("cannot open as a workbook: {e}; is it a real Excel/OpenDocument file (not a CSV renamed .{format})?"))
        })?;
        let names = workbook.sheet_names();
        let sheet = pick_sheet(&names, sheet, file)?;
        let (top, rows) = sheet_rows(&mut workbook, &sheet, file)?;
        Ok(Grid {
            top,
            rows,
            names,
            sheet,
        })
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|_| {
        Err(malformed(
            file,
            "the workbook is malformed (its reader gave up on a broken part); open and save it again in Excel or LibreOffice, or export it as CSV".into(),
        ))
    })
}

type Workbook<'a> = Sheets<Cursor<&'a [u8]>>;

fn open<'a>(bytes: &'a [u8], format: &str) -> Result<Workbook<'a>, String> {
    let cursor = Cursor::new(bytes);
    match format {
        "xlsx" | "xlsm" => open_workbook_from_rs(cursor)
            .map(Sheets::Xlsx)
            .map_err(|e: calamine::XlsxError| e.to_string()),
        "xlsb" => open_workbook_from_rs(cursor)
            .map(Sheets::Xlsb)
            .map_err(|e: calamine::XlsbError| e.to_string()),
        "xls" => open_workbook_from_rs(cursor)
            .map(Sheets::Xls)
            .map_err(|e: calamine::XlsError| e.to_string()),
        "ods" => open_workbook_from_rs(cursor)
            .map(Sheets::Ods)
            .map_err(|e: calamine::OdsError| e.to_string()),
        _ => open_workbook_auto_from_rs(cursor).map_err(|e| e.to_string()),
    }
}

/// The sheet's filled rows and the 0-based sheet row of the first. .xlsx and .xlsb are
/// read cell by cell, so the area is checked before it is allocated; .xls is bounded by
/// its format (65,536 × 256) and .ods by calamine's own cell limit.
fn sheet_rows(
    workbook: &mut Workbook,
    sheet: &str,
    file: &str,
) -> Result<(usize, Vec<Vec<Data>>), ImportError> {
    let bad = |e: String| malformed(file, format!("sheet {sheet:?}: {e}"));
    let mut cells = Vec::new();
    match workbook {
        Sheets::Xlsx(x) => {
            let mut reader = x
                .worksheet_cells_reader(sheet)
                .map_err(|e| bad(e.to_string()))?;
            while let Some(cell) = reader.next_cell().map_err(|e| bad(e.to_string()))? {
                keep_cell(&mut cells, cell.get_position(), cell.get_value(), file)?;
            }
        }
        Sheets::Xlsb(x) => {
            let mut reader = x
                .worksheet_cells_reader(sheet)
                .map_err(|e| bad(e.to_string()))?;
            while let Some(cell) = reader.next_cell().map_err(|e| bad(e.to_string()))? {
                keep_cell(&mut cells, cell.get_position(), cell.get_value(), file)?;
            }
        }
        other => {
            let range = other
                .worksheet_range(sheet)
                .map_err(|e| bad(e.to_string()))?;
            let top = range.start().map(|(r, _)| r as usize).unwrap_or(0);
            return Ok((top, range.rows().map(<[Data]>::to_vec).collect()));
        }
    }
    grid_rows(cells, file)
}

fn too_large(file: &str, what: String) -> ImportError {
    malformed(file, format!("{what}, more than the {MAX_SHEET_CELLS} cells lyhord reads from a sheet; if the sheet really is this large, export the answers as CSV"))
}

fn keep_cell(
    cells: &mut Vec<((u32, u32), Data)>,
    position: (u32, u32),
    value: &DataRef,
    file: &str,
) -> Result<(), ImportError> {
    if matches!(value, DataRef::Empty) {
        return Ok(());
    }
    if cells.len() >= MAX_SHEET_CELLS {
        return Err(too_large(file, "the sheet has more filled cells".into()));
    }
    cells.push((position, Data::from(value.clone())));
    Ok(())
}

/// Sparse cells as rows from the first filled row and column, each row as long as its
/// last filled cell (the area is checked against [`MAX_SHEET_CELLS`] first).
fn grid_rows(
    cells: Vec<((u32, u32), Data)>,
    file: &str,
) -> Result<(usize, Vec<Vec<Data>>), ImportError> {
    let Some(row_start) = cells.iter().map(|((r, _), _)| *r).min() else {
        return Ok((0, Vec::new()));
    };
    let row_end = cells
        .iter()
        .map(|((r, _), _)| *r)
        .max()
        .unwrap_or(row_start);
    let col_start = cells.iter().map(|((_, c), _)| *c).min().unwrap_or(0);
    let col_end = cells
        .iter()
        .map(|((_, c), _)| *c)
        .max()
        .unwrap_or(col_start);
    let height = (row_end - row_start) as usize + 1;
    let width = (col_end - col_start) as usize + 1;
    if height.saturating_mul(width) > MAX_SHEET_CELLS {
        return Err(too_large(
            file,
            format!("the sheet's used area is {height} rows × {width} columns (a stray cell far from the table?)"),
        ));
    }
    let mut rows: Vec<Vec<Data>> = vec![Vec::new(); height];
    for ((r, c), value) in cells {
        let row = &mut rows[(r - row_start) as usize];
        let c = (c - col_start) as usize;
        if row.len() <= c {
            row.resize(c + 1, Data::Empty);
        }
        row[c] = value;
    }
    Ok((row_start as usize, rows))
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
fn column_values(rows: &[Vec<Data>], c: usize) -> Values {
    let cell = |r: &Vec<Data>| r.get(c).cloned().unwrap_or(Data::Empty);
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
