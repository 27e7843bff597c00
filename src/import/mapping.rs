//! Raw columns → the tidy frame `score` takes: columns matched to items (explicit mapping,
//! item id, or item text after normalising), answers turned into codes (numbers, or labels
//! through the instrument's value labels), and every decision written to the report.

use super::{Cell, Column, SourceInfo, Table, UserMissing, Values};
use crate::error::ImportError;
use crate::instrument::{Instrument, Scale};
use foldhash::fast::FixedState;
use polars::prelude::*;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::HashMap;

/// How many row numbers a report lists per problem (the counts are always complete).
pub const ROWS_LISTED: usize = 20;
/// Texts at least this similar (0–1, edit distance) but not equal are reported as near misses.
pub const NEAR_MISS: f64 = 0.8;
/// Column names taken as the respondent id when `id` is not given, compared after
/// [`id_key`] ("Respondent-ID", "Respondent ID" and "respondent_id" are all `respondentid`).
/// Earlier names win when a file has several (SurveyMonkey: "Respondent ID" and
/// "Collector ID"; Swedish tools: "Svars-ID" and "Löpnummer").
const ID_NAMES: [&str; 12] = [
    "responseid",
    "respondentid",
    "svarsid",
    "respondent",
    "respondentnummer",
    "respondentnr",
    "svarsnummer",
    "löpnummer",
    "löpnr",
    "lopnummer",
    "lopnr",
    "id",
];

/// Word labels a question number may follow ("Fråga 1:", "Question 1.", "Q1").
const QUESTION_LABELS: [&str; 3] = ["fråga", "question", "q"];

#[derive(Debug, Clone, Default)]
pub struct MapOptions {
    /// Column → item id, applied before matching by id or text.
    pub mapping: Vec<(String, String)>,
    /// Extra answer label → code, for every item.
    pub labels: Vec<(String, i64)>,
    pub id_column: Option<String>,
    pub strict: bool,
    /// Decimal separator of numbers written as text (`b','` for decimal comma).
    pub decimal: u8,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ValueCount {
    pub value: String,
    pub count: usize,
    pub rows: Vec<usize>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NearMiss {
    pub column: String,
    pub item: String,
    pub item_text: String,
    pub similarity: f64,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct ColumnReport {
    pub column: String,
    /// "item", "id", "background" or "unmapped" (a background column resembling an item).
    pub role: String,
    pub item: Option<String>,
    /// "mapping", "id" or "text".
    pub matched_by: Option<String>,
    pub question: Option<String>,
    pub dtype: String,
    pub n_valid: usize,
    pub n_missing: usize,
    pub n_dont_know: usize,
    pub n_not_applicable: usize,
    pub n_user_missing: usize,
    pub n_out_of_range: usize,
    pub n_unknown_label: usize,
    pub n_labels_mapped: usize,
    /// The question number left off before the text matched an item ("1.", "Fråga 1:").
    pub question_number: Option<String>,
    pub out_of_range: Vec<ValueCount>,
    pub unknown_labels: Vec<ValueCount>,
    /// SPSS: the print format ("F8.2", "DATE11", "A20").
    pub format: Option<String>,
    /// SPSS: "nominal", "ordinal" or "scale" (unknown: `None`).
    pub measure: Option<String>,
    /// SPSS value labels, value → label.
    pub value_labels: Vec<(LabelValue, String)>,
    /// What became of the value labels: "enum" (the column is a polars Enum of them),
    /// "kept" (codes kept, labels only here: `labels_note` says why) or "codes" (an item:
    /// the instrument maps its codes).
    pub labels: Option<String>,
    pub labels_note: Option<String>,
    /// SPSS user-missing declaration as SPSS writes it ("9, 90 THRU HI"); such values
    /// become null in every column, counted in `n_user_missing`.
    pub user_missing: Option<String>,
}

/// The value of a value label: a code of a numeric variable or a string variable's text.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum LabelValue {
    Number(f64),
    Text(String),
}

impl std::fmt::Display for LabelValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LabelValue::Number(x) => f.write_str(&super::number_text(*x)),
            LabelValue::Text(t) => write!(f, "{t:?}"),
        }
    }
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct ImportReport {
    pub source: SourceInfo,
    pub instrument: String,
    pub strict: bool,
    pub rows_read: usize,
    pub rows_kept: usize,
    pub empty_rows: Vec<usize>,
    pub n_empty_rows: usize,
    pub id_column: Option<String>,
    /// "given" (`id=`) or "name" (recognised by its name).
    pub id_found_by: Option<String>,
    pub n_duplicate_rows: usize,
    pub duplicate_ids: Vec<ValueCount>,
    pub n_straightliners: usize,
    pub straightliners: Vec<usize>,
    pub columns: Vec<ColumnReport>,
    pub near_misses: Vec<NearMiss>,
}

/// Lower case, punctuation as spaces, single spaces: the form item texts are compared in.
pub fn normalise(text: &str) -> String {
    let spaced: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                ' '
            }
        })
        .collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A question number written before a question's text, split off: `(number as written,
/// text)`. Only clear numberings count, so a text that merely starts with a number stays
/// whole: a bare number (`1`, `1.2`) needs `.`, `)` or `:` and a space after it ("1. ",
/// "1) ", "2.3: "); after a word label ("Fråga 1", "Question 1", "Q1") a space is enough,
/// and `.`, `:`, `)` or a dash may come before it. "1 Mitt arbete" is not split.
pub fn split_question_number(text: &str) -> Option<(&str, &str)> {
    let t = text.trim_start();
    let label = QUESTION_LABELS.iter().find_map(|l| strip_prefix_ci(t, l));
    let number_at = label.map(|rest| rest.trim_start()).unwrap_or(t);
    let digits = leading_number(number_at)?;
    let after = &number_at[digits..];
    let spaced = after.trim_start();
    let labelled_and_spaced = label.is_some() && spaced.len() < after.len();
    let first = spaced.chars().next()?;
    let sep = match first {
        '.' | ')' | ':' => 1,
        '-' | '–' if labelled_and_spaced => first.len_utf8(),
        _ if labelled_and_spaced => 0,
        _ => return None,
    };
    let after_sep = &spaced[sep..];
    let rest = after_sep.trim_start();
    if rest.is_empty() || (sep > 0 && rest.len() == after_sep.len()) {
        return None;
    }
    let number = t[..t.len() - spaced.len() + sep].trim_end();
    Some((number, rest))
}

