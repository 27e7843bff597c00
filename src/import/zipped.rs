//! Checks on a zipped workbook (.xlsx, .xlsm, .xlsb, .ods) before calamine reads it, for
//! what calamine does not bound itself: parts that unzip to more than they declare (zip
//! bombs) and, in OpenDocument files, a `content.xml` that would make it loop forever
//! (a table or annotation left open at the end: its loops wait for an end tag past the
//! end of the file), repeat a space run as often as `text:c` says, or expand repeated
//! rows and cells into more than [`MAX_SHEET_CELLS`] before cropping them.

use super::excel::MAX_SHEET_CELLS;
use crate::error::ImportError;
use quick_xml::events::{BytesStart, Event};
use std::io::{BufReader, Cursor, Read};

/// Bytes the parts of a zipped workbook may hold unzipped.
pub const MAX_UNZIPPED: u64 = 1 << 30;

/// Spaces one `<text:s text:c="…"/>` may stand for (LibreOffice writes runs of a few).
const MAX_SPACE_RUN: u64 = 1 << 16;

/// calamine's own caps on repeated rows and columns in an OpenDocument sheet.
const MAX_ROWS: u64 = 1 << 20;
const MAX_COLUMNS: u64 = 1 << 14;

fn malformed(file: &str, message: String) -> ImportError {
    ImportError::Parse {
        file: file.into(),
        message,
    }
}

type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

/// The zip's parts, unzipped by streaming, must fit in [`MAX_UNZIPPED`] bytes and hold no
/// more than they declare; an OpenDocument `content.xml` must pass [`check_ods_content`].
pub fn check(bytes: &[u8], file: &str, format: &str) -> Result<(), ImportError> {
    let not_zip = |e: zip::result::ZipError| {
        malformed(file, format!("cannot open as a workbook: not a valid zip archive ({e}); is it a real Excel/OpenDocument file (not a CSV renamed .{format})?"))
    };
    let mut archive: Archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(not_zip)?;
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(not_zip)?;
        let declared = entry.size();
        total = total.saturating_add(declared);
        if total > MAX_UNZIPPED {
            return Err(malformed(file, format!("the workbook's parts unzip to more than {MAX_UNZIPPED} bytes; a survey export this large is better exported as CSV")));
        }
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        let mut limited = (&mut entry).take(declared.saturating_add(1));
        // A part that does not decompress is left for the workbook reader to report.
        let Ok(read) = std::io::copy(&mut limited, &mut std::io::sink()) else {
            continue;
        };
        if read > declared {
            return Err(malformed(file, format!("the zipped part {name:?} holds more than the {declared} bytes it declares: the file is corrupt (or a zip bomb)")));
        }
    }
    if format == "ods" {
        if let Ok(content) = archive.by_name("content.xml") {
            check_ods_content(BufReader::new(content), file)?;
        }
    }
    Ok(())
}

/// A sheet's used area as calamine will allocate it: from the first to the last row
/// with a filled cell (repeats counted), as wide as the widest such row.
#[derive(Default)]
struct Area {
    next_row: u64,
    first: Option<u64>,
    last: u64,
    width: u64,
}

impl Area {
    fn cells(&self) -> u64 {
        self.first.map_or(0, |first| {
            (self.last + 1 - first).saturating_mul(self.width)
        })
    }
}

/// The row being read: how often it repeats, its column, and where its last filled
/// cell ends.
#[derive(Default)]
struct Row {
    repeat: u64,
    column: u64,
    width: u64,
}

/// Streams `content.xml` once, keeping nothing but counters.
struct OdsScan<'f> {
    file: &'f str,
    depth: usize,
    tables: Vec<Area>,
    row: Row,
    cells: u64,
}

fn number_attribute(e: &BytesStart, name: &str) -> u64 {
    e.try_get_attribute(name)
        .ok()
        .flatten()
        .and_then(|a| std::str::from_utf8(&a.value).ok()?.trim().parse().ok())
        .unwrap_or(1)
}

