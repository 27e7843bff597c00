//! The file header and the dictionary records, read as raw bytes: names and labels are
//! decoded later, once the encoding record (which may come last) is known.

use super::cursor::Cursor;
use crate::error::ImportError;

/// How the cases are stored (header field "compression").
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Compression {
    None,
    Bytecode,
    /// `.zsav`: bytecode, then zlib blocks.
    Zlib,
}

pub(super) struct Header {
    pub compression: Compression,
    pub n_cases: Option<usize>,
    pub bias: f64,
}

pub(super) fn read_header(c: &mut Cursor) -> Result<Header, ImportError> {
    let magic = c.take(4, "file header")?;
    let zsav = match magic {
        b"$FL2" => false,
        b"$FL3" => true,
        _ => {
            return Err(ImportError::Parse {
                file: c.file.into(),
                message: "not an SPSS system file (it does not start with $FL2 or $FL3); export it again from SPSS with Save As .sav".into(),
            })
        }
    };
    c.take(60, "file header")?;
    let layout: [u8; 4] = c.eight_prefix()?;
    c.big_endian = match (i32::from_le_bytes(layout), i32::from_be_bytes(layout)) {
        (2 | 3, _) => false,
        (_, 2 | 3) => true,
        _ => {
            return Err(c.bad_at(
                64,
                "the layout code is neither 2 nor 3 in either byte order",
            ))
        }
    };
    c.i32("file header")?;
    let at = c.offset();
    let compression = match (c.i32("file header")?, zsav) {
        (0, false) => Compression::None,
        (1, false) => Compression::Bytecode,
        (2, true) => Compression::Zlib,
        (k, _) => {
            return Err(c.bad_at(
                at,
                format!("compression {k} does not go with the file's magic (expected 0 or 1 for $FL2, 2 for $FL3)"),
            ))
        }
    };
    c.i32("file header")?;
    let n_cases = c.i32("file header")?;
    let bias = c.f64("file header")?;
    c.take(9 + 8 + 64 + 3, "file header")?;
    Ok(Header {
        compression,
        n_cases: usize::try_from(n_cases).ok(),
        bias,
    })
}

impl Cursor<'_> {
    /// Four bytes as they are (the layout code, read before the byte order is known).
    fn eight_prefix(&mut self) -> Result<[u8; 4], ImportError> {
        let mut a = [0u8; 4];
        a.copy_from_slice(self.take(4, "file header")?);
        Ok(a)
    }
}

/// A variable record (type 2) as written; `kind` −1 is a string continuation.
pub(super) struct RawVariable {
    pub offset: usize,
    pub kind: i32,
    pub print: i32,
    pub short_name: Vec<u8>,
    pub label: Option<Vec<u8>>,
    pub n_missing: i32,
    pub missing: Vec<[u8; 8]>,
}

/// A value-label record (3) with its variable list (4): 8-byte values (numbers, or text of
/// strings up to 8 bytes), labels, and 1-based dictionary indexes.
pub(super) struct RawValueLabels {
    pub offset: usize,
    pub values: Vec<[u8; 8]>,
    pub labels: Vec<Vec<u8>>,
    pub targets: Vec<usize>,
}

/// An extension record (7) kept for later: where its data start, and the data.
pub(super) struct Extension {
    pub offset: usize,
    pub data: Vec<u8>,
}

#[derive(Default)]
pub(super) struct RawDictionary {
    pub variables: Vec<RawVariable>,
    pub value_labels: Vec<RawValueLabels>,
    pub character_code: Option<i32>,
    pub display: Option<Extension>,
    pub long_names: Option<Extension>,
    pub very_long: Option<Extension>,
    pub encoding: Option<Vec<u8>>,
    pub long_string_labels: Vec<Extension>,
    pub long_string_missing: Vec<Extension>,
}

pub(super) fn read_dictionary(c: &mut Cursor) -> Result<RawDictionary, ImportError> {
    let mut d = RawDictionary::default();
    loop {
        let at = c.offset();
        match c.i32("dictionary")? {
            2 => d.variables.push(read_variable(c, at)?),
            3 => d.value_labels.push(read_value_labels(c, at)?),
            6 => {
                let lines = c.count("document record", 80)?;
                c.take(lines * 80, "document record")?;
            }
            7 => read_extension(c, &mut d)?,
            999 => {
                c.i32("dictionary terminator")?;
                return Ok(d);
            }
            other => {
                return Err(c.bad_at(
                    at,
                    format!("unknown dictionary record type {other} (expected 2, 3, 6, 7 or 999)"),
                ))
            }
        }
    }
}

