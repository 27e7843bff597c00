//! The dictionary's raw records → the variables in case order: string continuations and
//! very long string segments merged, names, labels, value labels, missing values, formats
//! and measurement levels decoded. Every inconsistency is an error naming the record.

use super::cursor::Cursor;
use super::dictionary::{Extension, RawDictionary, RawVariable};
use super::formats;
use crate::error::ImportError;
use crate::import::{SpssVariable, UserMissing};
use encoding_rs::Encoding;

/// SPSS's longest string variable, in bytes.
const MAX_STRING: usize = 32_767;
/// Bytes of text in each 255-byte segment of a very long string (PSPP: 252 per segment).
const SEGMENT_TEXT: usize = 252;

/// A variable as its cases are read.
#[derive(Debug, Clone)]
pub(super) struct Variable {
    pub short_name: String,
    pub name: String,
    /// 0 numeric, else the string width in bytes.
    pub width: usize,
    /// 8-byte elements the variable occupies in a case.
    pub elements: usize,
    /// Segments of a very long string (1 for every other variable).
    pub segments: usize,
    pub label: Option<String>,
    pub missing: UserMissing,
    pub value_labels: Vec<(f64, String)>,
    pub spss: SpssVariable,
}

pub(super) fn decode(enc: &'static Encoding, bytes: &[u8]) -> String {
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\0'))
        .map_or(0, |i| i + 1);
    let mut bytes = &bytes[..end];
    // SPSS cuts strings at a byte width, which can split the last UTF-8 character: drop
    // that incomplete tail (as ReadStat does) rather than show a replacement character.
    if enc == encoding_rs::UTF_8 {
        match std::str::from_utf8(bytes) {
            Ok(s) => return s.to_owned(),
            Err(e) if e.error_len().is_none() => bytes = &bytes[..e.valid_up_to()],
            Err(_) => {}
        }
    }
    enc.decode_without_bom_handling(bytes).0.into_owned()
}

/// The variables in case order, with everything the dictionary says about them.
pub(super) fn build(
    d: &RawDictionary,
    enc: &'static Encoding,
    c: &Cursor,
) -> Result<Vec<Variable>, ImportError> {
    let (mut vars, index_of) = merge_continuations(d, enc, c)?;
    attach_value_labels(d, enc, &index_of, &mut vars, c)?;
    apply_display(d, &mut vars, c)?;
    apply_long_names(d, enc, &mut vars);
    apply_very_long_strings(d, enc, &mut vars, c)?;
    for e in &d.long_string_labels {
        long_string_labels(e, enc, &mut vars, c)?;
    }
    for e in &d.long_string_missing {
        long_string_missing(e, enc, &mut vars, c)?;
    }
    Ok(vars)
}

/// One variable per record that is not a continuation, and for each record (1-based
/// dictionary index − 1) the variable it starts, if any. A string of width w needs
/// ⌈w/8⌉ − 1 continuation records right after it; a missing or stray one is an error.
fn merge_continuations(
    d: &RawDictionary,
    enc: &'static Encoding,
    c: &Cursor,
) -> Result<(Vec<Variable>, Vec<Option<usize>>), ImportError> {
    let mut vars: Vec<Variable> = Vec::new();
    let mut index_of = Vec::with_capacity(d.variables.len());
    let mut owed = 0usize;
    for raw in &d.variables {
        if raw.kind == -1 {
            let Some(last) = vars.last_mut().filter(|_| owed > 0) else {
                return Err(c.bad_at(
                    raw.offset,
                    "a string continuation record that continues no string variable",
                ));
            };
            last.elements += 1;
            owed -= 1;
            index_of.push(None);
            continue;
        }
        if owed > 0 {
            return Err(missing_continuation(vars.last(), owed, raw, c));
        }
        let width = usize::try_from(raw.kind)
            .ok()
            .filter(|&w| w <= 255)
            .ok_or_else(|| {
                c.bad_at(
                    raw.offset,
                    format!(
                        "variable type {} (expected 0 for numeric or a string width 1–255)",
                        raw.kind
                    ),
                )
            })?;
        owed = width.div_ceil(8).saturating_sub(1);
        index_of.push(Some(vars.len()));
        vars.push(variable(raw, width, enc, c)?);
    }
    if owed > 0 {
        let at = c.offset();
        return Err(c.bad_at(
            at,
            format!(
                "the dictionary ends while string variable {:?} still needs {owed} continuation record(s)",
                vars.last().map(|v| v.name.as_str()).unwrap_or_default()
            ),
        ));
    }
    Ok((vars, index_of))
}

