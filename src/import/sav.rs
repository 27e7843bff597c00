//! SPSS system files (`.sav`): a pure Rust reader and writer of the parts survey data use.
//!
//! Layout as documented in GNU PSPP's "System File Format" appendix: a 176-byte header,
//! the dictionary (variable records type 2, value labels 3 + 4, documents 6, extension
//! records 7, terminator 999), then the cases, uncompressed or bytecode-compressed.
//! Read: numeric and string variables, variable labels, value labels, user-missing codes
//! and ranges, long names (7/13), very long strings (7/14) and the character encoding
//! (7/20, else the code page of 7/3). zlib-compressed `.zsav` is refused with a clear error.

use super::text::TextBuilder;
use super::{Column, SourceInfo, Table, UserMissing, Values};
use crate::error::ImportError;
use encoding_rs::Encoding;
use std::path::Path;

const SYSMIS: f64 = -f64::MAX;
const BIAS: f64 = 100.0;

pub fn read_path(path: &Path, file: &str) -> Result<(Table, SourceInfo), ImportError> {
    let bytes = std::fs::read(path).map_err(|e| ImportError::Io {
        file: file.into(),
        message: format!("cannot read: {e}"),
    })?;
    read_bytes(&bytes, file)
}

/// A variable as declared in the dictionary.
#[derive(Debug, Clone)]
struct Variable {
    short_name: String,
    name: String,
    /// 0 numeric, else the string width in bytes.
    width: usize,
    /// 8-byte elements the variable occupies in a case.
    elements: usize,
    label: Option<String>,
    missing: UserMissing,
    value_labels: Vec<(f64, String)>,
    /// For a very long string: the widths of the following segment variables merged in.
    segments: usize,
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    big_endian: bool,
    file: &'a str,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], ImportError> {
        if self.pos + n > self.bytes.len() {
            return Err(ImportError::Parse {
                file: self.file.into(),
                message: format!(
                    "the file ends at byte {} inside the {what}: the .sav is truncated or not an SPSS file; copy or export it again",
                    self.bytes.len()
                ),
            });
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn i32(&mut self, what: &str) -> Result<i32, ImportError> {
        let b: [u8; 4] = self.take(4, what)?.try_into().unwrap_or_default();
        Ok(if self.big_endian {
            i32::from_be_bytes(b)
        } else {
            i32::from_le_bytes(b)
        })
    }

    fn f64(&mut self, what: &str) -> Result<f64, ImportError> {
        let b: [u8; 8] = self.take(8, what)?.try_into().unwrap_or_default();
        Ok(if self.big_endian {
            f64::from_be_bytes(b)
        } else {
            f64::from_le_bytes(b)
        })
    }

    fn count(&mut self, what: &str, max: usize) -> Result<usize, ImportError> {
        let n = self.i32(what)?;
        if n < 0 || n as usize > max {
            return Err(self.bad(format!("{what}: implausible count {n}")));
        }
        Ok(n as usize)
    }

    fn bad(&self, message: String) -> ImportError {
        ImportError::Parse {
            file: self.file.into(),
            message: format!(
                "byte {}: {message}; the .sav is damaged or not an SPSS system file",
                self.pos
            ),
        }
    }
}

struct Header {
    compression: i32,
    n_cases: Option<usize>,
    bias: f64,
}

fn read_header(c: &mut Cursor) -> Result<Header, ImportError> {
    let magic = c.take(4, "file header")?;
    match magic {
        b"$FL2" => {}
        b"$FL3" => {
            return Err(ImportError::Parse {
                file: c.file.into(),
                message: "this is a zlib-compressed .zsav file, which lyhord does not read; save it from SPSS as an ordinary (compressed) .sav".into(),
            })
        }
        _ => {
            return Err(ImportError::Parse {
                file: c.file.into(),
                message: "not an SPSS system file (it does not start with $FL2); export it again from SPSS with Save As .sav".into(),
            })
        }
    }
    c.take(60, "file header")?;
    let layout: [u8; 4] = c.take(4, "file header")?.try_into().unwrap_or_default();
    c.big_endian = !matches!(i32::from_le_bytes(layout), 2 | 3);
    c.i32("file header")?;
    let compression = c.i32("file header")?;
    c.i32("file header")?;
    let n_cases = c.i32("file header")?;
    let bias = c.f64("file header")?;
    c.take(9 + 8 + 64 + 3, "file header")?;
    Ok(Header {
        compression,
        n_cases: (n_cases >= 0).then_some(n_cases as usize),
        bias,
    })
}

/// One value-label record: the 8-byte values, their labels, and the variables (1-based
/// dictionary indexes) they apply to.
type RawValueLabels = (Vec<[u8; 8]>, Vec<Vec<u8>>, Vec<usize>);

/// Raw bytes of labels and names, decoded once the file's encoding is known.
struct RawDictionary {
    variables: Vec<RawVariable>,
    value_labels: Vec<RawValueLabels>,
    long_names: Option<Vec<u8>>,
    very_long: Option<Vec<u8>>,
    encoding: Option<String>,
    code_page: Option<i32>,
    /// Value label values are numbers in the file's byte order.
    big_endian: bool,
}

struct RawVariable {
    kind: i32,
    short_name: Vec<u8>,
    label: Option<Vec<u8>>,
    missing: Vec<f64>,
    n_missing: i32,
}

fn read_dictionary(c: &mut Cursor) -> Result<RawDictionary, ImportError> {
    let mut d = RawDictionary {
        variables: Vec::new(),
        value_labels: Vec::new(),
        long_names: None,
        very_long: None,
        encoding: None,
        code_page: None,
        big_endian: c.big_endian,
    };
    loop {
        let record = c.i32("dictionary")?;
        match record {
            2 => d.variables.push(read_variable(c)?),
            3 => d.value_labels.push(read_value_labels(c)?),
            6 => {
                let lines = c.count("document record", 1 << 20)?;
                c.take(lines * 80, "document record")?;
            }
            7 => read_extension(c, &mut d)?,
            999 => {
                c.i32("dictionary terminator")?;
                return Ok(d);
            }
            other => return Err(c.bad(format!("unknown dictionary record type {other}"))),
        }
    }
}

fn read_variable(c: &mut Cursor) -> Result<RawVariable, ImportError> {
    let kind = c.i32("variable record")?;
    let has_label = c.i32("variable record")?;
    let n_missing = c.i32("variable record")?;
    c.take(8, "variable record")?;
    let short_name = c.take(8, "variable record")?.to_vec();
    let label = if has_label == 1 {
        let len = c.count("variable label", 1 << 16)?;
        let bytes = c.take(len.div_ceil(4) * 4, "variable label")?;
        Some(bytes[..len].to_vec())
    } else {
        None
    };
    let mut missing = Vec::new();
    for _ in 0..n_missing.unsigned_abs().min(3) {
        missing.push(c.f64("missing values")?);
    }
    Ok(RawVariable {
        kind,
        short_name,
        label,
        missing,
        n_missing,
    })
}

fn read_value_labels(c: &mut Cursor) -> Result<RawValueLabels, ImportError> {
    let n = c.count("value labels", 1 << 24)?;
    let mut values = Vec::with_capacity(n);
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        values.push(c.take(8, "value labels")?.try_into().unwrap_or_default());
        let len = c.take(1, "value labels")?[0] as usize;
        let padded = (len + 1).div_ceil(8) * 8 - 1;
        labels.push(c.take(padded, "value labels")?[..len].to_vec());
    }
    if c.i32("value label variables")? != 4 {
        return Err(c.bad("value labels are not followed by their variable list (record 4)".into()));
    }
    let k = c.count("value label variables", 1 << 24)?;
    let mut vars = Vec::with_capacity(k);
    for _ in 0..k {
        vars.push(c.count("value label variables", usize::MAX >> 1)?);
    }
    Ok((values, labels, vars))
}

