//! Delimited text exports (CSV/TSV) as survey tools and Swedish Excel write them: the bytes
//! are decoded to UTF-8 (BOM, UTF-8, else Windows-1252), the delimiter is sniffed among
//! `,` `;` and tab, quoted fields may hold delimiters, doubled quotes and line breaks.

use super::{Column, Table, Values};
use crate::error::ImportError;
use encoding_rs::Encoding;

/// A text export's bytes ready to be read. Windows-1252 is left as it is and decoded field
/// by field as records are read: its delimiters, quotes and line breaks are the ASCII bytes
/// UTF-8 has, and nearly every field is ASCII, so the file is not copied whole once more.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    Utf8(String),
    Windows1252(Vec<u8>),
}

impl Decoded {
    fn bytes(&self) -> &[u8] {
        match self {
            Decoded::Utf8(text) => text.as_bytes(),
            Decoded::Windows1252(bytes) => bytes,
        }
    }

    fn is_windows_1252(&self) -> bool {
        matches!(self, Decoded::Windows1252(_))
    }

    /// The whole text as UTF-8.
    pub fn to_text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Decoded::Utf8(text) => text.as_str().into(),
            Decoded::Windows1252(bytes) => {
                encoding_rs::WINDOWS_1252
                    .decode_without_bom_handling(bytes)
                    .0
            }
        }
    }

    /// Whether the text is nothing but white space (Windows-1252's are the ASCII ones and the
    /// no-break space 0xA0).
    pub fn is_blank(&self) -> bool {
        match self {
            Decoded::Utf8(text) => text.trim().is_empty(),
            Decoded::Windows1252(bytes) => bytes
                .iter()
                .all(|&b| matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' | 0xa0)),
        }
    }
}

impl From<&str> for Decoded {
    fn from(text: &str) -> Self {
        Decoded::Utf8(text.to_string())
    }
}

/// Decodes the bytes of a text export, naming the file and the place of any problem. UTF-8
/// without a BOM, the common case, becomes the text without a copy; so does Windows-1252
/// (see [`Decoded`]).
pub fn decode(
    bytes: Vec<u8>,
    file: &str,
    encoding: Option<&str>,
) -> Result<(Decoded, String), ImportError> {
    if let Some(label) = encoding {
        return decode_as(bytes, file, label);
    }
    if let Some((enc, bom_len)) = Encoding::for_bom(&bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        if had_errors {
            return Err(undecodable(file, &bytes, enc.name()));
        }
        return Ok((
            Decoded::Utf8(text.into_owned()),
            format!("{} (BOM)", enc.name()),
        ));
    }
    reject_binary(&bytes, file)?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok((Decoded::Utf8(text), "UTF-8".to_string())),
        // Not UTF-8: Swedish Excel and most Windows survey tools write Windows-1252, whose
        // every byte decodes, so this fallback cannot fail.
        Err(e) => Ok((
            Decoded::Windows1252(e.into_bytes()),
            "windows-1252".to_string(),
        )),
    }
}

fn decode_as(bytes: Vec<u8>, file: &str, label: &str) -> Result<(Decoded, String), ImportError> {
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
    if enc == encoding_rs::WINDOWS_1252 {
        return Ok((Decoded::Windows1252(bytes), enc.name().to_string()));
    }
    let (text, had_errors) = enc.decode_with_bom_removal(&bytes);
    if had_errors {
        return Err(undecodable(file, &bytes, enc.name()));
    }
    Ok((Decoded::Utf8(text.into_owned()), enc.name().to_string()))
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

/// A quote-aware record reader over decoded text (Windows-1252 decoded field by field).
struct Records<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
    delimiter: u8,
    windows_1252: bool,
}

#[derive(Debug)]
struct UnterminatedQuote {
    line: usize,
}

impl<'a> Records<'a> {
    fn new(text: &'a Decoded, delimiter: u8) -> Self {
        Self::starting(text, delimiter, 0, 1)
    }

