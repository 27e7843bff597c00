//! Delimited text exports (CSV/TSV) as survey tools and Swedish Excel write them: the bytes
//! are decoded to UTF-8 (BOM, UTF-8, else Windows-1252), the delimiter is sniffed among
//! `,` `;` and tab, quoted fields may hold delimiters, doubled quotes and line breaks.

use super::{Column, Table, Values};
use crate::error::ImportError;
use encoding_rs::Encoding;

/// Decodes the bytes of a text export, naming the file and the place of any problem.
pub fn decode(
    bytes: &[u8],
    file: &str,
    encoding: Option<&str>,
) -> Result<(String, String), ImportError> {
    if let Some(label) = encoding {
        return decode_as(bytes, file, label);
    }
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        if had_errors {
            return Err(undecodable(file, bytes, enc.name()));
        }
        return Ok((text.into_owned(), format!("{} (BOM)", enc.name())));
    }
    reject_binary(bytes, file)?;
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok((text.to_string(), "UTF-8".to_string())),
        // Not UTF-8: Swedish Excel and most Windows survey tools write Windows-1252, whose
        // every byte decodes, so this fallback cannot fail.
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            Ok((text.into_owned(), "windows-1252".to_string()))
        }
    }
}

fn decode_as(bytes: &[u8], file: &str, label: &str) -> Result<(String, String), ImportError> {
    let normalised = match label.trim().to_ascii_lowercase().as_str() {
        "cp1252" | "latin1" | "latin-1" | "ansi" => "windows-1252".to_string(),
        other => other.to_string(),
    };
    let enc = Encoding::for_label(normalised.as_bytes()).ok_or_else(|| ImportError::Parameter {
        parameter: "encoding".into(),
        message: format!(
            "unknown encoding {label:?}; use e.g. \"utf-8\", \"windows-1252\", \"utf-16\" or leave it out to sniff"
        ),
    })?;
    let (text, had_errors) = enc.decode_with_bom_removal(bytes);
    if had_errors {
        return Err(undecodable(file, bytes, enc.name()));
    }
    Ok((text.into_owned(), enc.name().to_string()))
}

/// Names the line and byte of the first sequence that is not valid in the encoding.
fn undecodable(file: &str, bytes: &[u8], encoding: &str) -> ImportError {
    let offset = match std::str::from_utf8(bytes) {
        Err(e) if encoding == "UTF-8" => e.valid_up_to(),
        _ => first_bad_offset(bytes, encoding),
    };
    let line = 1 + bytes[..offset].iter().filter(|&&b| b == b'\n').count();
    ImportError::Decode {
        file: file.into(),
        message: format!(
            "line {line} (byte {offset}) is not valid {encoding}; pass the file's encoding as encoding=\"windows-1252\" (or \"utf-8\", \"utf-16\"), or re-save the export as UTF-8"
        ),
    }
}

