//! Coded segments in and out: codes from a file (QDA export, spreadsheet) matched to the
//! coding frame with a report of every code and what became of it, and the segments table
//! written as a REFI-QDA project.

use super::frame::{text, SegmentColumns, Segments};
use super::qdpx::{read_qdpx, write_qdpx, ExportCoding, ExportInterview, QdaIgnored, QdaProject};
use super::{Code, CodingFrame};
use crate::error::{Error, InterviewError};
use crate::score::frame::present_columns;
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// What to do with codes the coding frame does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unmatched {
    /// Raise, listing them (the default: scores must not rest on a partial mapping).
    Error,
    /// Leave their codings out; the report lists them as dropped.
    Drop,
    /// Keep them under their own name (for agreement, which needs no frame).
    Keep,
}

crate::choice!(Unmatched, "unmatched", {
    Error => "error",
    Drop => "drop",
    Keep => "keep",
});

/// A code name as written in a file, resolved against the frame.
#[derive(Debug, Clone, PartialEq)]
enum Resolved {
    Code { id: String, by: &'static str },
    Rating { id: String, value: f64 },
    Unmatched,
}

fn normalise(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A frame code by id, else by Swedish or English label (case and spacing ignored).
fn find<'f>(frame: &'f CodingFrame, name: &str) -> Option<(&'f Code, &'static str)> {
    if let Some(c) = frame.code(name.trim()) {
        return Some((c, "id"));
    }
    let key = normalise(name);
    frame.codes.iter().find_map(|c| {
        if normalise(&c.id) == key {
            Some((c, "id"))
        } else if normalise(&c.label) == key
            || c.label_en.as_deref().map(normalise) == Some(key.clone())
        {
            Some((c, "label"))
        } else {
            None
        }
    })
}

fn resolve(frame: &CodingFrame, name: &str, parent: Option<&str>) -> Resolved {
    if let Some((c, by)) = find(frame, name) {
        return Resolved::Code {
            id: c.id.clone(),
            by,
        };
    }
    // A rating recorded as a child code of a rated code ("del_betyg" → "4").
    let rated = parent
        .and_then(|p| find(frame, p))
        .filter(|(c, _)| c.scale.is_some());
    let value = name.trim().replace(',', ".").parse::<f64>();
    match (rated, value) {
        (Some((c, _)), Ok(value)) => Resolved::Rating {
            id: c.id.clone(),
            value,
        },
        _ => Resolved::Unmatched,
    }
}

/// Per distinct (code, parent) in the file: how it resolved and how often it was used.
struct Report {
    rows: BTreeMap<(String, Option<String>), (Resolved, u32)>,
}

impl Report {
    fn new() -> Self {
        Report {
            rows: BTreeMap::new(),
        }
    }

    fn resolve(
        &mut self,
        frame: Option<&CodingFrame>,
        name: &str,
        parent: Option<&str>,
    ) -> Resolved {
        let entry = self
            .rows
            .entry((name.to_string(), parent.map(str::to_string)))
            .or_insert_with(|| {
                let r = match frame {
                    Some(f) => resolve(f, name, parent),
                    None => Resolved::Unmatched,
                };
                (r, 0)
            });
        entry.1 += 1;
        entry.0.clone()
    }

    fn check(
        &self,
        source: &str,
        frame: Option<&CodingFrame>,
        unmatched: Unmatched,
    ) -> Result<(), Error> {
        let (Some(frame), Unmatched::Error) = (frame, unmatched) else {
            return Ok(());
        };
        let missing: Vec<String> = self
            .rows
            .iter()
            .filter(|(_, (r, _))| *r == Resolved::Unmatched)
            .map(|((name, parent), (_, n))| match parent {
                Some(p) => format!("`{name}` under `{p}` ({n}×)"),
                None => format!("`{name}` ({n}×)"),
            })
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(InterviewError::UnmatchedCodes {
            file: source.into(),
            frame: frame.id.clone(),
            codes: missing.join(", "),
        }
        .into())
    }