    /// A reader from byte `pos`, which is on line `line`.
    fn starting(text: &'a Decoded, delimiter: u8, pos: usize, line: usize) -> Self {
        Records {
            text: text.bytes(),
            pos,
            line,
            delimiter,
            windows_1252: text.is_windows_1252(),
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
        let start = out.len();
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
        if self.windows_1252 {
            windows_1252_to_utf8(out, start);
        }
        Ok(self.end_field())
    }

    /// The field at the reader as an answer code when it is empty ([`NO_CODE`]) or a whole
    /// number 0–99 written plainly (no sign, space, quote or leading zero, so the code
    /// spells the text back exactly): read with its end. Anything else is left unread.
    fn small_code(&mut self) -> Option<(u8, FieldEnd)> {
        let (t, p, delimiter) = (self.text, self.pos, self.delimiter);
        let ends = |i: usize| {
            t.get(i)
                .is_none_or(|&b| b == delimiter || b == b'\n' || b == b'\r')
        };
        let digit = |i: usize| t.get(i).filter(|b| b.is_ascii_digit()).map(|b| b - b'0');
        let (code, len) = if ends(p) {
            (NO_CODE, 0)
        } else {
            match (digit(p), digit(p + 1)) {
                (Some(d), _) if ends(p + 1) => (d, 1),
                (Some(d), Some(e)) if d > 0 && ends(p + 2) => (d * 10 + e, 2),
                _ => return None,
            }
        };
        self.pos = p + len;
        Some((code, self.end_field()))
    }

    /// Reads the delimiter or line end at the reader (nothing at the end of the text).
    fn end_field(&mut self) -> FieldEnd {
        let t = self.text;
        if self.pos >= t.len() {
            return FieldEnd::Eof;
        }
        let b = t[self.pos];
        self.pos += 1;
        if b == self.delimiter {
            return FieldEnd::Delimiter;
        }
        if b == b'\r' && self.pos < t.len() && t[self.pos] == b'\n' {
            self.pos += 1;
        }
        self.line += 1;
        FieldEnd::Line
    }
}

/// Decodes the Windows-1252 bytes of `out` from `start` on, in place (ASCII, nearly every
/// field, is left as it is).
fn windows_1252_to_utf8(out: &mut Vec<u8>, start: usize) {
    if out[start..].is_ascii() {
        return;
    }
    let field = out.split_off(start);
    let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&field);
    out.extend_from_slice(text.as_bytes());
}

enum FieldEnd {
    Delimiter,
    Line,
    Eof,
}

