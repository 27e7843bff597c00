//! SPSS background columns (not items) as the dictionary describes them: user-missing
//! values to null (counted), dates, times and datetimes to polars temporal types, and value
//! labels to a polars `Enum` when every value has one. Item columns keep their codes: the
//! instrument, not the file's labels, says what a code means (`mapping.rs`).

use super::mapping::{number_series, text_series, ColumnReport, LabelValue};
use super::{number_text, Column, SpssVariable, Temporal, TextColumn, Values};
use crate::error::ImportError;
use polars::prelude::*;

/// How many unlabelled values the report names when labels are kept beside the codes.
const UNLABELLED_LISTED: usize = 5;

/// The column's series, its SPSS metadata written to `report`.
pub(super) fn background(
    column: &Column,
    spss: &SpssVariable,
    keep: &[usize],
    decimal: u8,
    file: &str,
    report: &mut ColumnReport,
) -> Result<Series, ImportError> {
    describe(column, spss, report);
    let name: PlSmallStr = column.name.as_str().into();
    match &column.values {
        Values::Numbers(v) => {
            let kept: Vec<Option<f64>> = keep
                .iter()
                .map(|&r| v[r].filter(|&x| !column.user_missing.contains(x)))
                .collect();
            report.n_user_missing =
                count_nulls(&kept) - keep.iter().filter(|&&r| v[r].is_none()).count();
            numbers(name, kept, column, spss, file, report)
        }
        // Nothing to apply: the text path of every other source, without a copy.
        Values::Text(t) if column.user_missing.is_empty() && spss.text_labels.is_empty() => {
            Ok(text_series(name, t, keep, decimal))
        }
        Values::Text(t) => {
            let missing = |s: &str| column.user_missing.contains_text(s);
            let cells: Vec<Option<&str>> = keep
                .iter()
                .map(|&r| t.get(r).filter(|s| !missing(s)))
                .collect();
            report.n_user_missing = keep
                .iter()
                .filter(|&&r| t.get(r).is_some_and(missing))
                .count();
            texts(name, &cells, column, spss, decimal, report)
        }
        Values::Series(s) => Ok(s.clone().with_name(name)),
    }
}

/// Format, measure, value labels and the missing declaration, as the report shows them.
pub(super) fn describe(column: &Column, spss: &SpssVariable, report: &mut ColumnReport) {
    report.format = spss.format.clone();
    report.measure = spss.measure.clone();
    report.value_labels = column
        .value_labels
        .iter()
        .map(|(x, l)| (LabelValue::Number(*x), l.clone()))
        .chain(
            spss.text_labels
                .iter()
                .map(|(v, l)| (LabelValue::Text(v.clone()), l.clone())),
        )
        .collect();
    let declared = column.user_missing.describe();
    report.user_missing = (!declared.is_empty()).then_some(declared);
}

fn count_nulls(v: &[Option<f64>]) -> usize {
    v.iter().filter(|x| x.is_none()).count()
}

fn numbers(
    name: PlSmallStr,
    kept: Vec<Option<f64>>,
    column: &Column,
    spss: &SpssVariable,
    file: &str,
    report: &mut ColumnReport,
) -> Result<Series, ImportError> {
    if let Some(kind) = spss.temporal {
        return temporal(name, &kept, kind, column, file);
    }
    if column.value_labels.is_empty() {
        return Ok(number_series(name, kept));
    }
    // Labels of codes declared missing name no category of the answers left.
    let labels: Vec<(f64, &str)> = sorted_labels(
        column
            .value_labels
            .iter()
            .filter(|(x, _)| !column.user_missing.contains(*x))
            .map(|(x, l)| (*x, l.as_str())),
    );
    let find = |x: f64| {
        labels
            .binary_search_by(|(c, _)| c.total_cmp(&x))
            .ok()
            .map(|i| labels[i].1)
    };
    let unlabelled = unlabelled(
        kept.iter()
            .flatten()
            .copied()
            .filter(|&x| find(x).is_none())
            .map(number_text),
    );
    let cells: Vec<Option<&str>> = kept.iter().map(|x| x.and_then(find)).collect();
    let categories = labels.iter().map(|(_, l)| *l);
    let codes = || number_series(name.clone(), kept);
    enum_or_codes(name.clone(), &cells, categories, unlabelled, report, codes)
}

fn sorted_labels<'a>(labels: impl Iterator<Item = (f64, &'a str)>) -> Vec<(f64, &'a str)> {
    let mut out: Vec<(f64, &str)> = labels.collect();
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    // A code labelled twice (two records): the later label wins, as in SPSS.
    out.dedup_by(|later, earlier| {
        let same = later.0 == earlier.0;
        if same {
            earlier.1 = later.1;
        }
        same
    });
    out
}

/// The distinct values without a label, the first few named, or `None` when all have one.
fn unlabelled(values: impl Iterator<Item = String>) -> Option<String> {
    let mut seen: Vec<String> = Vec::new();
    let mut more = 0usize;
    for v in values {
        if seen.contains(&v) {
            continue;
        }
        if seen.len() < UNLABELLED_LISTED {
            seen.push(v);
        } else {
            more += 1;
        }
    }
    if seen.is_empty() {
        return None;
    }
    let more = if more > 0 { " and more" } else { "" };
    Some(format!("value(s) {}{more} have no label", seen.join(", ")))
}

