//! The cases: 8-byte elements, stored as they are or bytecode-compressed, gathered into
//! one raw column per variable.

use super::cursor::Cursor;
use super::variables::{decode, Variable};
use crate::error::ImportError;
use crate::import::text::TextBuilder;
use crate::import::Values;
use encoding_rs::Encoding;

/// SPSS's system-missing value (PSPP: the lowest double).
pub(super) const SYSMIS: f64 = -f64::MAX;

/// Reads the 8-byte elements of the cases, decompressing bytecode when the file uses it.
pub(super) struct Elements<'a> {
    pub c: Cursor<'a>,
    pub compressed: bool,
    pub bias: f64,
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
    pub fn new(c: Cursor<'a>, compressed: bool, bias: f64) -> Self {
        Elements {
            c,
            compressed,
            bias,
            codes: [0; 8],
            next_code: 8,
        }
    }

    /// At most how many elements the data left can still hold: a bound for a case count
    /// taken from the header (each element takes a code byte at least, or 8 bytes).
    fn room(&self) -> usize {
        if self.compressed {
            self.c.remaining() + (8 - self.next_code)
        } else {
            self.c.remaining() / 8
        }
    }

    fn next(&mut self) -> Result<Element<'a>, ImportError> {
        if !self.compressed {
            if self.c.at_end() {
                return Ok(Element::End);
            }
            return Ok(Element::Raw(self.c.take(8, "case data")?));
        }
        loop {
            if self.next_code == 8 {
                if self.c.at_end() {
                    return Ok(Element::End);
                }
                self.codes = self.c.eight("compressed case data")?;
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
                k => return Ok(Element::Number(f64::from(k) - self.bias)),
            }
        }
    }
}

enum Builder {
    Numbers(Vec<Option<f64>>),
    Text(TextBuilder),
}

/// The raw values of every variable, case by case. `n_cases` (from the header, when it
/// says) must fit in the data left; cases are read until the data end otherwise.
pub(super) fn read(
    e: &mut Elements,
    vars: &[Variable],
    enc: &'static Encoding,
    n_cases: Option<usize>,
) -> Result<Vec<Values>, ImportError> {
    let per_case: usize = vars.iter().map(|v| v.elements).sum();
    let capacity = check_case_count(e, per_case, n_cases)?;
    let mut builders: Vec<Builder> = vars
        .iter()
        .map(|v| {
            if v.width == 0 {
                Builder::Numbers(Vec::with_capacity(capacity))
            } else {
                Builder::Text(TextBuilder::default())
            }
        })
        .collect();
    let mut case = 0usize;
    let mut text = Vec::new();
    while n_cases.is_none_or(|n| case < n) {
        if !read_case(e, vars, enc, &mut builders, &mut text, case)? {
            break;
        }
        case += 1;
    }
    if let Some(n) = n_cases.filter(|&n| case < n) {
        return Err(ImportError::Parse {
            file: e.c.file.into(),
            message: format!(
                "the header promises {n} cases but the data end after {case}: the .sav is truncated"
            ),
        });
    }
    Ok(builders
        .into_iter()
        .map(|b| match b {
            Builder::Numbers(x) => Values::Numbers(x),
            Builder::Text(t) => Values::Text(t.finish()),
        })
        .collect())
}

/// The number of cases to reserve room for; an error when the header's count cannot fit.
fn check_case_count(
    e: &Elements,
    per_case: usize,
    n_cases: Option<usize>,
) -> Result<usize, ImportError> {
    let Some(n) = n_cases else { return Ok(0) };
    let room = e.room() / per_case.max(1);
    if n > room {
        return Err(ImportError::Parse {
            file: e.c.file.into(),
            message: format!(
                "the header promises {n} cases of {per_case} elements, but the {} bytes of case data from byte {} hold at most {room}: the .sav is truncated or damaged",
                e.c.remaining(),
                e.c.offset()
            ),
        });
    }
    Ok(n)
}

/// One case into the builders; `false` when the data end before it starts.
fn read_case(
    e: &mut Elements,
    vars: &[Variable],
    enc: &'static Encoding,
    builders: &mut [Builder],
    text: &mut Vec<u8>,
    case: usize,
) -> Result<bool, ImportError> {
    for (vi, (v, builder)) in vars.iter().zip(builders.iter_mut()).enumerate() {
        text.clear();
        for k in 0..v.elements {
            let element = e.next()?;
            if matches!(element, Element::End) {
                if vi == 0 && k == 0 {
                    return Ok(false);
                }
                return Err(ImportError::Parse {
                    file: e.c.file.into(),
                    message: format!(
                        "case {} ends inside variable {:?} (byte {}): the .sav is truncated; copy or export it again",
                        case + 1,
                        v.name,
                        e.c.offset()
                    ),
                });
            }
            match (&mut *builder, element) {
                (Builder::Numbers(out), Element::Number(x)) => out.push((x != SYSMIS).then_some(x)),
                (Builder::Numbers(out), Element::Raw(b)) => {
                    let mut a = [0u8; 8];
                    a.copy_from_slice(b);
                    let x = e.c.number(a);
                    out.push((x != SYSMIS).then_some(x));
                }
                (Builder::Numbers(out), _) => out.push(None),
                (Builder::Text(_), Element::Raw(b)) => text.extend_from_slice(b),
                (Builder::Text(_), _) => text.extend_from_slice(b"        "),
            }
        }
        if let Builder::Text(out) = builder {
            out.push(&segment_text(text, v, enc));
        }
    }
    Ok(true)
}

/// The text of a string variable; a very long string keeps 255 bytes of each 256-byte
/// segment (as SPSS and ReadStat write them; PSPP's description of the split is ambiguous).
fn segment_text(bytes: &[u8], v: &Variable, enc: &'static Encoding) -> String {
    if v.segments <= 1 {
        return decode(enc, &bytes[..v.width.min(bytes.len())]);
    }
    // The width is at most 32,767 (checked when the segments were merged).
    let mut joined = Vec::with_capacity(v.width.min(bytes.len()));
    for chunk in bytes.chunks(256) {
        joined.extend_from_slice(&chunk[..chunk.len().min(255)]);
    }
    joined.truncate(v.width);
    decode(enc, &joined)
}