/// The delimiter that splits the first records into the same number (> 1) of fields,
/// preferring the one giving most fields. Looks at most at the records up to `header_row`
/// (1-based, when given) and 30 beyond a title block: a delimiter that splits nothing must
/// not read the whole file.
pub fn sniff_delimiter(text: &Decoded, header_row: Option<usize>) -> u8 {
    let most = header_row.unwrap_or(0) + super::headers::TITLE_ROWS_MAX + 30;
    let mut best = (b',', 0usize, false);
    for delimiter in [b';', b',', b'\t'] {
        let mut records = Records::new(text, delimiter);
        let mut record = Record::default();
        let mut counts = Vec::new();
        for _ in 0..most {
            if counts.len() == 30 {
                break;
            }
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
    text: &Decoded,
    file: &str,
    delimiter: u8,
    n: usize,
) -> Result<Vec<Vec<String>>, ImportError> {
    take_records(&mut Records::new(text, delimiter), n, file)
}

/// Reads a delimited text export into a table of text columns. The first `skip` records
/// (a title block) are passed over; `header_rows` records are returned separately for the
/// caller to flatten. The records below the header are parsed in stretches on several
/// threads when the file is large (see [`stretch_starts`]).
pub fn parse(
    text: &Decoded,
    file: &str,
    delimiter: u8,
    skip: usize,
    header_rows: usize,
) -> Result<(Vec<Vec<String>>, Table), ImportError> {
    let mut records = Records::new(text, delimiter);
    take_records(&mut records, skip, file)?;
    let headers = take_records(&mut records, header_rows, file)?;
    let Some(width) = headers.first().map(Vec::len) else {
        return Err(ImportError::Empty {
            file: file.into(),
            message: "the file is empty; export the survey again with its header row".into(),
        });
    };
    let body = Body {
        text,
        file,
        delimiter,
        width,
        per: BYTES_PER_STRETCH,
        most: std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let stretches = body.parse_all(records.pos, records.line)?;
    let (lines, columns) = join_stretches(stretches, width);
    let rows = lines.len();
    let columns = columns
        .into_iter()
        .map(|c| Column::new(String::new(), Values::Text(c)))
        .collect();
    Ok((
        headers,
        Table {
            columns,
            rows,
            row_lines: Some(lines),
        },
    ))
}

/// The stretches' row lines, and their cells joined column by column (each column's
/// pieces freed as soon as they are copied).
fn join_stretches(stretches: Vec<Stretch>, width: usize) -> (Vec<usize>, Vec<TextColumn>) {
    let mut lines = Vec::with_capacity(stretches.iter().map(|s| s.lines.len()).sum());
    let mut parts: Vec<Vec<CellBytes>> = (0..width).map(|_| Vec::new()).collect();
    for stretch in stretches {
        lines.extend(stretch.lines);
        for (column, cells) in parts.iter_mut().zip(stretch.cells) {
            column.push(cells);
        }
    }
    (lines, parts.into_iter().map(join).collect())
}

/// Text below the header, below which a stretch is not split off: thread start-up and the
/// copy into one column cost more than parsing this much on one thread.
const BYTES_PER_STRETCH: usize = 4 << 20;

/// The records below the header of one file.
struct Body<'a> {
    text: &'a Decoded,
    file: &'a str,
    delimiter: u8,
    width: usize,
    /// Bytes per stretch at least, and stretches at most (one per thread).
    per: usize,
    most: usize,
}

/// The records of one stretch of the text, as text columns, and where it stopped.
struct Stretch {
    cells: Vec<CellBytes>,
    lines: Vec<usize>,
    /// Byte after its last record, and the line there.
    end: usize,
    end_line: usize,
}

impl Stretch {
    /// The stretch with its lines counted from `line` instead of 0.
    fn moved_to(mut self, line: usize) -> Self {
        self.lines.iter_mut().for_each(|l| *l += line);
        self.end_line += line;
        self
    }
}

impl Body<'_> {
    /// Every record from `start` (on `line`) to the end. Stretches are parsed in parallel
    /// from guessed record boundaries; a guess is taken only when the stretch before it,
    /// parsed from a true boundary, stops exactly there — so the result is the one-thread
    /// parse in every case (a wrong guess costs one sequential parse of the rest). Later
    /// stretches count their lines from 0 and are moved to where the one before ended, so
    /// line numbers are the reader's own (a lone `\r` ends a line as `\n` does).
    fn parse_all(&self, start: usize, line: usize) -> Result<Vec<Stretch>, ImportError> {
        let text = self.text.bytes();
        let starts = stretch_starts(text, start, self.per, self.most);
        let bounds: Vec<(usize, usize)> = starts
            .iter()
            .zip(starts.iter().skip(1).chain([&text.len()]))
            .map(|(&a, &b)| (a, b))
            .collect();
        let parsed = crate::parallel::map_in_order(&bounds, bounds.len(), |&(a, b)| {
            self.parse_stretch(a, if a == start { line } else { 0 }, b)
        });
        let mut out: Vec<Stretch> = Vec::with_capacity(parsed.len());
        for (result, &(a, _)) in parsed.into_iter().zip(&bounds) {
            let Some(before) = out.last() else {
                out.push(result?);
                continue;
            };
            let (from, from_line) = (before.end, before.end_line);
            match result {
                Ok(stretch) if from == a => out.push(stretch.moved_to(from_line)),
                // A wrong guess, or an error to be named at its true line: the rest parsed
                // on from where the stretch before ended.
                _ => {
                    out.push(self.parse_stretch(from, from_line, text.len())?);
                    return Ok(out);
                }
            }
        }
        Ok(out)
    }

    /// The records starting at `start` (on `line`) and before `stop`; the last one may run
    /// past `stop` (its end is the stretch's end). Fields go straight into their column's
    /// bytes: no copy per record, and UTF-8 is checked once per column (in [`join`]).
    fn parse_stretch(
        &self,
        start: usize,
        line: usize,
        stop: usize,
    ) -> Result<Stretch, ImportError> {
        let mut records = Records::starting(self.text, self.delimiter, start, line);
        let mut cells: Vec<CellBytes> = (0..self.width).map(|_| CellBytes::default()).collect();
        let mut lines = Vec::new();
        while records.pos < stop {
            let line = records.line;
            let fields = self.read_record(&mut records, &mut cells)?;
            let blank = fields == 1 && cells[0].last_is_empty();
            if blank && self.width > 1 {
                cells[1..].iter_mut().for_each(CellBytes::push_empty);
            } else if fields != self.width {
                return Err(ragged(self.file, line, self.width, fields, self.delimiter));
            }
            lines.push(line);
        }
        Ok(Stretch {
            cells,
            lines,
            end: records.pos,
            end_line: records.line,
        })
    }

    /// One record's fields into `cells`, field i into column i; how many fields it has
    /// (those beyond the header's width are read and counted, not kept).
    fn read_record(
        &self,
        records: &mut Records,
        cells: &mut [CellBytes],
    ) -> Result<usize, ImportError> {
        let start_line = records.line;
        let mut extra = Vec::new();
        let mut fields = 0;
        loop {
            let end = match cells.get_mut(fields) {
                Some(cell) => cell.read(records, start_line),
                None => {
                    extra.clear();
                    records.read_field(&mut extra, start_line)
                }
            }
            .map_err(|e| unterminated(self.file, e))?;
            fields += 1;
            if !matches!(end, FieldEnd::Delimiter) {
                return Ok(fields);
            }
        }
    }
}

/// One column's cells of one stretch: answer codes, one byte per cell, while every cell is
/// one (see [`Records::small_code`]); from the first that is not, raw bytes — pieces of
/// valid UTF-8 cut at ASCII bytes, checked as text when the stretches are joined.
struct CellBytes {
    codes: Option<Vec<u8>>,
    bytes: Vec<u8>,
    ends: Vec<u32>,
}

impl Default for CellBytes {
    fn default() -> Self {
        CellBytes {
            codes: Some(Vec::new()),
            bytes: Vec::new(),
            ends: Vec::new(),
        }
    }
}

impl CellBytes {
    /// Reads the field at the reader into this column.
    fn read(
        &mut self,
        records: &mut Records,
        start_line: usize,
    ) -> Result<FieldEnd, UnterminatedQuote> {
        if let Some(codes) = &mut self.codes {
            if let Some((code, end)) = records.small_code() {
                codes.push(code);
                return Ok(end);
            }
            self.spell_out_codes();
        }
        let end = records.read_field(&mut self.bytes, start_line);
        self.end_cell();
        end
    }

    /// The codes read so far written back as the text they were read from.
    fn spell_out_codes(&mut self) {
        for code in self.codes.take().unwrap_or_default() {
            self.bytes
                .extend_from_slice(code_text(code).unwrap_or("").as_bytes());
            self.end_cell();
        }
    }

    fn end_cell(&mut self) {
        self.ends.push(self.bytes.len() as u32);
    }

    fn push_empty(&mut self) {
        match &mut self.codes {
            Some(codes) => codes.push(NO_CODE),
            None => self.end_cell(),
        }
    }

    fn last_is_empty(&self) -> bool {
        if let Some(codes) = &self.codes {
            return codes.last().is_none_or(|&c| c == NO_CODE);
        }
        let n = self.ends.len();
        n == 0 || self.ends[n - 1] == if n > 1 { self.ends[n - 2] } else { 0 }
    }
}

/// The stretches' cells of one column as one text column: codes when every stretch kept
/// codes, else text.
fn join(mut parts: Vec<CellBytes>) -> TextColumn {
    // The first stretch's buffers grow to hold the others': a large buffer grows in place,
    // so only the later stretches are copied.
    if parts.iter().all(|p| p.codes.is_some()) {
        let mut all = parts.into_iter().filter_map(|p| p.codes);
        let mut codes = all.next().unwrap_or_default();
        all.for_each(|more| codes.extend_from_slice(&more));
        return TextColumn {
            cells: Cells::Codes(codes),
        };
    }
    parts
        .iter_mut()
        .filter(|p| p.codes.is_some())
        .for_each(CellBytes::spell_out_codes);
    let total: usize = parts.iter().map(|p| p.bytes.len()).sum();
    let cells: usize = parts.iter().map(|p| p.ends.len()).sum();
    let mut rest = parts.into_iter();
    let first = rest.next().unwrap_or_default();
    let (mut bytes, mut ends) = (first.bytes, first.ends);
    bytes.reserve_exact(total - bytes.len());
    ends.reserve_exact(cells - ends.len());
    for part in rest {
        let base = bytes.len() as u32;
        bytes.extend_from_slice(&part.bytes);
        ends.extend(part.ends.iter().map(|e| e + base));
    }
    let buffer = match String::from_utf8(bytes) {
        Ok(text) => text,
        // Fields are cut from decoded text at ASCII bytes, so this is valid; were it not,
        // each cell is made valid on its own (a shared lossy pass would move the offsets).
        Err(e) => return lossy_cells(e.as_bytes(), &ends),
    };
    TextColumn {
        cells: Cells::Text { buffer, ends },
    }
}

fn lossy_cells(bytes: &[u8], ends: &[u32]) -> TextColumn {
    let mut b = TextBuilder::default();
    let mut start = 0;
    for &end in ends {
        b.push(&String::from_utf8_lossy(&bytes[start..end as usize]));
        start = end as usize;
    }
    b.finish()
}

/// Where the stretches of `text[start..]` begin: `start`, then, about every `per` bytes
/// (`most` stretches at most), the byte after a line break with an even number of
/// quotes between `start` and it — a record boundary unless a quote stands inside an
/// unquoted field, which [`Body::parse_all`] finds out and corrects.
fn stretch_starts(text: &[u8], start: usize, per: usize, most: usize) -> Vec<usize> {
    let len = text.len().saturating_sub(start);
    let n = (len / per.max(1)).clamp(1, most.max(1));
    let mut starts = vec![start];
    let (mut from, mut odd) = (start, false);
    for k in 1..n {
        let nominal = (start + k * (len / n)).max(from);
        odd ^= memchr::memchr_iter(b'"', &text[from..nominal]).count() % 2 == 1;
        let Some(at) = next_even_break(text, nominal, &mut odd) else {
            break;
        };
        if at >= text.len() {
            break;
        }
        starts.push(at);
        from = at;
    }
    starts
}

/// The byte after the first line break at or after `from` outside quotes (`odd`: whether an
/// odd number of quotes came before `from`; updated to the parity at the returned byte).
fn next_even_break(text: &[u8], from: usize, odd: &mut bool) -> Option<usize> {
    for at in memchr::memchr2_iter(b'"', b'\n', &text[from..]) {
        if text[from + at] == b'"' {
            *odd = !*odd;
        } else if !*odd {
            return Some(from + at + 1);
        }
    }
    None
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

/// The code of an empty cell in a column held as codes.
const NO_CODE: u8 = u8::MAX;

/// "00" to "99" back to back: the text of every code is a slice of it.
const TWO_DIGITS: &str = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899";

/// The text a code was read from (`None` for an empty cell).
fn code_text(code: u8) -> Option<&'static str> {
    let c = usize::from(code);
    match c {
        0..=9 => Some(&TWO_DIGITS[2 * c + 1..2 * c + 2]),
        10..=99 => Some(&TWO_DIGITS[2 * c..2 * c + 2]),
        _ => None,
    }
}

/// Text column storage: one buffer and end offsets, so a 12 M-cell export is not 12 M
/// separate allocations — or, for a column whose every cell is empty or a whole number
/// 0–99 written plainly (answer codes: most columns of a survey export), one byte per cell.
#[derive(Debug, Clone)]
pub struct TextColumn {
    cells: Cells,
}

#[derive(Debug, Clone)]
enum Cells {
    Text { buffer: String, ends: Vec<u32> },
    Codes(Vec<u8>),
}

impl Default for TextColumn {
    fn default() -> Self {
        TextColumn {
            cells: Cells::Text {
                buffer: String::new(),
                ends: Vec::new(),
            },
        }
    }
}

/// Equal when the cells are, however they are held.
impl PartialEq for TextColumn {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
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
        match &self.cells {
            Cells::Text { ends, .. } => ends.len(),
            Cells::Codes(codes) => codes.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cell text, `None` when empty.
    pub fn get(&self, row: usize) -> Option<&str> {
        match &self.cells {
            Cells::Text { buffer, ends } => {
                let start = if row == 0 { 0 } else { ends[row - 1] as usize };
                let end = ends[row] as usize;
                (end > start).then(|| &buffer[start..end])
            }
            Cells::Codes(codes) => code_text(codes[row]),
        }
    }

    /// The cells as whole numbers 0–99 (`None` when empty), when the column is held as codes.
    pub fn codes(&self) -> Option<Codes<'_>> {
        match &self.cells {
            Cells::Codes(codes) => Some(Codes(codes)),
            Cells::Text { .. } => None,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        (0..self.len()).map(move |r| self.get(r))
    }
}

/// A column's cells as codes 0–99.
#[derive(Clone, Copy)]
pub struct Codes<'a>(&'a [u8]);

impl Codes<'_> {
    pub fn get(&self, row: usize) -> Option<u8> {
        let code = self.0[row];
        (code != NO_CODE).then_some(code)
    }
}