fn read_variable(c: &mut Cursor, offset: usize) -> Result<RawVariable, ImportError> {
    let kind = c.i32("variable record")?;
    let has_label = c.i32("variable record")?;
    let at = c.offset();
    let n_missing = c.i32("variable record")?;
    let print = c.i32("variable record")?;
    c.i32("variable record")?;
    let short_name = c.take(8, "variable record")?.to_vec();
    let label = match has_label {
        0 => None,
        1 => {
            let len = c.count("variable label length", 1)?;
            Some(c.take(len.div_ceil(4) * 4, "variable label")?[..len].to_vec())
        }
        k => {
            return Err(c.bad_at(
                offset,
                format!("variable record: has-label flag {k} (expected 0 or 1)"),
            ))
        }
    };
    let allowed: &[i32] = if kind == 0 {
        &[0, 1, 2, 3, -2, -3]
    } else {
        &[0, 1, 2, 3]
    };
    if !allowed.contains(&n_missing) {
        return Err(c.bad_at(
            at,
            format!(
                "variable record: missing-value count {n_missing} (expected one of {allowed:?})"
            ),
        ));
    }
    let mut missing = Vec::with_capacity(3);
    for _ in 0..n_missing.unsigned_abs() {
        missing.push(c.eight("missing values")?);
    }
    Ok(RawVariable {
        offset,
        kind,
        print,
        short_name,
        label,
        n_missing,
        missing,
    })
}

fn read_value_labels(c: &mut Cursor, offset: usize) -> Result<RawValueLabels, ImportError> {
    // Each label takes at least 16 bytes: the value, a length byte and padding.
    let n = c.count("value label record", 16)?;
    let mut values = Vec::with_capacity(n);
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        values.push(c.eight("value labels")?);
        let len = usize::from(c.u8("value labels")?);
        let padded = (len + 1).div_ceil(8) * 8 - 1;
        labels.push(c.take(padded, "value labels")?[..len].to_vec());
    }
    let at = c.offset();
    if c.i32("value label variables")? != 4 {
        return Err(c.bad_at(
            at,
            "value labels are not followed by their variable list (record type 4)",
        ));
    }
    let k = c.count("value label variable count", 4)?;
    let mut targets = Vec::with_capacity(k);
    for _ in 0..k {
        let at = c.offset();
        let t = c.i32("value label variables")?;
        let t = usize::try_from(t).ok().filter(|&t| t >= 1).ok_or_else(|| {
            c.bad_at(
                at,
                format!("value labels name variable index {t} (indexes start at 1)"),
            )
        })?;
        targets.push(t);
    }
    Ok(RawValueLabels {
        offset,
        values,
        labels,
        targets,
    })
}

fn read_extension(c: &mut Cursor, d: &mut RawDictionary) -> Result<(), ImportError> {
    let at = c.offset();
    let subtype = c.i32("extension record")?;
    let size = c.i32("extension record")?;
    let count = c.i32("extension record")?;
    let bytes = usize::try_from(size)
        .ok()
        .zip(usize::try_from(count).ok())
        .and_then(|(s, n)| s.checked_mul(n))
        .filter(|&b| b <= c.remaining())
        .ok_or_else(|| {
            c.bad_at(
                at,
                format!(
                    "extension record {subtype}: {count} items of {size} bytes do not fit in the {} bytes left",
                    c.remaining()
                ),
            )
        })?;
    let offset = c.offset();
    let data = c.take(bytes, "extension record")?;
    let keep = || Extension {
        offset,
        data: data.to_vec(),
    };
    match subtype {
        3 if size == 4 && count >= 8 => {
            d.character_code = Some(
                c.sub(data, offset)
                    .skip_ints(7)?
                    .i32("machine integer record")?,
            )
        }
        11 => d.display = Some(keep()),
        13 => d.long_names = Some(keep()),
        14 => d.very_long = Some(keep()),
        20 => d.encoding = Some(data.to_vec()),
        21 => d.long_string_labels.push(keep()),
        22 => d.long_string_missing.push(keep()),
        _ => {}
    }
    Ok(())
}

impl<'a> Cursor<'a> {
    fn skip_ints(mut self, n: usize) -> Result<Self, ImportError> {
        self.take(4 * n, "machine integer record")?;
        Ok(self)
    }
}