fn read_extension(c: &mut Cursor, d: &mut RawDictionary) -> Result<(), ImportError> {
    let subtype = c.i32("extension record")?;
    let size = c.count("extension record", 1 << 16)?;
    let count = c.count("extension record", 1 << 30)?;
    let data = c.take(size * count, "extension record")?;
    match subtype {
        3 if data.len() >= 32 => {
            let b: [u8; 4] = data[28..32].try_into().unwrap_or_default();
            d.code_page = Some(if c.big_endian {
                i32::from_be_bytes(b)
            } else {
                i32::from_le_bytes(b)
            });
        }
        13 => d.long_names = Some(data.to_vec()),
        14 => d.very_long = Some(data.to_vec()),
        20 => d.encoding = Some(String::from_utf8_lossy(data).trim().to_string()),
        _ => {}
    }
    Ok(())
}

fn encoding_of(d: &RawDictionary) -> &'static Encoding {
    if let Some(name) = &d.encoding {
        if let Some(enc) = Encoding::for_label(name.as_bytes()) {
            return enc;
        }
    }
    match d.code_page {
        Some(65001) => encoding_rs::UTF_8,
        Some(cp) if cp > 0 => Encoding::for_label(format!("windows-{cp}").as_bytes())
            .unwrap_or(encoding_rs::WINDOWS_1252),
        // Old files without either record: SPSS wrote the Windows code page.
        _ => encoding_rs::WINDOWS_1252,
    }
}