fn first_bad_offset(bytes: &[u8], encoding: &str) -> usize {
    let Some(enc) = Encoding::for_label(encoding.as_bytes()) else {
        return 0;
    };
    // Decode growing prefixes in steps; precise enough to name the line.
    let mut lo = 0;
    let mut hi = bytes.len();
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        let (_, errors) = enc.decode_without_bom_handling(&bytes[..mid]);
        if errors {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    lo
}

/// Binary files (NUL bytes, many control characters) are not text exports; say so instead
/// of decoding them as Windows-1252 garbage.
fn reject_binary(bytes: &[u8], file: &str) -> Result<(), ImportError> {
    let head = &bytes[..bytes.len().min(65_536)];
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
        .count();
    if let Some(pos) = head.iter().position(|&b| b == 0) {
        return Err(ImportError::Decode {
            file: file.into(),
            message: format!(
                "byte {pos} is a NUL byte: this is a binary file, not a CSV/TSV export. If it is an Excel or SPSS file, give it its .xlsx/.xls/.ods/.sav extension; if it is UTF-16 text, pass encoding=\"utf-16\""
            ),
        });
    }
    if !head.is_empty() && controls * 20 > head.len() {
        return Err(ImportError::Decode {
            file: file.into(),
            message: format!(
                "{controls} control bytes in the first {} bytes: this looks like a binary file, not a CSV/TSV export",
                head.len()
            ),
        });
    }
    Ok(())
}

/// The fields of one record, back to back in one buffer.
#[derive(Default)]
struct Record {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Record {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn field(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        // Fields are pieces of valid UTF-8 cut at ASCII bytes, so this cannot fail.
        std::str::from_utf8(&self.bytes[start..self.ends[i]]).unwrap_or_default()
    }

    fn is_blank(&self) -> bool {
        self.len() == 1 && self.bytes.is_empty()
    }

    fn to_strings(&self) -> Vec<String> {
        (0..self.len()).map(|i| self.field(i).to_string()).collect()
    }
}

/// A quote-aware record reader over decoded text.
struct Records<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
    delimiter: u8,
}

#[derive(Debug)]
struct UnterminatedQuote {
    line: usize,
}

impl<'a> Records<'a> {
    fn new(text: &'a str, delimiter: u8) -> Self {
        Records {
            text: text.as_bytes(),
            pos: 0,
            line: 1,
            delimiter,
        }
    }

    /// The next record, `None` at the end. Its fields go into `record` (reused, so a
    /// million-row file costs no allocation per cell).
    fn next_into(&mut self, record: &mut Record) -> Result<Option<usize>, UnterminatedQuote> {
        record.bytes.clear();
        record.ends.clear();
        if self.pos >= self.text.len() {
            return Ok(None);
        }
        let start_line = self.line;
        loop {
            let end = self.read_field(&mut record.bytes, start_line)?;
            record.ends.push(record.bytes.len());
            match end {
                FieldEnd::Delimiter => continue,
                FieldEnd::Line | FieldEnd::Eof => return Ok(Some(start_line)),
            }
        }
    }

    fn read_field(
        &mut self,
        out: &mut Vec<u8>,
        start_line: usize,
    ) -> Result<FieldEnd, UnterminatedQuote> {
        let t = self.text;
        if self.pos < t.len() && t[self.pos] == b'"' {
            self.pos += 1;
            loop {
                let Some(off) = t[self.pos..].iter().position(|&b| b == b'"') else {
                    return Err(UnterminatedQuote { line: start_line });
                };
                let chunk = &t[self.pos..self.pos + off];
                self.line += chunk.iter().filter(|&&b| b == b'\n').count();
                out.extend_from_slice(chunk);
                self.pos += off + 1;
                if self.pos < t.len() && t[self.pos] == b'"' {
                    out.push(b'"');
                    self.pos += 1;
                } else {
                    break;
                }
            }
            // Text after the closing quote (`"a"b`) is kept, as spreadsheet programs do.
        }
        let rest = &t[self.pos..];
        let off = rest
            .iter()
            .position(|&b| b == self.delimiter || b == b'\n' || b == b'\r')
            .unwrap_or(rest.len());
        out.extend_from_slice(&rest[..off]);
        self.pos += off;
        if self.pos >= t.len() {
            return Ok(FieldEnd::Eof);
        }
        let b = t[self.pos];
        self.pos += 1;
        if b == self.delimiter {
            return Ok(FieldEnd::Delimiter);
        }
        if b == b'\r' && self.pos < t.len() && t[self.pos] == b'\n' {
            self.pos += 1;
        }
        self.line += 1;
        Ok(FieldEnd::Line)
    }
}

enum FieldEnd {
    Delimiter,
    Line,
    Eof,
}

/// The delimiter that splits the first records into the same number (> 1) of fields,
/// preferring the one giving most fields.
pub fn sniff_delimiter(text: &str) -> u8 {
    let mut best = (b',', 0usize, false);
    for delimiter in [b';', b',', b'\t'] {
        let mut records = Records::new(text, delimiter);
        let mut record = Record::default();
        let mut counts = Vec::new();
        while counts.len() < 30 {
            match records.next_into(&mut record) {
                // Blank lines, and one-field lines before the first split one (a title
                // block above the header), say nothing about the delimiter.
                Ok(Some(_)) if record.is_blank() || (counts.is_empty() && record.len() == 1) => {}
                Ok(Some(_)) => counts.push(record.len()),
                _ => break,
            }
        }
        let Some(&first) = counts.first() else {
            continue;
        };
        let consistent = counts.iter().all(|&c| c == first);
        let better =
            (consistent && !best.2 && first > 1) || (consistent == best.2 && first > best.1);
        if first > 1 && better {
            best = (delimiter, first, consistent);
        }
    }
    best.0
}

fn unterminated(file: &str, e: UnterminatedQuote) -> ImportError {
    ImportError::Parse {
        file: file.into(),
        message: format!(
            "line {}: a quoted field is never closed (missing \" before the end of the file)",
            e.line
        ),
    }
}

/// Up to `n` records from the reader.
fn take_records(
    records: &mut Records,
    n: usize,
    file: &str,
) -> Result<Vec<Vec<String>>, ImportError> {
    let mut record = Record::default();
    let mut out = Vec::new();
    while out.len() < n {
        match records
            .next_into(&mut record)
            .map_err(|e| unterminated(file, e))?
        {
            Some(_) => out.push(record.to_strings()),
            None => break,
        }
    }
    Ok(out)
}

/// The first `n` records, unchecked, for recognising multi-row headers.
pub fn parse_head(
    text: &str,
    file: &str,
    delimiter: u8,
    n: usize,
) -> Result<Vec<Vec<String>>, ImportError> {
    take_records(&mut Records::new(text, delimiter), n, file)
}

/// Reads a delimited text export into a table of text columns. The first `skip` records
/// (a title block) are passed over; `header_rows` records are returned separately for the
/// caller to flatten.
pub fn parse(
    text: &str,
    file: &str,
    delimiter: u8,
    skip: usize,
    header_rows: usize,
) -> Result<(Vec<Vec<String>>, Table), ImportError> {
    let mut records = Records::new(text, delimiter);
    take_records(&mut records, skip, file)?;
    let headers = take_records(&mut records, header_rows, file)?;
    let mut record = Record::default();
    let Some(width) = headers.first().map(Vec::len) else {
        return Err(ImportError::Empty {
            file: file.into(),
            message: "the file is empty; export the survey again with its header row".into(),
        });
    };
    let mut builders: Vec<TextBuilder> = (0..width).map(|_| TextBuilder::default()).collect();
    let mut lines = Vec::new();
    while let Some(line) = records
        .next_into(&mut record)
        .map_err(|e| unterminated(file, e))?
    {
        if record.is_blank() && width > 1 {
            lines.push(line);
            for b in &mut builders {
                b.push("");
            }
            continue;
        }
        if record.len() != width {
            return Err(ragged(file, line, width, record.len(), delimiter));
        }
        lines.push(line);
        for (i, b) in builders.iter_mut().enumerate() {
            b.push(record.field(i));
        }
    }
    let columns = builders
        .into_iter()
        .map(|b| Column::new(String::new(), Values::Text(b.finish())))
        .collect();
    Ok((
        headers,
        Table {
            columns,
            rows: lines.len(),
            row_lines: Some(lines),
        },
    ))
}

fn ragged(file: &str, line: usize, width: usize, got: usize, delimiter: u8) -> ImportError {
    // A "header" narrower than the rows below it is likely a title line above the header.
    let hint = if got > width {
        "; if the header is further down, pass header_row= with its row number"
    } else {
        ""
    };
    ImportError::Parse {
        file: file.into(),
        message: format!(
            "line {line} has {got} field(s) but the header has {width} (delimiter {}); a value may contain an unquoted delimiter, or the row was cut — fix the line or re-export with quoted text{hint}",
            describe_delimiter(delimiter)
        ),
    }
}

pub fn describe_delimiter(d: u8) -> String {
    match d {
        b'\t' => "tab".into(),
        b => format!("\"{}\"", b as char),
    }
}

/// Whether numbers in the file use a decimal comma: `;`/tab files with values like `3,5`.
pub fn sniff_decimal(table: &Table, delimiter: u8) -> u8 {
    if delimiter == b',' {
        return b'.';
    }
    let comma_number = |s: &str| {
        let s = s.trim().trim_start_matches('-');
        match s.split_once(',') {
            Some((a, b)) => {
                !a.is_empty()
                    && !b.is_empty()
                    && a.bytes().all(|c| c.is_ascii_digit())
                    && b.bytes().all(|c| c.is_ascii_digit())
            }
            None => false,
        }
    };
    for column in &table.columns {
        if let Values::Text(t) = &column.values {
            if t.iter().take(1000).flatten().any(comma_number) {
                return b',';
            }
        }
    }
    b'.'
}

/// Text column storage: one buffer and end offsets, so a 12 M-cell export is not 12 M
/// separate allocations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextColumn {
    buffer: String,
    ends: Vec<u32>,
}

impl TextColumn {
    pub fn from_strings<S: AsRef<str>>(values: &[Option<S>]) -> Self {
        let mut b = TextBuilder::default();
        for v in values {
            b.push(v.as_ref().map(|s| s.as_ref()).unwrap_or(""));
        }
        b.finish()
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The cell text, `None` when empty.
    pub fn get(&self, row: usize) -> Option<&str> {
        let start = if row == 0 {
            0
        } else {
            self.ends[row - 1] as usize
        };
        let end = self.ends[row] as usize;
        (end > start).then(|| &self.buffer[start..end])
    }

    pub fn iter(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        (0..self.len()).map(move |r| self.get(r))
    }
}

#[derive(Default)]
pub struct TextBuilder {
    column: TextColumn,
}

impl TextBuilder {
    pub fn push(&mut self, s: &str) {
        self.column.buffer.push_str(s);
        self.column.ends.push(self.column.buffer.len() as u32);
    }

    pub fn finish(self) -> TextColumn {
        self.column
    }
}