/// `s` without `prefix` when it starts with it in any case.
fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    (head.to_lowercase() == prefix).then(|| &s[prefix.len()..])
}

/// Byte length of a leading `1`, `12` or `1.2` (up to three digits a part); a dot followed
/// by no digit is not part of it.
fn leading_number(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let run = |from: usize| {
        (from..b.len().min(from + 3))
            .take_while(|&i| b[i].is_ascii_digit())
            .count()
    };
    let mut end = run(0);
    if end == 0 || b.get(end).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    while b.get(end) == Some(&b'.') && run(end + 1) > 0 {
        end += 1 + run(end + 1);
    }
    Some(end)
}

/// 1 − edit distance / longer length, on characters.
pub fn similarity(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 1.0;
    }
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    1.0 - previous[b.len()] as f64 / longest as f64
}

/// The item texts a column can match: id, Swedish and English text, normalised.
fn item_texts(inst: &Instrument) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    for (i, item) in inst.items.iter().enumerate() {
        out.push((i, normalise(&item.text.sv), item.text.sv.clone()));
        if let Some(en) = &item.text.en {
            out.push((i, normalise(en), en.clone()));
        }
    }
    out
}

struct Match {
    item: usize,
    by: &'static str,
    question_number: Option<String>,
}

/// Which column answers which item.
fn match_columns(
    table: &Table,
    inst: &Instrument,
    options: &MapOptions,
    file: &str,
) -> Result<Vec<Option<Match>>, ImportError> {
    let mut matches: Vec<Option<Match>> = table.columns.iter().map(|_| None).collect();
    let mut taken: Vec<Option<usize>> = vec![None; inst.items.len()];
    let claimed = Claimed { table, inst, file };
    let item_index = |id: &str| inst.items.iter().position(|i| i.id == id);
    for (column, item) in &options.mapping {
        let Some(c) = table.columns.iter().position(|col| col.name == *column) else {
            return Err(ImportError::Mapping {
                file: file.into(),
                message: format!(
                    "mapping names column {column:?}, which is not in the export; {}",
                    closest_names(column, table.columns.iter().map(|c| c.name.as_str()))
                ),
            });
        };
        let Some(i) = item_index(item) else {
            return Err(ImportError::Mapping {
                file: file.into(),
                message: format!(
                    "mapping sends column {column:?} to {item:?}, which is not an item of instrument {}; items: {}",
                    inst.id,
                    inst.items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>().join(", ")
                ),
            });
        };
        claim(&mut matches, &mut taken, c, i, "mapping", &claimed)?;
    }
    // Every column named in the mapping is matched by now, so `matches` alone says which
    // columns are still free. A column the user mapped to an item settles that item; any
    // other second column for it is an error (claim).
    for (c, column) in table.columns.iter().enumerate() {
        if matches[c].is_some() {
            continue;
        }
        if let Some(i) = inst
            .items
            .iter()
            .position(|it| it.id.eq_ignore_ascii_case(column.name.trim()))
        {
            if !is_mapping_claim(&matches, taken[i]) {
                claim(&mut matches, &mut taken, c, i, "id", &claimed)?;
            }
        }
    }
    let texts = item_texts(inst);
    for (c, column) in table.columns.iter().enumerate() {
        if matches[c].is_some() {
            continue;
        }
        if let Some((i, number)) = text_match(column, &texts) {
            if !is_mapping_claim(&matches, taken[i]) {
                claim(&mut matches, &mut taken, c, i, "text", &claimed)?;
                if let Some(m) = matches[c].as_mut() {
                    m.question_number = number;
                }
            }
        }
    }
    Ok(matches)
}

/// The item whose text a column's text is, first as written, then without a question
/// number in front (with the number left off).
fn text_match(
    column: &Column,
    texts: &[(usize, String, String)],
) -> Option<(usize, Option<String>)> {
    let find = |candidate: &str| {
        let norm = normalise(candidate);
        texts
            .iter()
            .find(|(_, t, _)| !norm.is_empty() && *t == norm)
            .map(|(i, _, _)| *i)
    };
    if let Some(i) = column.texts.iter().find_map(|t| find(t)) {
        return Some((i, None));
    }
    column.texts.iter().find_map(|t| {
        let (number, rest) = split_question_number(t)?;
        find(rest).map(|i| (i, Some(number.to_string())))
    })
}

/// A column's texts to compare with item texts for near misses: as written and without a
/// question number.
fn comparable_texts(column: &Column) -> impl Iterator<Item = String> + '_ {
    let stripped = column
        .texts
        .iter()
        .filter_map(|t| split_question_number(t).map(|(_, rest)| rest));
    column
        .texts
        .iter()
        .map(String::as_str)
        .chain(stripped)
        .map(normalise)
}

fn is_mapping_claim(matches: &[Option<Match>], column: Option<usize>) -> bool {
    column
        .and_then(|c| matches[c].as_ref())
        .is_some_and(|m| m.by == "mapping")
}

/// What a claim is checked against: the export, the instrument and the file's name.
struct Claimed<'a> {
    table: &'a Table,
    inst: &'a Instrument,
    file: &'a str,
}

/// Gives `column` to `item`, found `by` mapping, id or text; a second column for an item is
/// an error naming both.
fn claim(
    matches: &mut [Option<Match>],
    taken: &mut [Option<usize>],
    column: usize,
    item: usize,
    by: &'static str,
    cx: &Claimed,
) -> Result<(), ImportError> {
    let (table, inst, file) = (cx.table, cx.inst, cx.file);
    if let Some(other) = taken[item] {
        return Err(ImportError::Mapping {
            file: file.into(),
            message: format!(
                "columns {:?} and {:?} both match item {} ({:?}); pass mapping={{column: item}} to say which one answers it",
                table.columns[other].name, table.columns[column].name, inst.items[item].id, inst.items[item].text.sv
            ),
        });
    }
    taken[item] = Some(column);
    matches[column] = Some(Match {
        item,
        by,
        question_number: None,
    });
    Ok(())
}