fn missing_continuation(
    last: Option<&Variable>,
    owed: usize,
    raw: &RawVariable,
    c: &Cursor,
) -> ImportError {
    let (name, width) = last.map(|v| (v.name.as_str(), v.width)).unwrap_or_default();
    c.bad_at(
        raw.offset,
        format!(
            "string variable {name:?} is {width} bytes wide and needs {owed} more continuation record(s), but a new variable starts here"
        ),
    )
}

fn variable(
    raw: &RawVariable,
    width: usize,
    enc: &'static Encoding,
    c: &Cursor,
) -> Result<Variable, ImportError> {
    let short_name = decode(enc, &raw.short_name);
    let format = formats::name(raw.print);
    let temporal = if width == 0 {
        formats::temporal(raw.print)
    } else {
        None
    };
    Ok(Variable {
        name: short_name.clone(),
        short_name,
        width,
        elements: 1,
        segments: 1,
        label: raw.label.as_ref().map(|l| decode(enc, l)),
        missing: missing_values(raw, width, enc, c),
        value_labels: Vec::new(),
        spss: SpssVariable {
            format,
            temporal,
            ..SpssVariable::default()
        },
    })
}

/// Up to three discrete values, or a range (−2) plus one value (−3) for numbers.
fn missing_values(
    raw: &RawVariable,
    width: usize,
    enc: &'static Encoding,
    c: &Cursor,
) -> UserMissing {
    let mut m = UserMissing::default();
    if width > 0 {
        m.texts = raw.missing.iter().map(|b| decode(enc, b)).collect();
        return m;
    }
    let x: Vec<f64> = raw.missing.iter().map(|b| c.number(*b)).collect();
    match (raw.n_missing, x.as_slice()) {
        (-2 | -3, [lo, hi, rest @ ..]) => {
            m.range = Some((*lo, *hi));
            m.codes = rest.to_vec();
        }
        _ => m.codes = x,
    }
    m
}

fn attach_value_labels(
    d: &RawDictionary,
    enc: &'static Encoding,
    index_of: &[Option<usize>],
    vars: &mut [Variable],
    c: &Cursor,
) -> Result<(), ImportError> {
    for record in &d.value_labels {
        for &t in &record.targets {
            let Some(Some(v)) = index_of.get(t - 1) else {
                return Err(c.bad_at(
                    record.offset,
                    format!("value labels name variable index {t}, which is not the start of a variable (the dictionary has {} records)", index_of.len()),
                ));
            };
            let var = &mut vars[*v];
            if var.width > 8 {
                return Err(c.bad_at(record.offset, format!("value labels for {:?}, a string wider than 8 bytes (those have their own record, 7/21)", var.name)));
            }
            for (value, label) in record.values.iter().zip(&record.labels) {
                let label = decode(enc, label);
                if var.width == 0 {
                    var.value_labels.push((c.number(*value), label));
                } else {
                    var.spss.text_labels.push((decode(enc, value), label));
                }
            }
        }
    }
    Ok(())
}

/// Measurement levels (7/11): 2 or 3 integers per variable record that is not a
/// continuation, segments of very long strings counted one by one, before they merge.
fn apply_display(d: &RawDictionary, vars: &mut [Variable], c: &Cursor) -> Result<(), ImportError> {
    let Some(e) = &d.display else { return Ok(()) };
    let ints = e.data.len() / 4;
    let per = if vars.is_empty() {
        0
    } else {
        ints / vars.len()
    };
    if !matches!(per, 2 | 3) || per * vars.len() != ints {
        return Err(c.bad_at(
            e.offset,
            format!("the display record (7/11) holds {ints} numbers for {} variables (expected 2 or 3 each)", vars.len()),
        ));
    }
    let mut r = c.sub(&e.data, e.offset);
    for v in vars.iter_mut() {
        let measure = r.i32("display record")?;
        r.take(4 * (per - 1), "display record")?;
        v.spss.measure = match measure {
            1 => Some("nominal".into()),
            2 => Some("ordinal".into()),
            3 => Some("scale".into()),
            _ => None,
        };
    }
    Ok(())
}

fn apply_long_names(d: &RawDictionary, enc: &'static Encoding, vars: &mut [Variable]) {
    let Some(e) = &d.long_names else { return };
    for (short, long) in pairs(&e.data, enc) {
        if let Some(v) = vars
            .iter_mut()
            .find(|v| v.short_name.eq_ignore_ascii_case(&short))
        {
            v.name = long;
        }
    }
}

/// `key=value` entries separated by tabs (or NULs), each side decoded on its own so a
/// short name cut inside a character decodes as the variable record's name does.
fn pairs(data: &[u8], enc: &'static Encoding) -> Vec<(String, String)> {
    data.split(|b| matches!(b, b'\t' | b'\0'))
        .filter_map(|entry| {
            let eq = entry.iter().position(|&b| b == b'=')?;
            Some((decode(enc, &entry[..eq]), decode(enc, &entry[eq + 1..])))
        })
        .collect()
}