    fn frame(&self, frame: Option<&CodingFrame>, unmatched: Unmatched) -> Result<DataFrame, Error> {
        let mut source = Vec::new();
        let mut parent = Vec::new();
        let mut code = Vec::new();
        let mut rating = Vec::new();
        let mut count = Vec::new();
        let mut status = Vec::new();
        for ((name, p), (r, n)) in &self.rows {
            source.push(name.clone());
            parent.push(p.clone());
            count.push(*n);
            let (c, v, s) = match r {
                Resolved::Code { id, by } => (Some(id.clone()), None, format!("mapped by {by}")),
                Resolved::Rating { id, value } => (
                    Some(id.clone()),
                    Some(*value),
                    "rating of a rated code".into(),
                ),
                Resolved::Unmatched if frame.is_none() => {
                    (Some(name.clone()), None, "kept (no coding frame)".into())
                }
                Resolved::Unmatched => match unmatched {
                    Unmatched::Keep => (
                        Some(name.clone()),
                        None,
                        "not in the frame: kept as is".into(),
                    ),
                    _ => (None, None, "not in the frame: dropped".into()),
                },
            };
            code.push(c);
            rating.push(v);
            status.push(s);
        }
        Ok(DataFrame::new(
            source.len(),
            vec![
                Column::new("source_code".into(), source),
                Column::new("source_parent".into(), parent),
                Column::new("code".into(), code),
                Column::new("rating".into(), rating),
                Column::new("n_codings".into(), count),
                Column::new("status".into(), status),
            ],
        )?)
    }
}

/// Whether a coding survives and under which code and rating.
fn outcome(
    r: Resolved,
    name: &str,
    unmatched: Unmatched,
    has_frame: bool,
) -> Option<(String, Option<f64>)> {
    match r {
        Resolved::Code { id, .. } => Some((id, None)),
        Resolved::Rating { id, value } => Some((id, Some(value))),
        Resolved::Unmatched if !has_frame || unmatched == Unmatched::Keep => {
            Some((name.into(), None))
        }
        Resolved::Unmatched => None,
    }
}

/// A `.qdpx` project as a segments table (interview, its variables, segment, start, end,
/// coder, code, rating) and the code report.
pub fn qdpx_frame(
    path: &Path,
    frame: Option<&CodingFrame>,
    unmatched: Unmatched,
) -> Result<(DataFrame, DataFrame), Error> {
    let project = read_qdpx(path)?;
    let mut report = Report::new();
    let mut kept = Vec::new();
    for c in &project.codings {
        let r = report.resolve(frame, &c.code, c.parent.as_deref());
        if let Some((code, rating)) = outcome(r, &c.code, unmatched, frame.is_some()) {
            kept.push((c, code, rating));
        }
    }
    report.check(&path.display().to_string(), frame, unmatched)?;
    let codes = report
        .frame(frame, unmatched)?
        .vstack(&ignored_rows(&project.ignored)?)?;
    Ok((segments_table(&project, &kept)?, codes))
}

/// What the project holds but the segments do not (sets, sources of other kinds, notes,
/// …), as rows of the code report: named in `source_code`, no `code`, the codings left
/// out in `n_codings`, and a `status` starting "ignored:" that says what and why.
fn ignored_rows(ignored: &[QdaIgnored]) -> Result<DataFrame, Error> {
    let none_text = vec![None::<String>; ignored.len()];
    Ok(DataFrame::new(
        ignored.len(),
        vec![
            Column::new(
                "source_code".into(),
                ignored.iter().map(|i| i.name.clone()).collect::<Vec<_>>(),
            ),
            Column::new("source_parent".into(), none_text.clone()),
            Column::new("code".into(), none_text),
            Column::new("rating".into(), vec![None::<f64>; ignored.len()]),
            Column::new(
                "n_codings".into(),
                ignored.iter().map(|i| i.codings).collect::<Vec<_>>(),
            ),
            Column::new(
                "status".into(),
                ignored
                    .iter()
                    .map(|i| format!("ignored: {}", i.reason))
                    .collect::<Vec<_>>(),
            ),
        ],
    )?)
}

type Kept<'p> = (&'p super::qdpx::QdaCoding, String, Option<f64>);