fn closest_names<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> String {
    let w = normalise(wanted);
    let mut scored: Vec<(f64, &str)> = names.map(|n| (similarity(&w, &normalise(n)), n)).collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let close: Vec<String> = scored
        .iter()
        .take(3)
        .map(|(_, n)| format!("{n:?}"))
        .collect();
    format!("closest columns: {}", close.join(", "))
}

/// Unmatched columns that resemble an item, and unmatched items that resemble a column.
fn near_misses(table: &Table, inst: &Instrument, matches: &[Option<Match>]) -> Vec<NearMiss> {
    let texts = item_texts(inst);
    let mut out = Vec::new();
    for (c, column) in table.columns.iter().enumerate() {
        if matches[c].is_some() {
            continue;
        }
        let mut best: Option<(f64, usize, &str)> = None;
        for t in comparable_texts(column).filter(|t| t.len() >= 8) {
            for (i, norm, original) in &texts {
                let s = similarity(&t, norm);
                if s >= NEAR_MISS && best.is_none_or(|b| s > b.0) {
                    best = Some((s, *i, original));
                }
            }
        }
        if let Some((s, i, original)) = best {
            out.push(NearMiss {
                column: column.name.clone(),
                item: inst.items[i].id.clone(),
                item_text: original.to_string(),
                similarity: (s * 1000.0).round() / 1000.0,
            });
        }
    }
    out
}

/// How many column names an error lists before "… and N more".
const COLUMNS_LISTED: usize = 30;

/// When no column answers any item the header is likely elsewhere (or the wrong file):
/// name the columns that were found and where.
fn no_items_error(table: &Table, inst: &Instrument, source: &SourceInfo) -> ImportError {
    let names: Vec<String> = table
        .columns
        .iter()
        .take(COLUMNS_LISTED)
        .map(|c| format!("{:?}", c.name))
        .collect();
    let more = table.columns.len().saturating_sub(COLUMNS_LISTED);
    let more = if more > 0 {
        format!(" … and {more} more")
    } else {
        String::new()
    };
    let row = source
        .header_row
        .map(|r| format!(" (header row {r})"))
        .unwrap_or_default();
    let header_hint = if source.header_row.is_some() {
        "If the header is on another row, pass header_row= with its 1-based row number; else"
    } else {
        "Is it the right file and instrument? Else"
    };
    ImportError::Mapping {
        file: source.file.clone(),
        message: format!(
            "no column answers any item of instrument {}; the columns found{row} are {}{more}. {header_hint} name the columns by item id or item text, or pass mapping={{\"column\": \"item\"}}",
            inst.id,
            names.join(", ")
        ),
    }
}

fn missing_items_error(
    inst: &Instrument,
    matches: &[Option<Match>],
    near: &[NearMiss],
    file: &str,
) -> Option<ImportError> {
    let missing: Vec<&crate::instrument::Item> = inst
        .items
        .iter()
        .enumerate()
        .filter(|(i, _)| !matches.iter().flatten().any(|m| m.item == *i))
        .map(|(_, it)| it)
        .collect();
    if missing.is_empty() {
        return None;
    }
    let described: Vec<String> = missing
        .iter()
        .map(|it| {
            let hint = near
                .iter()
                .find(|n| n.item == it.id)
                .map(|n| {
                    format!(
                        " — column {:?} is close ({:.0} % similar) but not equal",
                        n.column,
                        n.similarity * 100.0
                    )
                })
                .unwrap_or_default();
            format!("{} ({:?}){hint}", it.id, it.text.sv)
        })
        .collect();
    Some(ImportError::Mapping {
        file: file.into(),
        message: format!(
            "no column answers item(s) of instrument {}: {}. Name the columns by item id or item text, or pass mapping={{\"column\": \"item\"}}",
            inst.id,
            described.join("; ")
        ),
    })
}

/// The cell of an item column, with in-memory frame columns converted once.
enum ItemValues<'a> {
    Text(Cow<'a, super::TextColumn>),
    Numbers(std::borrow::Cow<'a, [Option<f64>]>),
}

impl ItemValues<'_> {
    fn cell(&self, row: usize) -> Cell<'_> {
        match self {
            ItemValues::Text(t) => t.get(row).map(Cell::Text).unwrap_or(Cell::Empty),
            ItemValues::Numbers(v) => v[row].map(Cell::Number).unwrap_or(Cell::Empty),
        }
    }
}

fn item_values(values: &Values) -> Result<ItemValues<'_>, ImportError> {
    Ok(match values {
        Values::Text(t) => ItemValues::Text(Cow::Borrowed(t)),
        Values::Numbers(v) => ItemValues::Numbers(Cow::Borrowed(v)),
        Values::Series(s) if s.dtype().is_primitive_numeric() || s.dtype().is_bool() => {
            let f = s.cast(&DataType::Float64).map_err(polars_error)?;
            ItemValues::Numbers(Cow::Owned(f.f64().map_err(polars_error)?.iter().collect()))
        }
        Values::Series(s) => {
            let t = s.cast(&DataType::String).map_err(polars_error)?;
            let strings: Vec<Option<&str>> = t.str().map_err(polars_error)?.iter().collect();
            ItemValues::Text(Cow::Owned(super::TextColumn::from_strings(&strings)))
        }
    })
}

fn polars_error(e: PolarsError) -> ImportError {
    ImportError::Parse {
        file: "the DataFrame".into(),
        message: e.to_string(),
    }
}