#[derive(Default)]
pub struct TextBuilder {
    buffer: String,
    ends: Vec<u32>,
}

impl TextBuilder {
    pub fn push(&mut self, s: &str) {
        self.buffer.push_str(s);
        self.ends.push(self.buffer.len() as u32);
    }

    pub fn finish(self) -> TextColumn {
        TextColumn {
            cells: Cells::Text {
                buffer: self.buffer,
                ends: self.ends,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Each column's cells (`None` when empty).
    type Cells = Vec<Vec<Option<String>>>;

    /// The body parsed in stretches of about `per` bytes (up to 8), as the columns' cells,
    /// the line of each row, or the error message.
    fn parsed(text: &str, per: usize) -> Result<(Cells, Vec<usize>), String> {
        let decoded = Decoded::from(text);
        let mut records = Records::new(&decoded, b';');
        let header = take_records(&mut records, 1, "t.csv").map_err(|e| e.to_string())?;
        let width = header.first().map_or(1, Vec::len);
        let body = Body {
            text: &decoded,
            file: "t.csv",
            delimiter: b';',
            width,
            per,
            most: 8,
        };
        let stretches = body
            .parse_all(records.pos, records.line)
            .map_err(|e| e.to_string())?;
        let (lines, columns) = join_stretches(stretches, width);
        let cells = columns
            .iter()
            .map(|c| c.iter().map(|v| v.map(str::to_string)).collect())
            .collect();
        Ok((cells, lines))
    }

    /// A field as a tool writes it: quoted when it holds `;`, `"` or a line break, and now
    /// and then a bare quote inside an unquoted field (which spreadsheet programs accept).
    fn field() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-c ]{0,4}",
            // Answer codes, with the near misses that must stay text (`07`, `100`, ` 3`).
            "[0-9]{0,3}",
            " ?[1-9]",
            "[a;\n\"]{1,5}".prop_map(|s| format!("\"{}\"", s.replace('"', "\"\""))),
            "[ab]{1,2}\"[ab]{0,2}",
        ]
    }