fn decode(enc: &'static Encoding, bytes: &[u8]) -> String {
    enc.decode_without_bom_handling(bytes)
        .0
        .trim_end_matches([' ', '\0'])
        .to_string()
}

/// The variables in case order, with names, labels and missing codes decoded.
fn build_variables(
    d: &RawDictionary,
    enc: &'static Encoding,
    c: &Cursor,
) -> Result<Vec<Variable>, ImportError> {
    let mut vars: Vec<Variable> = Vec::new();
    // Dictionary index (1-based, continuation records counted) → variable position.
    let mut index_of = Vec::new();
    for raw in &d.variables {
        if raw.kind == -1 {
            let Some(last) = vars.last_mut() else {
                return Err(c.bad("a string continuation record before any variable".into()));
            };
            last.elements += 1;
            index_of.push(None);
            continue;
        }
        if !(0..=255).contains(&raw.kind) {
            return Err(c.bad(format!("variable type {}", raw.kind)));
        }
        let short_name = decode(enc, &raw.short_name);
        let mut missing = UserMissing::default();
        if raw.kind == 0 {
            let (range, discrete) = match raw.n_missing {
                -2 => (true, &raw.missing[..0]),
                -3 => (true, &raw.missing[2..]),
                _ => (false, &raw.missing[..]),
            };
            if range && raw.missing.len() >= 2 {
                missing.range = Some((raw.missing[0], raw.missing[1]));
            }
            missing.codes = discrete.to_vec();
        }
        index_of.push(Some(vars.len()));
        vars.push(Variable {
            name: short_name.clone(),
            short_name,
            width: raw.kind as usize,
            elements: 1,
            label: raw.label.as_ref().map(|l| decode(enc, l)),
            missing,
            value_labels: Vec::new(),
            segments: 1,
        });
    }
    attach_value_labels(d, enc, &index_of, &mut vars);
    apply_long_names(d, enc, &mut vars);
    apply_very_long_strings(d, enc, &mut vars);
    Ok(vars)
}

fn attach_value_labels(
    d: &RawDictionary,
    enc: &'static Encoding,
    index_of: &[Option<usize>],
    vars: &mut [Variable],
) {
    for (values, labels, targets) in &d.value_labels {
        for &t in targets {
            let Some(Some(v)) = index_of.get(t.wrapping_sub(1)) else {
                continue;
            };
            if vars[*v].width != 0 {
                continue;
            }
            for (value, label) in values.iter().zip(labels) {
                let x = if d.big_endian {
                    f64::from_be_bytes(*value)
                } else {
                    f64::from_le_bytes(*value)
                };
                vars[*v].value_labels.push((x, decode(enc, label)));
            }
        }
    }
}

fn apply_long_names(d: &RawDictionary, enc: &'static Encoding, vars: &mut [Variable]) {
    let Some(raw) = &d.long_names else { return };
    let text = enc.decode_without_bom_handling(raw).0.to_string();
    for pair in text.split('\t') {
        if let Some((short, long)) = pair.split_once('=') {
            if let Some(v) = vars
                .iter_mut()
                .find(|v| v.short_name.eq_ignore_ascii_case(short.trim()))
            {
                v.name = long.trim_end_matches('\0').to_string();
            }
        }
    }
}