/// What a cell says before the scale is consulted.
enum Parsed<'a> {
    Empty,
    Code(i64, bool),
    NotWhole(&'a str),
    Unknown(&'a str),
}

fn parse_cell<'a>(cell: Cell<'a>, decimal: u8, labels: &HashMap<String, i64>) -> Parsed<'a> {
    match cell {
        Cell::Empty => Parsed::Empty,
        Cell::Number(x) if x.fract() == 0.0 && x.abs() < 1e15 => Parsed::Code(x as i64, false),
        Cell::Number(_) => Parsed::NotWhole(""),
        Cell::Text(raw) => {
            let s = raw.trim();
            if s.is_empty() {
                return Parsed::Empty;
            }
            if let Some(code) = small_code(s) {
                return Parsed::Code(code, false);
            }
            if let Some(x) = parse_number(s, decimal) {
                return if x.fract() == 0.0 && x.abs() < 1e15 {
                    Parsed::Code(x as i64, false)
                } else {
                    Parsed::NotWhole(s)
                };
            }
            match labels.get(&normalise_label(s)) {
                Some(&code) => Parsed::Code(code, true),
                None => Parsed::Unknown(s),
            }
        }
    }
}

/// Answer codes are nearly always one or two digits; read those without a float parse.
fn small_code(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 2 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |acc, d| acc * 10 + i64::from(d - b'0')))
}

pub fn parse_number(s: &str, decimal: u8) -> Option<f64> {
    let first = s.as_bytes().first()?;
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.' | b',')) {
        return None;
    }
    let finite = |x: &f64| x.is_finite();
    let Some(comma) = s
        .bytes()
        .position(|b| b == b',')
        .filter(|_| decimal == b',')
    else {
        return s.parse().ok().filter(finite);
    };
    // The first comma as a point, on the stack (a column of decimals is many cells).
    let mut buffer = [0u8; 64];
    let Some(copy) = buffer.get_mut(..s.len()) else {
        return s.replacen(',', ".", 1).parse().ok().filter(finite);
    };
    copy.copy_from_slice(s.as_bytes());
    copy[comma] = b'.';
    std::str::from_utf8(copy).ok()?.parse().ok().filter(finite)
}