    /// Rows ended as Unix, Windows or old Mac files end them, mixed (the reader takes a lone
    /// `\r` for a line end too, and numbers lines so).
    fn file() -> impl Strategy<Value = String> {
        let row = prop::collection::vec(field(), 3);
        let line = prop_oneof![9 => row.prop_map(|r| r.join(";")), 1 => Just(String::new())];
        let end = prop_oneof![Just("\n"), Just("\r\n"), Just("\r")];
        prop::collection::vec((line, end), 0..60).prop_map(|rows| {
            let body: String = rows.iter().map(|(l, e)| format!("{l}{e}")).collect();
            format!("a;b;c\n{body}")
        })
    }

    proptest! {
        /// Stretches from guessed boundaries give exactly the one-thread parse: the same
        /// cells, lines and errors, whatever quotes and line breaks the fields hold.
        #[test]
        fn stretches_give_the_sequential_parse(text in file(), per in 1usize..40) {
            prop_assert_eq!(parsed(&text, per), parsed(&text, usize::MAX));
        }
    }

    #[test]
    fn answer_codes_are_held_as_codes_and_read_back_as_written() {
        let text = "a;b;c;d\n1;07;;\"5\"\n99;3;;5\n;10;;x\n";
        let (cells, _) = parsed(text, usize::MAX).unwrap();
        let col = |c: usize| cells[c].iter().map(|v| v.as_deref()).collect::<Vec<_>>();
        assert_eq!(col(0), [Some("1"), Some("99"), None]);
        assert_eq!(col(1), [Some("07"), Some("3"), Some("10")]);
        assert_eq!(col(2), [None, None, None]);
        assert_eq!(col(3), [Some("5"), Some("5"), Some("x")]);
        // Column a stays codes; b turns to text at `07`, d at the quoted `"5"`.
        let decoded = Decoded::from(text);
        let mut records = Records::new(&decoded, b';');
        take_records(&mut records, 1, "t.csv").unwrap();
        let body = Body {
            text: &decoded,
            file: "t.csv",
            delimiter: b';',
            width: 4,
            per: usize::MAX,
            most: 1,
        };
        let stretches = body.parse_all(records.pos, records.line).unwrap();
        let (_, columns) = join_stretches(stretches, 4);
        let held: Vec<bool> = columns.iter().map(|c| c.codes().is_some()).collect();
        assert_eq!(held, [true, false, true, false]);
        let codes = columns[0].codes().unwrap();
        assert_eq!(
            (codes.get(0), codes.get(1), codes.get(2)),
            (Some(1), Some(99), None)
        );
    }

    #[test]
    fn a_quote_inside_an_unquoted_field_is_corrected() {
        // The even-quotes guess takes the break after `x"y` for a boundary inside quotes.
        let text = "a;b\nx\"y;1\n2;3\n\"p\nq\";4\n5;6\n";
        let (cells, lines) = parsed(text, 1).unwrap();
        assert_eq!(cells, parsed(text, usize::MAX).unwrap().0);
        assert_eq!(cells[0][2].as_deref(), Some("p\nq"));
        assert_eq!(lines, vec![2, 3, 4, 6]);
    }

    #[test]
    fn a_ragged_row_in_a_later_stretch_names_its_line() {
        let mut text = String::from("a;b\n");
        for i in 0..50 {
            text.push_str(&format!("{i};x\n"));
        }
        text.push_str("1;2;3\n");
        let err = parsed(&text, 10).unwrap_err();
        assert!(err.contains("line 52 has 3 field(s)"), "{err}");
    }
}