/// A string longer than 255 bytes is stored as several 255-byte variables in a row; merge
/// the following segment variables into the first.
fn apply_very_long_strings(d: &RawDictionary, enc: &'static Encoding, vars: &mut Vec<Variable>) {
    let Some(raw) = &d.very_long else { return };
    let text = enc.decode_without_bom_handling(raw).0.to_string();
    for entry in text.split(['\t', '\0']) {
        let Some((short, width)) = entry.split_once('=') else {
            continue;
        };
        let Ok(width) = width.trim().parse::<usize>() else {
            continue;
        };
        let Some(pos) = vars
            .iter()
            .position(|v| v.short_name.eq_ignore_ascii_case(short.trim()))
        else {
            continue;
        };
        let segments = width.div_ceil(252).max(1);
        let end = (pos + segments).min(vars.len());
        let extra: usize = vars[pos + 1..end].iter().map(|v| v.elements).sum();
        vars[pos].elements += extra;
        vars[pos].segments = end - pos;
        vars[pos].width = width;
        vars.drain(pos + 1..end);
    }
}

/// Reads the 8-byte elements of the cases, decompressing bytecode when the file uses it.
struct Elements<'a> {
    c: Cursor<'a>,
    compressed: bool,
    bias: f64,
    codes: [u8; 8],
    next_code: usize,
}

enum Element<'a> {
    Number(f64),
    Raw(&'a [u8]),
    Spaces,
    End,
}

impl<'a> Elements<'a> {
    fn next(&mut self) -> Result<Element<'a>, ImportError> {
        if !self.compressed {
            if self.c.pos >= self.c.bytes.len() {
                return Ok(Element::End);
            }
            return Ok(Element::Raw(self.c.take(8, "case data")?));
        }
        loop {
            if self.next_code == 8 {
                if self.c.pos >= self.c.bytes.len() {
                    return Ok(Element::End);
                }
                self.codes = self
                    .c
                    .take(8, "compressed case data")?
                    .try_into()
                    .unwrap_or_default();
                self.next_code = 0;
            }
            let code = self.codes[self.next_code];
            self.next_code += 1;
            match code {
                0 => continue,
                252 => return Ok(Element::End),
                253 => return Ok(Element::Raw(self.c.take(8, "compressed case data")?)),
                254 => return Ok(Element::Spaces),
                255 => return Ok(Element::Number(SYSMIS)),
                k => return Ok(Element::Number(k as f64 - self.bias)),
            }
        }
    }
}