fn normalise_label(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn label_lookup(scale: &Scale, extra: &[(String, i64)]) -> HashMap<String, i64> {
    let mut map = HashMap::new();
    for l in &scale.labels {
        map.insert(normalise_label(&l.sv), l.code);
        if let Some(en) = &l.en {
            map.insert(normalise_label(en), l.code);
        }
    }
    for (label, code) in extra {
        map.insert(normalise_label(label), *code);
    }
    map
}

/// The first [`ROWS_LISTED`] of `rows` as users number them.
fn listed_rows(table: &Table, rows: &[usize]) -> Vec<usize> {
    rows.iter()
        .take(ROWS_LISTED)
        .map(|&r| row_number(table, r))
        .collect()
}

/// The row number users see: the file line, the spreadsheet row, or the case number.
fn row_number(table: &Table, row: usize) -> usize {
    table.row_lines.as_ref().map(|l| l[row]).unwrap_or(row + 1)
}

fn count_value(list: &mut Vec<ValueCount>, value: &str, row: usize) {
    match list.iter_mut().find(|v| v.value == value) {
        Some(v) => {
            v.count += 1;
            if v.rows.len() < ROWS_LISTED {
                v.rows.push(row);
            }
        }
        None => list.push(ValueCount {
            value: value.to_string(),
            count: 1,
            rows: vec![row],
        }),
    }
}

/// Codes of one item column; problems counted in `report`, or an error in strict mode.
fn convert_item(
    values: &ItemValues,
    cx: &ColumnContext,
    scale: &Scale,
    user_missing: &UserMissing,
    labels: &HashMap<String, i64>,
    report: &mut ColumnReport,
) -> Result<ItemColumn, ImportError> {
    let (keep, options, table, file) = (cx.keep, cx.options, cx.table, cx.file);
    let mut codes = ItemColumn::new(keep.len(), &cx.inst.scale);
    let strict_error = |row: usize, problem: String, report: &ColumnReport| ImportError::Strict {
        file: file.into(),
        column: report.column.clone(),
        item: report.item.clone().unwrap_or_default(),
        row,
        problem,
    };
    let text_missing = !user_missing.texts.is_empty();
    if let (ItemValues::Text(t), false) = (values, text_missing) {
        if let Some(cells) = t.codes() {
            let kinds: [CodeKind; 100] =
                std::array::from_fn(|c| kind_of(c as i64, scale, user_missing));
            return convert_codes(cells, &kinds, cx, scale, report, &strict_error);
        }
    }
    for &r in keep {
        let cell = values.cell(r);
        let row = row_number(table, r);
        if text_missing && matches!(cell, Cell::Text(s) if user_missing.contains_text(s)) {
            report.n_user_missing += 1;
            report.n_missing += 1;
            codes.push(None);
            continue;
        }
        let code = match parse_cell(cell, options.decimal, labels) {
            Parsed::Empty => {
                report.n_missing += 1;
                None
            }
            Parsed::Unknown(label) => {
                if options.strict {
                    return Err(strict_error(
                        row,
                        format!("the answer {label:?} is no label of the item's scale"),
                        report,
                    ));
                }
                report.n_unknown_label += 1;
                report.n_missing += 1;
                count_value(&mut report.unknown_labels, label, row);
                None
            }
            Parsed::NotWhole(text) => {
                let shown = match cell {
                    Cell::Number(x) => x.to_string(),
                    _ => text.to_string(),
                };
                out_of_range(report, &shown, row, options.strict, &strict_error, scale)?;
                None
            }
            Parsed::Code(code, from_label) => {
                report.n_labels_mapped += usize::from(from_label);
                classify(
                    code,
                    scale,
                    user_missing,
                    report,
                    row,
                    options.strict,
                    &strict_error,
                )?
            }
        };
        codes.push(code);
    }
    Ok(codes)
}

/// What a code found in an item column is, the same for every cell holding it.
#[derive(Clone, Copy, PartialEq)]
enum CodeKind {
    DontKnow,
    NotApplicable,
    UserMissing,
    Valid,
    OutOfRange,
}

fn kind_of(code: i64, scale: &Scale, user_missing: &UserMissing) -> CodeKind {
    if scale.dont_know.contains(&code) {
        CodeKind::DontKnow
    } else if scale.not_applicable.contains(&code) {
        CodeKind::NotApplicable
    } else if user_missing.contains(code as f64) {
        CodeKind::UserMissing
    } else if (scale.min..=scale.max).contains(&code) {
        CodeKind::Valid
    } else {
        CodeKind::OutOfRange
    }
}

/// Counts `n` cells of a kind other than out of range in the report.
fn tally(kind: CodeKind, n: usize, report: &mut ColumnReport) {
    match kind {
        CodeKind::DontKnow => report.n_dont_know += n,
        CodeKind::NotApplicable => report.n_not_applicable += n,
        CodeKind::UserMissing => {
            report.n_user_missing += n;
            report.n_missing += n;
        }
        CodeKind::Valid => report.n_valid += n,
        CodeKind::OutOfRange => {}
    }
}

/// The code as it goes into the frame: user-missing codes become missing.
fn kept(kind: CodeKind, code: i64) -> Option<i64> {
    (kind != CodeKind::UserMissing).then_some(code)
}

/// [`convert_item`] for a column held as codes 0–99: each code's kind is looked up, not
/// worked out per cell, and counted once at the end; the same codes and report.
fn convert_codes(
    cells: super::text::Codes,
    kinds: &[CodeKind; 100],
    cx: &ColumnContext,
    scale: &Scale,
    report: &mut ColumnReport,
    strict_error: &dyn Fn(usize, String, &ColumnReport) -> ImportError,
) -> Result<ItemColumn, ImportError> {
    let mut seen = [0usize; 100];
    let mut codes = ItemColumn::new(cx.keep.len(), &cx.inst.scale);
    for &r in cx.keep {
        let Some(code) = cells.get(r) else {
            report.n_missing += 1;
            codes.push(None);
            continue;
        };
        let (c, kind) = (usize::from(code), kinds[usize::from(code)]);
        if kind == CodeKind::OutOfRange {
            let row = row_number(cx.table, r);
            out_of_range(
                report,
                &code.to_string(),
                row,
                cx.options.strict,
                strict_error,
                scale,
            )?;
            codes.push(None);
            continue;
        }
        seen[c] += 1;
        codes.push(kept(kind, i64::from(code)));
    }
    for (c, &n) in seen.iter().enumerate() {
        tally(kinds[c], n, report);
    }
    Ok(codes)
}

fn classify(
    code: i64,
    scale: &Scale,
    user_missing: &UserMissing,
    report: &mut ColumnReport,
    row: usize,
    strict: bool,
    strict_error: &dyn Fn(usize, String, &ColumnReport) -> ImportError,
) -> Result<Option<i64>, ImportError> {
    let kind = kind_of(code, scale, user_missing);
    if kind == CodeKind::OutOfRange {
        out_of_range(report, &code.to_string(), row, strict, strict_error, scale)?;
        return Ok(None);
    }
    tally(kind, 1, report);
    Ok(kept(kind, code))
}

fn out_of_range(
    report: &mut ColumnReport,
    value: &str,
    row: usize,
    strict: bool,
    strict_error: &dyn Fn(usize, String, &ColumnReport) -> ImportError,
    scale: &Scale,
) -> Result<(), ImportError> {
    if strict {
        return Err(strict_error(
            row,
            format!(
                "value {value} is outside the scale {}–{} and no declared \"don't know\" / not-applicable code ({})",
                scale.min,
                scale.max,
                scale.special_codes()
            ),
            report,
        ));
    }
    report.n_out_of_range += 1;
    report.n_missing += 1;
    count_value(&mut report.out_of_range, value, row);
    Ok(())
}

/// Rows with no value in any column: excluded, and listed in the report. Columns are
/// checked one at a time and the search stops once every row has a value somewhere.
fn empty_rows(table: &Table) -> Vec<usize> {
    let mut empty = vec![true; table.rows];
    for column in &table.columns {
        match &column.values {
            Values::Text(t) => {
                for (r, e) in empty.iter_mut().enumerate() {
                    *e = *e && t.get(r).is_none_or(|s| s.trim().is_empty());
                }
            }
            Values::Numbers(v) => {
                for (e, x) in empty.iter_mut().zip(v) {
                    *e = *e && x.is_none();
                }
            }
            Values::Series(s) => {
                for (e, null) in empty.iter_mut().zip(s.is_null().iter()) {
                    *e = *e && null.unwrap_or(true);
                }
            }
        }
        if !empty.contains(&true) {
            return Vec::new();
        }
    }
    (0..table.rows).filter(|&r| empty[r]).collect()
}

/// What every column's mapping needs to know about the others.
struct ColumnContext<'a> {
    table: &'a Table,
    inst: &'a Instrument,
    options: &'a MapOptions,
    matches: &'a [Option<Match>],
    near: &'a [NearMiss],
    keep: &'a [usize],
    id_column: Option<usize>,
    file: &'a str,
}

/// One output column, its report row, and (for items) its codes.
type MappedColumn = (Series, ColumnReport, Option<Vec<u16>>);

fn map_column(cx: &ColumnContext, c: usize) -> Result<MappedColumn, ImportError> {
    let column = &cx.table.columns[c];
    let mut report = ColumnReport {
        column: column.name.clone(),
        question: column.label.clone(),
        ..ColumnReport::default()
    };
    let Some(m) = &cx.matches[c] else {
        report.role = if Some(c) == cx.id_column {
            "id"
        } else if cx.near.iter().any(|n| n.column == column.name) {
            "unmapped"
        } else {
            "background"
        }
        .into();
        let series = as_found(
            column,
            cx.keep,
            cx.options.decimal,
            cx.table.rows,
            cx.file,
            &mut report,
        )?;
        return Ok((series, report, None));
    };
    let item = &cx.inst.items[m.item];
    report.role = "item".into();
    report.item = Some(item.id.clone());
    report.matched_by = Some(m.by.into());
    report.question_number = m.question_number.clone();
    if let Some(spss) = &column.spss {
        super::labelled::describe(column, spss, &mut report);
        if !report.value_labels.is_empty() {
            report.labels = Some("codes".into());
        }
    }
    let scale = cx.inst.scale_of(item);
    let labels = label_lookup(scale, &cx.options.labels);
    let values = item_values(&column.values)?;
    let codes = convert_item(
        &values,
        cx,
        scale,
        &column.user_missing,
        &labels,
        &mut report,
    )?;
    let (series, keys) = codes.finish(item.id.as_str().into());
    report.dtype = series.dtype().to_string();
    Ok((series, report, Some(keys)))
}