impl OdsScan<'_> {
    fn bad(&self, what: String) -> ImportError {
        malformed(self.file, format!("content.xml {what}; open and save the file again in LibreOffice, or export the answers as CSV"))
    }

    /// An element starts; `open` when it has content (not `<…/>`).
    fn start(&mut self, e: &BytesStart, open: bool) -> Result<(), ImportError> {
        match e.name().as_ref() {
            b"table:table" if open => self.tables.push(Area::default()),
            b"table:table-row" => {
                self.row = Row {
                    repeat: number_attribute(e, "table:number-rows-repeated").min(MAX_ROWS),
                    ..Row::default()
                };
                if !open {
                    self.end_row()?;
                }
            }
            b"table:table-cell" | b"table:covered-table-cell" => {
                let repeat = number_attribute(e, "table:number-columns-repeated");
                self.row.column = self.row.column.saturating_add(repeat).min(MAX_COLUMNS);
                // A cell with a value type or content is filled; `<table:table-cell/>`
                // and repeated blank cells at the end of a row are not.
                let typed = e.try_get_attribute("office:value-type").ok().flatten();
                if open || typed.is_some() {
                    self.row.width = self.row.column;
                }
            }
            b"text:s" => {
                let run = number_attribute(e, "text:c");
                if run > MAX_SPACE_RUN {
                    return Err(self.bad(format!("has a run of {run} spaces (text:c), more than the {MAX_SPACE_RUN} a cell may hold")));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A row ends: its repeats count towards the table's rows, and towards its used area
    /// when it has a filled cell.
    fn end_row(&mut self) -> Result<(), ImportError> {
        let row = std::mem::take(&mut self.row);
        let Some(area) = self.tables.last_mut() else {
            return Ok(());
        };
        let repeat = row.repeat.max(1);
        if row.width > 0 {
            area.first.get_or_insert(area.next_row);
            area.last = area.next_row + repeat - 1;
            area.width = area.width.max(row.width);
        }
        area.next_row = area.next_row.saturating_add(repeat).min(MAX_ROWS);
        self.check_cells(area_cells(&self.tables))
    }

    fn end_table(&mut self) -> Result<(), ImportError> {
        if let Some(area) = self.tables.pop() {
            self.cells = self.cells.saturating_add(area.cells());
        }
        self.check_cells(0)
    }

    /// calamine reads every sheet when it opens the file: all of them count.
    fn check_cells(&self, open_tables: u64) -> Result<(), ImportError> {
        let cells = self.cells.saturating_add(open_tables);
        if cells > MAX_SHEET_CELLS as u64 {
            return Err(self.bad(format!("makes sheets of {cells} cells (repeated rows and cells expanded), more than the {MAX_SHEET_CELLS} lyhord reads")));
        }
        Ok(())
    }

    fn end(&mut self, name: &[u8]) -> Result<(), ImportError> {
        match name {
            b"table:table-row" => self.end_row(),
            b"table:table" => self.end_table(),
            _ => Ok(()),
        }
    }
}

fn area_cells(tables: &[Area]) -> u64 {
    tables
        .iter()
        .fold(0u64, |sum, a| sum.saturating_add(a.cells()))
}

/// Reads `content.xml` through once: well-formed to its end, and within the bounds above.
fn check_ods_content<R: std::io::BufRead>(content: R, file: &str) -> Result<(), ImportError> {
    let mut reader = quick_xml::Reader::from_reader(content);
    let mut scan = OdsScan {
        file,
        depth: 0,
        tables: Vec::new(),
        row: Row::default(),
        cells: 0,
    };
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| scan.bad(format!("is not well-formed XML ({e})")))?;
        match event {
            Event::Start(e) => {
                scan.depth += 1;
                scan.start(&e, true)?;
            }
            Event::Empty(e) => scan.start(&e, false)?,
            Event::End(e) => {
                scan.depth = scan.depth.saturating_sub(1);
                scan.end(e.name().as_ref())?;
            }
            Event::Eof if scan.depth > 0 => {
                return Err(scan.bad(format!(
                    "ends inside {} open element(s): the file is cut or corrupt",
                    scan.depth
                )));
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}