/// The labelled column as an `Enum` when it can be one, else its codes (`codes()`), with
/// the choice and its reason in the report: the one decision for numbers and texts.
fn enum_or_codes<'a>(
    name: PlSmallStr,
    labelled: &[Option<&str>],
    categories: impl Iterator<Item = &'a str> + Clone,
    unlabelled: Option<String>,
    report: &mut ColumnReport,
    codes: impl FnOnce() -> Series,
) -> Result<Series, ImportError> {
    match to_enum(name, labelled, categories, unlabelled)? {
        Ok(series) => {
            report.labels = Some("enum".into());
            Ok(series)
        }
        Err(note) => {
            report.labels = Some("kept".into());
            report.labels_note = Some(note);
            Ok(codes())
        }
    }
}

/// An `Enum` of `categories` (in code order) from the labels of the cells; `Ok(Err(note))`
/// when labels stay beside the codes instead: some value has none, or two codes share one
/// (an Enum would merge them).
fn to_enum<'a>(
    name: PlSmallStr,
    cells: &[Option<&str>],
    categories: impl Iterator<Item = &'a str> + Clone,
    unlabelled: Option<String>,
) -> Result<Result<Series, String>, ImportError> {
    if let Some(note) = unlabelled {
        return Ok(Err(format!(
            "{note}, so the codes are kept (labels in the report)"
        )));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(dup) = categories.clone().find(|l| !seen.insert(*l)) {
        return Ok(Err(format!(
            "two codes share the label {dup:?}, so the codes are kept (labels in the report)"
        )));
    }
    let dtype = FrozenCategories::new(categories)
        .map(DataType::from_frozen_categories)
        .map_err(polars_error)?;
    let series = Series::new(name, cells)
        .cast(&dtype)
        .map_err(polars_error)?;
    Ok(Ok(series))
}

fn texts(
    name: PlSmallStr,
    cells: &[Option<&str>],
    column: &Column,
    spss: &SpssVariable,
    decimal: u8,
    report: &mut ColumnReport,
) -> Result<Series, ImportError> {
    let plain = || {
        let column = TextColumn::from_strings(cells);
        let all: Vec<usize> = (0..cells.len()).collect();
        text_series(name.clone(), &column, &all, decimal)
    };
    if spss.text_labels.is_empty() {
        return Ok(plain());
    }
    let mut labels: Vec<(&str, &str)> = Vec::new();
    // A value labelled twice: the later label wins, as in SPSS. Labels of values declared
    // missing name no category of the answers left.
    for (v, l) in spss.text_labels.iter().rev() {
        if !labels.iter().any(|(seen, _)| seen == v) && !column.user_missing.contains_text(v) {
            labels.push((v, l));
        }
    }
    labels.sort_unstable();
    let find = |s: &str| {
        let s = s.trim_end();
        labels
            .binary_search_by(|(v, _)| (*v).cmp(s))
            .ok()
            .map(|i| labels[i].1)
    };
    let unlabelled = unlabelled(
        cells
            .iter()
            .flatten()
            .filter(|s| find(s).is_none())
            .map(|s| format!("{s:?}")),
    );
    let labelled: Vec<Option<&str>> = cells.iter().map(|c| c.and_then(find)).collect();
    let categories = labels.iter().map(|(_, l)| *l);
    enum_or_codes(
        name.clone(),
        &labelled,
        categories,
        unlabelled,
        report,
        plain,
    )
}

/// Seconds since 1582-10-14 as polars Date (days), Datetime or Duration (microseconds).
fn temporal(
    name: PlSmallStr,
    kept: &[Option<f64>],
    kind: Temporal,
    column: &Column,
    file: &str,
) -> Result<Series, ImportError> {
    let epoch = super::sav::EPOCH_TO_UNIX;
    let (scaled, dtype): (Vec<Option<f64>>, DataType) = match kind {
        Temporal::Date => (
            kept.iter()
                .map(|x| x.map(|s| ((s - epoch) / 86_400.0).floor()))
                .collect(),
            DataType::Date,
        ),
        Temporal::Datetime => (
            kept.iter()
                .map(|x| x.map(|s| ((s - epoch) * 1e6).round()))
                .collect(),
            DataType::Datetime(TimeUnit::Microseconds, None),
        ),
        Temporal::Duration => (
            kept.iter().map(|x| x.map(|s| (s * 1e6).round())).collect(),
            DataType::Duration(TimeUnit::Microseconds),
        ),
    };
    // Days must fit an i32 and microseconds an i64 (±292,000 years).
    let limit = match kind {
        Temporal::Date => f64::from(i32::MAX),
        _ => 9.2e18,
    };
    if let Some(row) = scaled
        .iter()
        .position(|x| x.is_some_and(|x| !x.is_finite() || x.abs() > limit))
    {
        return Err(ImportError::Parse {
            file: file.into(),
            message: format!(
                "column {:?} ({}), kept row {}: {} is no {} polars can hold",
                column.name,
                column
                    .spss
                    .as_ref()
                    .and_then(|s| s.format.as_deref())
                    .unwrap_or("date format"),
                row + 1,
                kept[row].map(number_text).unwrap_or_default(),
                match kind {
                    Temporal::Date => "date",
                    Temporal::Datetime => "date and time",
                    Temporal::Duration => "time",
                }
            ),
        });
    }
    let ints: Vec<Option<i64>> = scaled.iter().map(|x| x.map(|x| x as i64)).collect();
    let physical = match kind {
        Temporal::Date => Series::new(name, ints).cast(&DataType::Int32),
        _ => Ok(Series::new(name, ints)),
    };
    physical.and_then(|s| s.cast(&dtype)).map_err(polars_error)
}

fn polars_error(e: PolarsError) -> ImportError {
    ImportError::Parse {
        file: "the SPSS column".into(),
        message: e.to_string(),
    }
}