/// The tidy frame and the import report.
pub fn map_table(
    table: &Table,
    source: SourceInfo,
    inst: &Instrument,
    options: &MapOptions,
) -> Result<(DataFrame, ImportReport), ImportError> {
    let file = source.file.clone();
    let matches = match_columns(table, inst, options, &file)?;
    let near = near_misses(table, inst, &matches);
    if near.is_empty() && matches.iter().all(Option::is_none) {
        return Err(no_items_error(table, inst, &source));
    }
    if let Some(e) = missing_items_error(inst, &matches, &near, &file) {
        return Err(e);
    }
    let empty = empty_rows(table);
    let keep: Vec<usize> = (0..table.rows)
        .filter(|r| empty.binary_search(r).is_err())
        .collect();
    let id_column = find_id_column(table, options, &matches, &file)?;
    let mut report = ImportReport {
        instrument: inst.id.clone(),
        strict: options.strict,
        rows_read: table.rows,
        rows_kept: keep.len(),
        n_empty_rows: empty.len(),
        empty_rows: listed_rows(table, &empty),
        id_column: id_column.map(|c| table.columns[c].name.clone()),
        id_found_by: id_column.map(|_| {
            if options.id_column.is_some() {
                "given"
            } else {
                "name"
            }
            .to_string()
        }),
        near_misses: near.clone(),
        ..ImportReport::default()
    };
    let context = ColumnContext {
        table,
        inst,
        options,
        matches: &matches,
        near: &near,
        keep: &keep,
        id_column,
        file: &file,
    };
    // Columns are independent: spread them over the cores for large files.
    let indices: Vec<usize> = (0..table.columns.len()).collect();
    let threads = crate::parallel::threads_for(table.rows * table.columns.len() / 20);
    let mapped = crate::parallel::map_in_order(&indices, threads, |&c| map_column(&context, c));
    let mut columns: Vec<polars::prelude::Column> = Vec::with_capacity(table.columns.len());
    let mut item_keys: Vec<Vec<u16>> = Vec::new();
    for result in mapped {
        let (series, col_report, codes) = result?;
        item_keys.extend(codes);
        columns.push(series.into());
        report.columns.push(col_report);
    }
    check_clashes(&columns, &file)?;
    flag_respondents(&mut report, table, &keep, id_column, &item_keys);
    report.source = source;
    let frame = DataFrame::new(keep.len(), columns).map_err(polars_error)?;
    Ok((frame, report))
}

/// A column that is not an item, as the source has it (SPSS: typed by its dictionary, see
/// `labelled.rs`): the one conversion `map_table` and `read_columns` share. Sets the report's
/// `dtype`.
fn as_found(
    column: &Column,
    keep: &[usize],
    decimal: u8,
    rows: usize,
    file: &str,
    report: &mut ColumnReport,
) -> Result<Series, ImportError> {
    let series = match &column.spss {
        Some(spss) => super::labelled::background(column, spss, keep, decimal, file, report)?,
        None => background_series(column, keep, decimal, rows)?,
    };
    report.dtype = series.dtype().to_string();
    Ok(series)
}

/// Every column of an export as the source has it, without an instrument (`ly.read_table`,
/// `lyhord inspect`). Every row is kept, so row i of the frame is data row i of the file;
/// empty rows are counted in the report, not left out. Columns have role `column` and their
/// valid and missing counts.
pub fn read_columns(
    table: &Table,
    source: SourceInfo,
    decimal: u8,
) -> Result<(DataFrame, ImportReport), ImportError> {
    let file = source.file.clone();
    let keep: Vec<usize> = (0..table.rows).collect();
    let read = |c: &usize| -> Result<(Series, ColumnReport), ImportError> {
        let column = &table.columns[*c];
        let mut report = ColumnReport {
            column: column.name.clone(),
            question: column.label.clone(),
            role: "column".into(),
            ..ColumnReport::default()
        };
        let series = as_found(column, &keep, decimal, table.rows, &file, &mut report)?;
        report.n_missing = series.null_count();
        report.n_valid = series.len() - report.n_missing;
        Ok((series, report))
    };
    let indices: Vec<usize> = (0..table.columns.len()).collect();
    let threads = crate::parallel::threads_for(table.rows * table.columns.len() / 20);
    let mut columns = Vec::with_capacity(table.columns.len());
    let mut reports = Vec::with_capacity(table.columns.len());
    for result in crate::parallel::map_in_order(&indices, threads, read) {
        let (series, report) = result?;
        columns.push(series.into());
        reports.push(report);
    }
    check_clashes(&columns, &file)?;
    let empty = empty_rows(table);
    let report = ImportReport {
        rows_read: table.rows,
        rows_kept: table.rows,
        n_empty_rows: empty.len(),
        empty_rows: listed_rows(table, &empty),
        columns: reports,
        source,
        ..ImportReport::default()
    };
    let frame = DataFrame::new(table.rows, columns).map_err(polars_error)?;
    Ok((frame, report))
}

fn check_clashes(columns: &[polars::prelude::Column], file: &str) -> Result<(), ImportError> {
    let mut seen = std::collections::HashSet::new();
    for c in columns {
        if !seen.insert(c.name().as_str()) {
            return Err(ImportError::Mapping {
                file: file.into(),
                message: format!(
                    "two columns would be called {:?} (an item id and a column already named so); rename the column or pass mapping= for it",
                    c.name().as_str()
                ),
            });
        }
    }
    Ok(())
}