fn segments_table(project: &QdaProject, kept: &[Kept]) -> Result<DataFrame, Error> {
    let mut columns = vec![Column::new(
        "interview".into(),
        kept.iter()
            .map(|k| k.0.interview.clone())
            .collect::<Vec<_>>(),
    )];
    for name in &project.variable_names {
        let values: Vec<Option<String>> = kept
            .iter()
            .map(|k| {
                project
                    .variables
                    .get(&k.0.interview)
                    .and_then(|v| v.get(name))
                    .cloned()
            })
            .collect();
        columns.push(Column::new(name.into(), values));
    }
    columns.extend([
        Column::new(
            "segment".into(),
            kept.iter().map(|k| k.0.segment).collect::<Vec<_>>(),
        ),
        Column::new(
            "start".into(),
            kept.iter().map(|k| k.0.start).collect::<Vec<_>>(),
        ),
        Column::new(
            "end".into(),
            kept.iter().map(|k| k.0.end).collect::<Vec<_>>(),
        ),
        Column::new(
            "coder".into(),
            kept.iter().map(|k| k.0.coder.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "code".into(),
            kept.iter().map(|k| k.1.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "rating".into(),
            kept.iter().map(|k| k.2).collect::<Vec<_>>(),
        ),
    ]);
    Ok(DataFrame::new(kept.len(), columns)?)
}

/// A segments table read from a spreadsheet: its code column matched to the frame by id or
/// label. Returns a new table (the input is not modified) and the code report.
pub fn map_code_column(
    df: &DataFrame,
    code_column: &str,
    frame: &CodingFrame,
    unmatched: Unmatched,
    source: &str,
) -> Result<(DataFrame, DataFrame), Error> {
    let codes = text(df, code_column, "code")?;
    let mut report = Report::new();
    let mut keep = Vec::with_capacity(codes.len());
    let mut mapped = Vec::with_capacity(codes.len());
    for (row, name) in codes.iter().enumerate() {
        let name = name.as_deref().ok_or_else(|| InterviewError::Segment {
            column: code_column.into(),
            row,
            message: "is empty; every coded segment needs a code".into(),
        })?;
        let r = report.resolve(Some(frame), name, None);
        let out = outcome(r, name, unmatched, true);
        keep.push(out.is_some());
        mapped.push(out.map(|o| o.0));
    }
    report.check(source, Some(frame), unmatched)?;
    let mut out = df.clone();
    out.replace(code_column, Column::new(code_column.into(), mapped))?;
    let mask = BooleanChunked::from_slice("keep".into(), &keep);
    Ok((out.filter(&mask)?, report.frame(Some(frame), unmatched)?))
}

/// Writes the segments table as a REFI-QDA project; `cols.by` become case variables.
pub fn write_qdpx_frame(
    df: &DataFrame,
    cols: &SegmentColumns,
    segment: &str,
    frame: &CodingFrame,
    path: &Path,
    name: &str,
) -> Result<(), Error> {
    let s = Segments::read(df, cols, frame)?;
    let numbers = segment_numbers(df, segment)?;
    let mut interviews: BTreeMap<&str, ExportInterview> = BTreeMap::new();
    for (row, &number) in numbers.iter().enumerate() {
        let entry = match interviews.entry(&s.interview[row]) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                let variables = cols.by.iter().cloned().zip(s.background(row)?).collect();
                e.insert(ExportInterview {
                    name: s.interview[row].clone(),
                    variables,
                    codings: Vec::new(),
                })
            }
        };
        entry.codings.push(ExportCoding {
            segment: number,
            coder: if cols.coder.is_some() {
                s.coder[row].clone()
            } else {
                "coder".into()
            },
            code: s.code[row].id.clone(),
            rating: s.rating[row].filter(|_| s.code[row].scale.is_some()),
        });
    }
    let interviews: Vec<ExportInterview> = interviews.into_values().collect();
    Ok(write_qdpx(path, name, frame, &cols.by, &interviews)?)
}

fn segment_numbers(df: &DataFrame, name: &str) -> Result<Vec<u32>, Error> {
    let col = df.column(name).map_err(|_| InterviewError::MissingColumn {
        role: "segment".into(),
        column: name.into(),
        present: present_columns(df),
    })?;
    let values = col.cast(&DataType::Int64)?;
    values
        .i64()?
        .iter()
        .enumerate()
        .map(|(row, v)| match v {
            Some(v) if (1..=u32::MAX as i64).contains(&v) => Ok(v as u32),
            _ => Err(InterviewError::Segment {
                column: name.into(),
                row,
                message: "must be a whole number from 1 (the segment's position in its interview)"
                    .into(),
            }
            .into()),
        })
        .collect()
}