/// A string longer than 255 bytes is stored as ⌈width/252⌉ variables of 255 bytes in a row
/// (the last may be shorter); the following segments merge into the first.
fn apply_very_long_strings(
    d: &RawDictionary,
    enc: &'static Encoding,
    vars: &mut Vec<Variable>,
    c: &Cursor,
) -> Result<(), ImportError> {
    let Some(e) = &d.very_long else { return Ok(()) };
    for (short, width) in pairs(&e.data, enc) {
        let bad = |what: String| {
            c.bad_at(
                e.offset,
                format!("very long string record (7/14), entry {short}={width}: {what}"),
            )
        };
        let width: usize = width
            .trim()
            .parse()
            .ok()
            .filter(|w| (256..=MAX_STRING).contains(w))
            .ok_or_else(|| bad(format!("width is not a number from 256 to {MAX_STRING}")))?;
        let pos = vars
            .iter()
            .position(|v| v.short_name.eq_ignore_ascii_case(short.trim()))
            .ok_or_else(|| bad("no variable has that name".into()))?;
        let segments = width.div_ceil(SEGMENT_TEXT);
        let end = pos + segments;
        if end > vars.len() || vars[pos..end].iter().any(|v| v.width == 0) {
            return Err(bad(format!(
                "it needs {segments} string segment variables from {:?} on, but the dictionary has {}",
                vars[pos].name,
                vars[pos..].iter().take_while(|v| v.width > 0).count()
            )));
        }
        let extra: usize = vars[pos + 1..end].iter().map(|v| v.elements).sum();
        vars[pos].elements += extra;
        vars[pos].segments = segments;
        vars[pos].width = width;
        vars[pos].spss.format = Some(format!("A{width}"));
        vars.drain(pos + 1..end);
    }
    Ok(())
}

/// The variable a 7/21 or 7/22 record names (by long name), else an error.
fn find_named<'v>(
    vars: &'v mut [Variable],
    name: &str,
    r: &Cursor,
    at: usize,
) -> Result<&'v mut Variable, ImportError> {
    vars.iter_mut()
        .find(|v| v.name.eq_ignore_ascii_case(name) && v.width > 0)
        .ok_or_else(|| {
            r.bad_at(
                at,
                format!("a long-string record names {name:?}, which is no string variable"),
            )
        })
}

/// Value labels of strings wider than 8 bytes (7/21): per variable its name, width, and
/// (value, label) pairs with explicit lengths.
fn long_string_labels(
    e: &Extension,
    enc: &'static Encoding,
    vars: &mut [Variable],
    c: &Cursor,
) -> Result<(), ImportError> {
    let mut r = c.sub(&e.data, e.offset);
    while !r.at_end() {
        let at = r.offset();
        let len = r.count("long string value labels: name length", 1)?;
        let name = decode(enc, r.take(len, "long string value labels")?);
        r.i32("long string value labels: width")?;
        let n = r.count("long string value labels: count", 8)?;
        let mut pairs = Vec::with_capacity(n);
        for _ in 0..n {
            let len = r.count("long string value label: value length", 1)?;
            let value = decode(enc, r.take(len, "long string value label")?);
            let len = r.count("long string value label: label length", 1)?;
            pairs.push((value, decode(enc, r.take(len, "long string value label")?)));
        }
        find_named(vars, &name, &r, at)?
            .spss
            .text_labels
            .extend(pairs);
    }
    Ok(())
}

/// Missing values of strings wider than 8 bytes (7/22): name, count (a byte), value
/// length (8), then the values.
fn long_string_missing(
    e: &Extension,
    enc: &'static Encoding,
    vars: &mut [Variable],
    c: &Cursor,
) -> Result<(), ImportError> {
    let mut r = c.sub(&e.data, e.offset);
    while !r.at_end() {
        let at = r.offset();
        let len = r.count("long string missing values: name length", 1)?;
        let name = decode(enc, r.take(len, "long string missing values")?);
        let n = usize::from(r.u8("long string missing values: count")?);
        if n > 3 {
            return Err(r.bad_at(
                at,
                format!("{name:?} declares {n} missing values (at most 3)"),
            ));
        }
        let width = r.count("long string missing values: value length", n.max(1))?;
        let mut texts = Vec::with_capacity(n);
        for _ in 0..n {
            texts.push(decode(enc, r.take(width, "long string missing value")?));
        }
        find_named(vars, &name, &r, at)?.missing.texts.extend(texts);
    }
    Ok(())
}