fn find_id_column(
    table: &Table,
    options: &MapOptions,
    matches: &[Option<Match>],
    file: &str,
) -> Result<Option<usize>, ImportError> {
    if let Some(name) = &options.id_column {
        return match table.columns.iter().position(|c| c.name == *name) {
            Some(c) => Ok(Some(c)),
            None => Err(ImportError::Parameter {
                parameter: "id".into(),
                message: format!(
                    "column {name:?} is not in {file}; {}",
                    closest_names(name, table.columns.iter().map(|c| c.name.as_str()))
                ),
            }),
        };
    }
    let free_with_key = |key: &str| {
        (0..table.columns.len())
            .find(|&c| matches[c].is_none() && id_key(&table.columns[c].name) == key)
    };
    Ok(ID_NAMES.iter().find_map(|key| free_with_key(key)))
}

/// A column name as the id names are compared: lower case, letters and digits only.
fn id_key(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Duplicate respondent ids and straight-lining (the same answer to every item); both are
/// reported, not removed: deciding is the statistician's call.
fn flag_respondents(
    report: &mut ImportReport,
    table: &Table,
    keep: &[usize],
    id_column: Option<usize>,
    item_keys: &[Vec<u16>],
) {
    if let Some(c) = id_column {
        let ids = || {
            keep.iter()
                .filter_map(|&r| id_text(&table.columns[c].values, r).map(|id| (r, id)))
        };
        if !increasing(ids().map(|(_, id)| id)) {
            (report.n_duplicate_rows, report.duplicate_ids) = duplicates(ids(), table, keep.len());
        }
    }
    let Some((first, rest)) = item_keys.split_first().filter(|(_, rest)| !rest.is_empty()) else {
        return;
    };
    // Column by column (each item's keys are contiguous): a row stays a straight-liner
    // while every item has its first item's code, which must be on the scale.
    let mut same: Vec<bool> = first.iter().map(|&k| k != OFF_SCALE).collect();
    for keys in rest {
        for ((s, key), first) in same.iter_mut().zip(keys).zip(first) {
            *s &= key == first;
        }
    }
    for (k, &r) in keep.iter().enumerate() {
        if same[k] {
            report.n_straightliners += 1;
            if report.straightliners.len() < ROWS_LISTED {
                report.straightliners.push(row_number(table, r));
            }
        }
    }
}

/// Ids in strictly increasing order, as text or as whole numbers, are all distinct: an
/// export sorted by its id column (the usual case) is checked without hashing.
fn increasing<'a>(ids: impl Iterator<Item = Cow<'a, str>>) -> bool {
    let (mut as_text, mut as_number) = (true, true);
    let (mut last_text, mut last_number): (Option<Cow<str>>, Option<i64>) = (None, None);
    for id in ids {
        if as_number {
            let number = id.parse::<i64>().ok();
            as_number = number.is_some() && (last_number.is_none() || last_number < number);
            last_number = number;
        }
        as_text = as_text && last_text.as_ref().is_none_or(|last| *last < id);
        if !(as_text || as_number) {
            return false;
        }
        last_text = Some(id);
    }
    true
}

/// Rows whose id an earlier row has, and the first [`ROWS_LISTED`] such ids with their rows.
fn duplicates<'a>(
    ids: impl Iterator<Item = (usize, Cow<'a, str>)>,
    table: &Table,
    rows: usize,
) -> (usize, Vec<ValueCount>) {
    let mut first_row: HashMap<Cow<str>, usize, FixedState> =
        HashMap::with_capacity_and_hasher(rows, FixedState::with_seed(3));
    let mut n_rows = 0;
    let mut listed: Vec<ValueCount> = Vec::new();
    for (r, id) in ids {
        let row = row_number(table, r);
        let Some(&first) = first_row.get(&id) else {
            first_row.insert(id, row);
            continue;
        };
        n_rows += 1;
        let known = listed.iter().any(|d| d.value == id);
        // Only the first ids are listed, so the list stays short however many repeat.
        if known || listed.len() < ROWS_LISTED {
            if !known {
                count_value(&mut listed, &id, first);
            }
            count_value(&mut listed, &id, row);
        }
    }
    (n_rows, listed)
}

fn id_text(values: &Values, row: usize) -> Option<Cow<'_, str>> {
    match values {
        Values::Text(t) => t
            .get(row)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Cow::Borrowed),
        Values::Numbers(v) => v[row].map(|x| Cow::Owned(x.to_string())),
        // Text ids as they are, not in the quotes AnyValue's Display puts around them.
        Values::Series(s) => s
            .get(row)
            .ok()
            .filter(|v| !v.is_null())
            .map(|v| Cow::Owned(v.get_str().map_or_else(|| v.to_string(), str::to_string))),
    }
}

/// Background columns as the source has them; text columns holding only numbers become
/// numbers (integers without leading zeros → Int64, else Float64 with the file's decimal).
fn background_series(
    column: &Column,
    keep: &[usize],
    decimal: u8,
    rows: usize,
) -> Result<Series, ImportError> {
    let name = column.name.as_str().into();
    let all = keep.len() == rows;
    Ok(match &column.values {
        Values::Series(s) if all => s.clone().with_name(name),
        Values::Series(s) => {
            let idx = IdxCa::from_vec("".into(), keep.iter().map(|&r| r as IdxSize).collect());
            s.take(&idx).map_err(polars_error)?.with_name(name)
        }
        Values::Numbers(v) => number_series(name, keep.iter().map(|&r| v[r]).collect()),
        Values::Text(t) => text_series(name, t, keep, decimal),
    })
}

/// The straight-lining key of a code not on the instrument's scale (or missing).
const OFF_SCALE: u16 = u16::MAX;

/// An item's frame column (Int64), built from its values and validity at once (polars'
/// builder goes cell by cell), and per cell its code's place on the instrument's scale
/// (`OFF_SCALE` when off it): two bytes a cell for the straight-lining check. Scales lie
/// within ±10,000 (validated), so every place fits.
struct ItemColumn {
    values: Vec<i64>,
    valid: polars_arrow::bitmap::MutableBitmap,
    keys: Vec<u16>,
    scale: (i64, i64),
}