pub fn read_bytes(bytes: &[u8], file: &str) -> Result<(Table, SourceInfo), ImportError> {
    let mut c = Cursor {
        bytes,
        pos: 0,
        big_endian: false,
        file,
    };
    let header = read_header(&mut c)?;
    if !matches!(header.compression, 0 | 1) {
        return Err(c.bad(format!(
            "compression type {} is not SPSS bytecode or none",
            header.compression
        )));
    }
    let dictionary = read_dictionary(&mut c)?;
    let enc = encoding_of(&dictionary);
    let vars = build_variables(&dictionary, enc, &c)?;
    if vars.is_empty() {
        return Err(ImportError::Empty {
            file: file.into(),
            message: "the .sav declares no variables".into(),
        });
    }
    let big_endian = c.big_endian;
    let mut elements = Elements {
        c,
        compressed: header.compression == 1,
        bias: header.bias,
        codes: [0; 8],
        next_code: 8,
    };
    let columns = read_cases(&mut elements, &vars, enc, big_endian, header.n_cases, file)?;
    let rows = columns.first().map(|c| c.values.len()).unwrap_or(0);
    if rows == 0 {
        return Err(ImportError::Empty {
            file: file.into(),
            message: "the .sav has variables but no cases (answers)".into(),
        });
    }
    let info = SourceInfo {
        file: file.into(),
        format: "sav".into(),
        encoding: Some(enc.name().to_string()),
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

enum Builder {
    Numbers(Vec<Option<f64>>),
    Text(TextBuilder),
}

fn read_cases(
    e: &mut Elements,
    vars: &[Variable],
    enc: &'static Encoding,
    big_endian: bool,
    n_cases: Option<usize>,
    file: &str,
) -> Result<Vec<Column>, ImportError> {
    let mut builders: Vec<Builder> = vars
        .iter()
        .map(|v| {
            if v.width == 0 {
                Builder::Numbers(Vec::new())
            } else {
                Builder::Text(TextBuilder::default())
            }
        })
        .collect();
    let mut case = 0usize;
    let mut text = Vec::new();
    'cases: while n_cases.is_none_or(|n| case < n) {
        for (vi, v) in vars.iter().enumerate() {
            text.clear();
            for k in 0..v.elements {
                let element = e.next()?;
                if matches!(element, Element::End) {
                    if vi == 0 && k == 0 {
                        break 'cases;
                    }
                    return Err(ImportError::Parse {
                        file: file.into(),
                        message: format!(
                            "case {} ends inside variable {:?}: the .sav is truncated; copy or export it again",
                            case + 1,
                            v.name
                        ),
                    });
                }
                match (&mut builders[vi], element) {
                    (Builder::Numbers(out), Element::Number(x)) => {
                        out.push((x != SYSMIS).then_some(x))
                    }
                    (Builder::Numbers(out), Element::Raw(b)) => {
                        let b: [u8; 8] = b.try_into().unwrap_or_default();
                        let x = if big_endian {
                            f64::from_be_bytes(b)
                        } else {
                            f64::from_le_bytes(b)
                        };
                        out.push((x != SYSMIS).then_some(x));
                    }
                    (Builder::Numbers(out), _) => out.push(None),
                    (Builder::Text(_), Element::Raw(b)) => text.extend_from_slice(b),
                    (Builder::Text(_), _) => text.extend_from_slice(b"        "),
                }
            }
            if let Builder::Text(out) = &mut builders[vi] {
                out.push(&segment_text(&text, v, enc));
            }
        }
        case += 1;
    }
    if let Some(n) = n_cases {
        if case < n {
            return Err(ImportError::Parse {
                file: file.into(),
                message: format!("the header promises {n} cases but the data end after {case}: the .sav is truncated"),
            });
        }
    }
    Ok(vars
        .iter()
        .zip(builders)
        .map(|(v, b)| {
            let values = match b {
                Builder::Numbers(x) => Values::Numbers(x),
                Builder::Text(t) => Values::Text(t.finish()),
            };
            let mut column = Column::new(v.name.clone(), values);
            column.label = v.label.clone();
            column.texts = std::iter::once(v.name.clone())
                .chain(v.label.clone())
                .collect();
            column.user_missing = v.missing.clone();
            column.value_labels = v.value_labels.clone();
            column
        })
        .collect())
}

/// The text of a string variable; a very long string keeps 255 bytes of each 256-byte
/// segment (as SPSS and ReadStat write them; PSPP's description of the split is ambiguous).
fn segment_text(bytes: &[u8], v: &Variable, enc: &'static Encoding) -> String {
    if v.segments <= 1 {
        return decode(enc, &bytes[..v.width.min(bytes.len())]);
    }
    let mut joined = Vec::with_capacity(v.width);
    for chunk in bytes.chunks(256) {
        joined.extend_from_slice(&chunk[..chunk.len().min(255)]);
    }
    joined.truncate(v.width);
    decode(enc, &joined)
}

/// A variable to write: numeric codes with labels and user-missing codes, or text.
#[derive(Debug, Clone)]
pub struct WriteVariable {
    pub name: String,
    pub label: Option<String>,
    pub values: WriteValues,
    pub value_labels: Vec<(f64, String)>,
    pub user_missing: Vec<f64>,
}

#[derive(Debug, Clone)]
pub enum WriteValues {
    Numbers(Vec<Option<f64>>),
    Text(Vec<Option<String>>),
}

/// Writes a bytecode-compressed UTF-8 `.sav` (what SPSS writes by default).
pub fn write(variables: &[WriteVariable], file_label: &str) -> Result<Vec<u8>, ImportError> {
    let n = variables
        .first()
        .map(|v| values_len(&v.values))
        .unwrap_or(0);
    if let Some(v) = variables.iter().find(|v| values_len(&v.values) != n) {
        return Err(ImportError::Parameter {
            parameter: "variables".into(),
            message: format!(
                "variable {:?} has {} values, the first has {n}",
                v.name,
                values_len(&v.values)
            ),
        });
    }
    let widths: Vec<usize> = variables.iter().map(string_width).collect();
    if let Some((v, _)) = variables.iter().zip(&widths).find(|(_, &w)| w > 255) {
        return Err(ImportError::Parameter {
            parameter: "variables".into(),
            message: format!(
                "text variable {:?} is longer than 255 bytes, which this writer does not split",
                v.name
            ),
        });
    }
    let elements: usize = widths
        .iter()
        .map(|&w| if w == 0 { 1 } else { w.div_ceil(8) })
        .sum();
    let mut out = Vec::new();
    write_header(&mut out, elements, n, file_label);
    for (i, (v, &w)) in variables.iter().zip(&widths).enumerate() {
        write_variable(&mut out, &format!("V{}", i + 1), v, w);
    }
    write_value_labels(&mut out, variables, &widths);
    write_extensions(&mut out, variables);
    put_i32(&mut out, 999);
    put_i32(&mut out, 0);
    write_cases(&mut out, variables, &widths, n);
    Ok(out)
}

fn values_len(v: &WriteValues) -> usize {
    match v {
        WriteValues::Numbers(x) => x.len(),
        WriteValues::Text(x) => x.len(),
    }
}

/// 0 for numbers; for text the longest value in bytes, at least 1.
fn string_width(v: &WriteVariable) -> usize {
    match &v.values {
        WriteValues::Numbers(_) => 0,
        WriteValues::Text(x) => x
            .iter()
            .flatten()
            .map(|s| s.len())
            .max()
            .unwrap_or(1)
            .max(1),
    }
}

fn put_i32(out: &mut Vec<u8>, x: i32) {
    out.extend_from_slice(&x.to_le_bytes());
}

fn put_f64(out: &mut Vec<u8>, x: f64) {
    out.extend_from_slice(&x.to_le_bytes());
}

fn put_padded(out: &mut Vec<u8>, s: &[u8], len: usize) {
    let s = &s[..s.len().min(len)];
    out.extend_from_slice(s);
    out.extend(std::iter::repeat_n(b' ', len - s.len()));
}

fn write_header(out: &mut Vec<u8>, elements: usize, n: usize, label: &str) {
    out.extend_from_slice(b"$FL2");
    put_padded(out, b"@(#) SPSS DATA FILE lyhord", 60);
    put_i32(out, 2);
    put_i32(out, elements as i32);
    put_i32(out, 1);
    put_i32(out, 0);
    put_i32(out, n as i32);
    put_f64(out, BIAS);
    put_padded(out, b"01 Jan 26", 9);
    put_padded(out, b"00:00:00", 8);
    put_padded(out, label.as_bytes(), 64);
    put_padded(out, b"", 3);
}

fn write_variable(out: &mut Vec<u8>, short: &str, v: &WriteVariable, width: usize) {
    put_i32(out, 2);
    put_i32(out, width as i32);
    put_i32(out, v.label.is_some() as i32);
    let numeric = width == 0;
    let missing = if numeric {
        v.user_missing.len().min(3)
    } else {
        0
    };
    put_i32(out, missing as i32);
    // Print/write formats: F8.0 for codes, A<width> for text.
    let format = if numeric {
        (5 << 16) | (8 << 8)
    } else {
        (1 << 16) | ((width as i32) << 8)
    };
    put_i32(out, format);
    put_i32(out, format);
    put_padded(out, short.as_bytes(), 8);
    if let Some(label) = &v.label {
        let bytes = &label.as_bytes()[..label.len().min(255)];
        put_i32(out, bytes.len() as i32);
        put_padded(out, bytes, bytes.len().div_ceil(4) * 4);
    }
    for &m in v.user_missing.iter().take(missing) {
        put_f64(out, m);
    }
    for _ in 1..width.div_ceil(8).max(1) {
        put_i32(out, 2);
        put_i32(out, -1);
        put_i32(out, 0);
        put_i32(out, 0);
        put_i32(out, (1 << 16) | (8 << 8));
        put_i32(out, (1 << 16) | (8 << 8));
        put_padded(out, b"", 8);
    }
}

fn write_value_labels(out: &mut Vec<u8>, variables: &[WriteVariable], widths: &[usize]) {
    let mut index = 1;
    for (v, &w) in variables.iter().zip(widths) {
        if w == 0 && !v.value_labels.is_empty() {
            put_i32(out, 3);
            put_i32(out, v.value_labels.len() as i32);
            for (code, label) in &v.value_labels {
                put_f64(out, *code);
                let bytes = &label.as_bytes()[..label.len().min(120)];
                out.push(bytes.len() as u8);
                put_padded(out, bytes, (bytes.len() + 1).div_ceil(8) * 8 - 1);
            }
            put_i32(out, 4);
            put_i32(out, 1);
            put_i32(out, index);
        }
        index += if w == 0 { 1 } else { w.div_ceil(8) as i32 };
    }
}

fn write_extensions(out: &mut Vec<u8>, variables: &[WriteVariable]) {
    // Machine integer info: version, machine, IEEE floats, compression, little-endian, UTF-8.
    put_i32(out, 7);
    put_i32(out, 3);
    put_i32(out, 4);
    put_i32(out, 8);
    for x in [1, 0, 0, -1, 1, 1, 2, 65001] {
        put_i32(out, x);
    }
    put_i32(out, 7);
    put_i32(out, 4);
    put_i32(out, 8);
    put_i32(out, 3);
    put_f64(out, SYSMIS);
    put_f64(out, f64::MAX);
    put_f64(out, -f64::MAX);
    let long_names: Vec<String> = variables
        .iter()
        .enumerate()
        .map(|(i, v)| format!("V{}={}", i + 1, v.name))
        .collect();
    let long_names = long_names.join("\t");
    put_extension(out, 13, long_names.as_bytes());
    put_extension(out, 20, b"UTF-8");
}

fn put_extension(out: &mut Vec<u8>, subtype: i32, data: &[u8]) {
    put_i32(out, 7);
    put_i32(out, subtype);
    put_i32(out, 1);
    put_i32(out, data.len() as i32);
    out.extend_from_slice(data);
}

/// Bytecode compression: whole numbers −99…151 as one code byte, others as 8 raw bytes.
fn write_cases(out: &mut Vec<u8>, variables: &[WriteVariable], widths: &[usize], n: usize) {
    let mut codes: Vec<u8> = Vec::with_capacity(8);
    let mut data: Vec<u8> = Vec::with_capacity(64);
    let push = |code: u8,
                raw: Option<&[u8]>,
                out: &mut Vec<u8>,
                codes: &mut Vec<u8>,
                data: &mut Vec<u8>| {
        codes.push(code);
        if let Some(r) = raw {
            data.extend_from_slice(r);
        }
        if codes.len() == 8 {
            out.extend_from_slice(codes);
            out.extend_from_slice(data);
            codes.clear();
            data.clear();
        }
    };
    for row in 0..n {
        for (v, &w) in variables.iter().zip(widths) {
            match &v.values {
                WriteValues::Numbers(x) => match x[row] {
                    None => push(255, None, out, &mut codes, &mut data),
                    Some(x) if x.fract() == 0.0 && (-99.0..=151.0).contains(&x) => {
                        push((x + BIAS) as u8, None, out, &mut codes, &mut data)
                    }
                    Some(x) => push(253, Some(&x.to_le_bytes()), out, &mut codes, &mut data),
                },
                WriteValues::Text(t) => {
                    let mut bytes = t[row].clone().unwrap_or_default().into_bytes();
                    bytes.resize(w.div_ceil(8) * 8, b' ');
                    for chunk in bytes.chunks(8) {
                        if chunk == b"        " {
                            push(254, None, out, &mut codes, &mut data);
                        } else {
                            push(253, Some(chunk), out, &mut codes, &mut data);
                        }
                    }
                }
            }
        }
    }
    if !codes.is_empty() {
        codes.push(252);
        codes.resize(8, 0);
        out.extend_from_slice(&codes);
        out.extend_from_slice(&data);
    }
}
