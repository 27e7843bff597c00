//! SPSS system files (`.sav`, `.zsav`): a pure Rust reader and writer of the parts survey
//! data use.
//!
//! Layout as documented in GNU PSPP's "System File Format" appendix: a 176-byte header,
//! the dictionary (variable records type 2, value labels 3 + 4, documents 6, extension
//! records 7, terminator 999), then the cases: uncompressed, bytecode-compressed, or
//! (`.zsav`) bytecode in zlib blocks. Read: numeric and string variables, variable labels,
//! value labels (3/4, and 7/21 for long strings), user-missing codes and ranges (7/22 for
//! long strings), print formats (dates, times, datetimes), measurement levels (7/11), long
//! names (7/13), very long strings (7/14) and the character encoding (7/20, else the
//! character code of 7/3).
//!
//! Every size and count the file declares is checked against the bytes left before it
//! sizes an allocation or a loop (`cursor.rs`): a damaged file is an error naming the file,
//! the byte and what was expected, never a crash.

mod cases;
mod cursor;
mod dictionary;
mod formats;
mod variables;
mod write;
mod zsav;

pub use formats::EPOCH_TO_UNIX;
pub use write::{write, WriteValues, WriteVariable};

use super::{Column, SourceInfo, Table};
use crate::error::ImportError;
use cursor::Cursor;
use dictionary::{Compression, RawDictionary};
use encoding_rs::Encoding;
use std::path::Path;

/// The compression bias SPSS writes (codes 1–251 stand for −99…151).
const BIAS: f64 = 100.0;

pub fn read_path(path: &Path, file: &str) -> Result<(Table, SourceInfo), ImportError> {
    let bytes = std::fs::read(path).map_err(|e| ImportError::Io {
        file: file.into(),
        message: format!("cannot read: {e}"),
    })?;
    read_bytes(&bytes, file)
}

pub fn read_bytes(bytes: &[u8], file: &str) -> Result<(Table, SourceInfo), ImportError> {
    let mut c = Cursor::new(bytes, file);
    let header = dictionary::read_header(&mut c)?;
    let dictionary = dictionary::read_dictionary(&mut c)?;
    let (enc, encoding) = encoding_of(&dictionary, &c)?;
    let vars = variables::build(&dictionary, enc, &c)?;
    if vars.is_empty() {
        return Err(ImportError::Empty {
            file: file.into(),
            message: "the .sav declares no variables".into(),
        });
    }
    let inflated;
    let data = if header.compression == Compression::Zlib {
        inflated = zsav::inflate(&mut c, bytes)?;
        // Offsets in the inflated stream count from its start.
        c.sub(&inflated, 0)
    } else {
        let at = c.offset();
        c.sub(c.rest(), at)
    };
    let compressed = header.compression != Compression::None;
    let mut elements = cases::Elements::new(data, compressed, header.bias);
    let values = cases::read(&mut elements, &vars, enc, header.n_cases)?;
    let rows = values.first().map(|v| v.len()).unwrap_or(0);
    if rows == 0 {
        return Err(ImportError::Empty {
            file: file.into(),
            message: "the .sav has variables but no cases (answers)".into(),
        });
    }
    let columns = vars.into_iter().zip(values).map(column).collect();
    let format = if header.compression == Compression::Zlib {
        "zsav"
    } else {
        "sav"
    };
    let info = SourceInfo {
        file: file.into(),
        format: format.into(),
        encoding: Some(encoding),
        header: "spss dictionary".into(),
        ..SourceInfo::default()
    };
    Ok((
        Table {
            columns,
            rows,
            row_lines: None,
        },
        info,
    ))
}

fn column((v, values): (variables::Variable, super::Values)) -> Column {
    let mut column = Column::new(v.name.clone(), values);
    column.texts = std::iter::once(v.name).chain(v.label.clone()).collect();
    column.label = v.label;
    column.user_missing = v.missing;
    column.value_labels = v.value_labels;
    column.spss = Some(v.spss);
    column
}

/// The file's encoding and how it was found: the encoding record (7/20) names it; older
/// files give a code page as the character code of the machine integer record (7/3);
/// files with neither were written by SPSS on Windows, in Windows-1252.
fn encoding_of(d: &RawDictionary, c: &Cursor) -> Result<(&'static Encoding, String), ImportError> {
    let named = d.encoding.as_ref().map(|n| {
        String::from_utf8_lossy(n)
            .trim_matches([' ', '\0'])
            .to_string()
    });
    if let Some(name) = &named {
        if let Some(enc) = Encoding::for_label(name.as_bytes()) {
            return Ok((enc, enc.name().to_string()));
        }
    }
    let unknown = named
        .map(|n| format!("the encoding record names {n:?}, which lyhord does not know; "))
        .unwrap_or_default();
    match d.character_code {
        Some(cp) => match code_page(cp) {
            Some(enc) => Ok((enc, format!("{} ({unknown}code page {cp})", enc.name()))),
            None => Err(ImportError::Decode {
                file: c.file.into(),
                message: format!(
                    "{unknown}the file's character code {cp} is not one lyhord can decode (EBCDIC, DEC Kanji or an unknown code page); open it in SPSS and save it again with Unicode (UTF-8) on"
                ),
            }),
        },
        None if unknown.is_empty() => Ok((
            encoding_rs::WINDOWS_1252,
            "windows-1252 (assumed: the file names no encoding)".into(),
        )),
        None => Err(ImportError::Decode {
            file: c.file.into(),
            message: format!("{unknown}and gives no code page; save it again from SPSS with Unicode (UTF-8) on"),
        }),
    }
}

/// The encoding of an SPSS character code (a Windows code page number, or 2/3 for 7-/8-bit
/// ASCII, which SPSS wrote on Windows, so Windows-1252, a superset of ASCII).
fn code_page(cp: i32) -> Option<&'static Encoding> {
    let label = match cp {
        2 | 3 | 1252 | 20127 | 28591 => "windows-1252".to_string(),
        65001 => "utf-8".into(),
        874 | 1250..=1258 => format!("windows-{cp}"),
        28592..=28606 => format!("iso-8859-{}", cp - 28590),
        932 => "shift_jis".into(),
        936 => "gbk".into(),
        949 => "euc-kr".into(),
        950 => "big5".into(),
        51932 | 20932 => "euc-jp".into(),
        54936 => "gb18030".into(),
        866 => "ibm866".into(),
        20866 => "koi8-r".into(),
        21866 => "koi8-u".into(),
        10000 => "macintosh".into(),
        _ => return None,
    };
    Encoding::for_label(label.as_bytes())
}