impl ItemColumn {
    fn new(rows: usize, scale: &Scale) -> Self {
        ItemColumn {
            values: Vec::with_capacity(rows),
            valid: polars_arrow::bitmap::MutableBitmap::with_capacity(rows),
            keys: Vec::with_capacity(rows),
            scale: (scale.min, scale.max),
        }
    }

    fn push(&mut self, code: Option<i64>) {
        self.values.push(code.unwrap_or(0));
        self.valid.push(code.is_some());
        let (min, max) = self.scale;
        let place = code
            .filter(|c| (min..=max).contains(c))
            .and_then(|c| u16::try_from(c - min).ok());
        self.keys.push(place.unwrap_or(OFF_SCALE));
    }

    fn finish(self, name: PlSmallStr) -> (Series, Vec<u16>) {
        let valid = Some(self.valid.into());
        let series = Int64Chunked::from_vec_validity(name, self.values, valid).into_series();
        (series, self.keys)
    }
}

/// A column built from its values and validity at once (polars' builder goes cell by cell),
/// with no per-cell `Option` list on the way: at 16 bytes a cell those lists were the
/// import's largest short-lived buffers (see `bench/RESULTS.md`). `None` as soon as a cell
/// cannot be read.
fn try_primitive<T>(
    name: PlSmallStr,
    cells: impl ExactSizeIterator<Item = Option<Option<T::Native>>>,
) -> Option<Series>
where
    T: PolarsNumericType,
    ChunkedArray<T>: IntoSeries,
{
    let mut values = Vec::with_capacity(cells.len());
    let mut valid = polars_arrow::bitmap::MutableBitmap::with_capacity(cells.len());
    for cell in cells {
        let cell = cell?;
        values.push(cell.unwrap_or_default());
        valid.push(cell.is_some());
    }
    let valid = Some(valid.into());
    Some(ChunkedArray::<T>::from_vec_validity(name, values, valid).into_series())
}

/// An Int64 column of the given cells.
fn int_column(name: PlSmallStr, cells: impl ExactSizeIterator<Item = Option<i64>>) -> Series {
    try_primitive::<Int64Type>(name, cells.map(Some)).unwrap_or_default()
}

/// Whole numbers as Int64, others as Float64.
pub(super) fn number_series(name: PlSmallStr, kept: Vec<Option<f64>>) -> Series {
    if kept
        .iter()
        .flatten()
        .all(|x| x.fract() == 0.0 && x.abs() < 1e15)
    {
        int_column(name, kept.iter().map(|x| x.map(|x| x as i64)))
    } else {
        Series::new(name, kept)
    }
}

pub(super) fn text_series(
    name: PlSmallStr,
    t: &super::TextColumn,
    keep: &[usize],
    decimal: u8,
) -> Series {
    if let Some(codes) = t.codes() {
        if keep.iter().any(|&r| codes.get(r).is_some()) {
            return int_column(name, keep.iter().map(|&r| codes.get(r).map(i64::from)));
        }
    }
    if keep.iter().any(|&r| t.get(r).is_some()) {
        // Each try stops at the first cell it cannot read.
        if let Some(ints) = try_primitive::<Int64Type>(name.clone(), parsed(t, keep, plain_integer))
        {
            return ints;
        }
        let numbers = parsed(t, keep, |s| plain_number(s, decimal));
        if let Some(floats) = try_primitive::<Float64Type>(name.clone(), numbers) {
            return floats;
        }
    }
    StringChunked::from_iter_options(name, keep.iter().map(|&r| t.get(r))).into_series()
}

/// The kept cells read by `parse` (trimmed): `Some(None)` for an empty cell, `None` for one
/// `parse` cannot read.
fn parsed<'a, T>(
    t: &'a super::TextColumn,
    keep: &'a [usize],
    parse: impl Fn(&str) -> Option<T> + 'a,
) -> impl ExactSizeIterator<Item = Option<Option<T>>> + 'a {
    keep.iter().map(move |&r| match t.get(r) {
        None => Some(None),
        Some(s) => parse(s.trim()).map(Some),
    })
}

/// A whole number written plainly: no leading zero (an id such as `0042` stays text), at
/// most 15 digits (exact as a float).
fn plain_integer(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let plain = !digits.is_empty()
        && digits.len() < 16
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits.len() == 1 || !digits.starts_with('0'));
    plain.then(|| s.parse().ok()).flatten()
}

/// A number with at most one separator (`1.234,5` is not read as a number).
fn plain_number(s: &str, decimal: u8) -> Option<f64> {
    let separators = s.bytes().filter(|b| *b == b'.' || *b == b',').count();
    (separators <= 1)
        .then(|| parse_number(s, decimal))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids<'a>(list: &'a [&'static str]) -> impl Iterator<Item = Cow<'static, str>> + 'a {
        list.iter().map(|&s| Cow::Borrowed(s))
    }

    #[test]
    fn ids_sorted_as_text_or_numbers_are_distinct_without_hashing() {
        assert!(increasing(ids(&["EK-001", "EK-002", "EK-010"])));
        assert!(increasing(ids(&["2", "10", "11"])));
        // Equal neighbours, or out of order both ways: left to the hash check.
        assert!(!increasing(ids(&["1", "2", "2"])));
        assert!(!increasing(ids(&["b", "a", "c"])));
        assert!(!increasing(ids(&["2", "10", "1"])));
        // "10" < "2" < "x" as text: increasing, so distinct, though not as numbers.
        assert!(increasing(ids(&["10", "2", "x"])));
    }

    #[test]
    fn parse_number_reads_decimal_commas_without_allocating_the_common_case() {
        assert_eq!(parse_number("3,25", b','), Some(3.25));
        assert_eq!(parse_number("-0,5", b','), Some(-0.5));
        assert_eq!(parse_number("1,5", b'.'), None);
        let long = format!("1,{}", "0".repeat(80));
        assert_eq!(parse_number(&long, b','), Some(1.0));
    }
}
