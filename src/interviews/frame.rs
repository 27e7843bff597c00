//! The polars edge of interview scoring: coded segments in (one row per coder × segment ×
//! code), scores per interview or per unit, code counts and co-occurrence out.

use super::score::{balance_score, check_parameters, Evidence};
use super::{Code, CodingFrame, Valence};
use crate::error::{Error, InterviewError};
use crate::publish::publication::{protect_counts, Thresholds};
use crate::score::frame::present_columns;
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// Column names of a coded-segments table.
#[derive(Debug, Clone)]
pub struct SegmentColumns {
    pub interview: String,
    pub code: String,
    /// `None`: one coder coded everything.
    pub coder: Option<String>,
    /// Needed when the frame has rated codes.
    pub rating: Option<String>,
    /// Background of the interview (unit, role, …), constant within an interview.
    pub by: Vec<String>,
}

pub struct ScoreOptions {
    pub prior: f64,
    pub confidence: f64,
    /// Units with fewer interviews get no published score (an interview is one person).
    pub min_interviews: usize,
}

pub(super) fn text(df: &DataFrame, name: &str, role: &str) -> Result<Vec<Option<String>>, Error> {
    let col = df.column(name).map_err(|_| InterviewError::MissingColumn {
        role: role.into(),
        column: name.into(),
        present: present_columns(df),
    })?;
    let col = col.cast(&DataType::String)?;
    Ok(col.str()?.iter().map(|v| v.map(str::to_string)).collect())
}

fn required(values: Vec<Option<String>>, column: &str) -> Result<Vec<String>, Error> {
    values
        .into_iter()
        .enumerate()
        .map(|(row, v)| {
            v.ok_or_else(|| {
                InterviewError::Segment {
                    column: column.into(),
                    row,
                    message: "is empty; every coded segment needs a value here".into(),
                }
                .into()
            })
        })
        .collect()
}

/// The segments table read into plain rows, each code checked against the frame.
pub(super) struct Segments<'f> {
    pub(super) interview: Vec<String>,
    pub(super) coder: Vec<String>,
    pub(super) code: Vec<&'f Code>,
    pub(super) rating: Vec<Option<f64>>,
    /// Per row, the values of the `by` columns.
    pub(super) background: Vec<Vec<String>>,
}

impl<'f> Segments<'f> {
    pub(super) fn read(
        df: &DataFrame,
        cols: &SegmentColumns,
        frame: &'f CodingFrame,
    ) -> Result<Self, Error> {
        let interview = required(text(df, &cols.interview, "interview")?, &cols.interview)?;
        let coder = match &cols.coder {
            Some(c) => required(text(df, c, "coder")?, c)?,
            None => vec![String::new(); df.height()],
        };
        let code = required(text(df, &cols.code, "code")?, &cols.code)?
            .iter()
            .enumerate()
            .map(|(row, id)| known_code(frame, &cols.code, row, id))
            .collect::<Result<Vec<_>, Error>>()?;
        let rating = ratings(df, cols, &code)?;
        let by: Vec<Vec<String>> = cols
            .by
            .iter()
            .map(|b| {
                Ok(text(df, b, "by")?
                    .into_iter()
                    .map(Option::unwrap_or_default)
                    .collect())
            })
            .collect::<Result<_, Error>>()?;
        let background = (0..df.height())
            .map(|r| by.iter().map(|c| c[r].clone()).collect())
            .collect();
        let segments = Segments {
            interview,
            coder,
            code,
            rating,
            background,
        };
        segments.check_background(cols)?;
        Ok(segments)
    }

    /// An interview belongs to one unit (role, …): two values would split it silently.
    fn check_background(&self, cols: &SegmentColumns) -> Result<(), Error> {
        let mut first: BTreeMap<&str, usize> = BTreeMap::new();
        for (row, id) in self.interview.iter().enumerate() {
            let f = *first.entry(id).or_insert(row);
            if let Some(k) =
                (0..cols.by.len()).find(|&k| self.background[f][k] != self.background[row][k])
            {
                return Err(InterviewError::Segment {
                    column: cols.by[k].clone(),
                    row,
                    message: format!(
                        "interview `{id}` has `{}` here but `{}` in row {f}; an interview belongs to one group",
                        self.background[row][k], self.background[f][k]
                    ),
                }
                .into());
            }
        }
        Ok(())
    }

    /// Coders per interview.
    fn coders(&self) -> BTreeMap<&str, BTreeSet<&str>> {
        let mut out: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for (i, c) in self.interview.iter().zip(&self.coder) {
            out.entry(i).or_default().insert(c);
        }
        out
    }
}

fn known_code<'f>(
    frame: &'f CodingFrame,
    column: &str,
    row: usize,
    id: &str,
) -> Result<&'f Code, Error> {
    frame.code(id).ok_or_else(|| {
        let known: Vec<&str> = frame.codes.iter().map(|c| c.id.as_str()).collect();
        InterviewError::Segment {
            column: column.into(),
            row,
            message: format!(
                "code `{id}` is not in coding frame {} (codes: {}); add it to the frame or correct the code",
                frame.id,
                known.join(", ")
            ),
        }
        .into()
    })
}

/// Ratings of rated codes, checked against each code's scale.
fn ratings(
    df: &DataFrame,
    cols: &SegmentColumns,
    codes: &[&Code],
) -> Result<Vec<Option<f64>>, Error> {
    let any_rated = codes.iter().any(|c| c.scale.is_some());
    let values: Vec<Option<f64>> = match &cols.rating {
        Some(name) => {
            let col = df.column(name).map_err(|_| InterviewError::MissingColumn {
                role: "rating".into(),
                column: name.clone(),
                present: present_columns(df),
            })?;
            col.cast(&DataType::Float64)?.f64()?.iter().collect()
        }
        None if any_rated => {
            return Err(InterviewError::Parameter {
                parameter: "rating".into(),
                message: "the segments use rated codes, so name the column that holds the ratings"
                    .into(),
            }
            .into())
        }
        None => vec![None; codes.len()],
    };
    let column = cols.rating.clone().unwrap_or_default();
    for (row, (code, value)) in codes.iter().zip(&values).enumerate() {
        let Some(scale) = code.scale else { continue };
        let bad = |message: String| -> Error {
            InterviewError::Segment {
                column: column.clone(),
                row,
                message,
            }
            .into()
        };
        match value {
            None => return Err(bad(format!("rated code `{}` has no rating", code.id))),
            Some(v) if !(scale.min..=scale.max).contains(v) => {
                return Err(bad(format!(
                    "rating {v} of code `{}` is outside its scale {}–{}",
                    code.id, scale.min, scale.max
                )))
            }
            _ => {}
        }
    }
    Ok(values)
}

/// What one coding says about its code's dimension.
fn evidence_of(code: &Code, rating: Option<f64>) -> Evidence {
    if let (Some(s), Some(r)) = (code.scale, rating) {
        // A rating at the top of the scale counts as one positive segment, at the bottom as
        // one negative, in between as a share of each.
        let p = (r - s.min) / (s.max - s.min);
        return Evidence {
            positive: p,
            negative: 1.0 - p,
            neutral: 0.0,
        };
    }
    match code.valence {
        Some(Valence::Positive) => Evidence {
            positive: 1.0,
            ..Default::default()
        },
        Some(Valence::Negative) => Evidence {
            negative: 1.0,
            ..Default::default()
        },
        _ => Evidence {
            neutral: 1.0,
            ..Default::default()
        },
    }
}

/// Evidence per interview and dimension (`None` = codes outside the index), each coding
/// weighted 1 / (coders of its interview) so a double-coded interview counts once.
type PerInterview = BTreeMap<String, BTreeMap<Option<String>, Evidence>>;

fn per_interview(s: &Segments) -> PerInterview {
    let coders = s.coders();
    let mut out = PerInterview::new();
    for row in 0..s.interview.len() {
        let id = &s.interview[row];
        let share = 1.0 / coders[id.as_str()].len() as f64;
        let code = s.code[row];
        out.entry(id.clone())
            .or_default()
            .entry(code.dimension.clone())
            .or_default()
            .add(&evidence_of(code, s.rating[row]).scale(share));
    }
    out
}

/// Output columns, one entry per row.
#[derive(Default)]
struct ScoreTable {
    keys: Vec<Vec<String>>,
    dimension: Vec<Option<String>>,
    score: Vec<Option<f64>>,
    ci_low: Vec<Option<f64>>,
    ci_high: Vec<Option<f64>>,
    positive: Vec<Option<f64>>,
    negative: Vec<Option<f64>>,
    neutral: Vec<Option<f64>>,
    n_interviews: Vec<Option<u64>>,
    n_coders: Vec<Option<u64>>,
    suppressed: Vec<bool>,
    note: Vec<Option<String>>,
}

struct Row<'a> {
    keys: Vec<String>,
    dimension: &'a Option<String>,
    evidence: Evidence,
    n_interviews: usize,
    n_coders: usize,
    /// Blanked by the publication layer: bare, no reason and no counts.
    suppressed: bool,
}

impl ScoreTable {
    fn push(&mut self, row: Row, opts: &ScoreOptions) {
        let blank = row.suppressed;
        let b = balance_score(&row.evidence, opts.prior, opts.confidence);
        let note = match (blank, &b.score, row.dimension) {
            (true, _, _) => None,
            (false, _, None) => {
                Some("codes outside the EPL dimensions: counted, not scored".into())
            }
            (false, Err(why), _) => Some(why.clone()),
            _ => None,
        };
        let shown = |v: f64| (!blank).then_some(v);
        let scored = !blank && row.dimension.is_some();
        self.keys.push(row.keys);
        self.dimension.push(row.dimension.clone());
        self.score.push(b.score.ok().filter(|_| scored));
        self.ci_low.push(b.interval.map(|i| i.0).filter(|_| scored));
        self.ci_high
            .push(b.interval.map(|i| i.1).filter(|_| scored));
        self.positive.push(shown(row.evidence.positive));
        self.negative.push(shown(row.evidence.negative));
        self.neutral.push(shown(row.evidence.neutral));
        self.n_interviews
            .push(shown(row.n_interviews as f64).map(|n| n as u64));
        self.n_coders
            .push(shown(row.n_coders as f64).map(|n| n as u64));
        self.suppressed.push(blank);
        self.note.push(note);
    }

    fn finish(self, key_names: &[String]) -> Result<DataFrame, Error> {
        let height = self.dimension.len();
        let mut cols: Vec<Column> = key_names
            .iter()
            .enumerate()
            .map(|(k, name)| {
                let v: Vec<&str> = self.keys.iter().map(|r| r[k].as_str()).collect();
                Column::new(name.as_str().into(), v)
            })
            .collect();
        let f = |name: &str, v: Vec<Option<f64>>| Column::new(name.into(), v);
        cols.extend([
            Column::new("dimension".into(), self.dimension),
            f("score", self.score),
            f("ci_low", self.ci_low),
            f("ci_high", self.ci_high),
            f("positive", self.positive),
            f("negative", self.negative),
            f("neutral", self.neutral),
            Column::new("n_interviews".into(), self.n_interviews),
            Column::new("n_coders".into(), self.n_coders),
            Column::new("suppressed".into(), self.suppressed),
            Column::new("note".into(), self.note),
        ]);
        Ok(DataFrame::new(height, cols)?)
    }
}

/// The dimensions to report: the frame's, plus `None` when codes outside them were used.
fn dimensions(frame: &CodingFrame, used_outside: bool) -> Vec<Option<String>> {
    let mut d: Vec<Option<String>> = frame.dimensions.iter().cloned().map(Some).collect();
    if used_outside {
        d.push(None);
    }
    d
}

/// Scores per interview (`per_unit = false`: key columns `by` + interview) or per group
/// of `by` (interviews pooled, units with fewer than `min_interviews` blanked).
pub fn score_interviews_frame(
    df: &DataFrame,
    frame: &CodingFrame,
    cols: &SegmentColumns,
    opts: &ScoreOptions,
    per_unit: bool,
) -> Result<DataFrame, Error> {
    check_parameters(opts.prior, opts.confidence)?;
    let s = Segments::read(df, cols, frame)?;
    let evidence = per_interview(&s);
    let coders = s.coders();
    let background: BTreeMap<&str, &Vec<String>> = s
        .interview
        .iter()
        .zip(&s.background)
        .map(|(i, b)| (i.as_str(), b))
        .collect();
    let outside = s.code.iter().any(|c| c.dimension.is_none());
    let dims = dimensions(frame, outside);
    let mut table = ScoreTable::default();
    if !per_unit {
        for (id, per_dim) in &evidence {
            for d in &dims {
                let mut keys = background[id.as_str()].clone();
                keys.push(id.clone());
                table.push(
                    Row {
                        keys,
                        dimension: d,
                        evidence: per_dim.get(d).copied().unwrap_or_default(),
                        n_interviews: 1,
                        n_coders: coders[id.as_str()].len(),
                        suppressed: false,
                    },
                    opts,
                );
            }
        }
        let mut names = cols.by.clone();
        names.push(cols.interview.clone());
        return table.finish(&names);
    }
    let mut units: BTreeMap<&Vec<String>, Vec<&str>> = BTreeMap::new();
    for id in evidence.keys() {
        units.entry(background[id.as_str()]).or_default().push(id);
    }
    // Units with too few interviews are blanked by the publication layer's engine (a
    // flat table of units without a total: each small unit on its own).
    let interviews: Vec<u64> = units.values().map(|ids| ids.len() as u64).collect();
    let k = opts.min_interviews as u64;
    let thresholds = Thresholds {
        min_group: k,
        min_distribution: k,
    };
    let blanks = protect_counts(&interviews, &[], false, thresholds);
    for ((unit, ids), suppressed) in units.into_iter().zip(blanks.row) {
        let all_coders: BTreeSet<&str> =
            ids.iter().flat_map(|i| coders[i].iter().copied()).collect();
        for d in &dims {
            let mut total = Evidence::default();
            ids.iter()
                .filter_map(|i| evidence[*i].get(d))
                .for_each(|e| total.add(e));
            table.push(
                Row {
                    keys: unit.clone(),
                    dimension: d,
                    evidence: total,
                    n_interviews: ids.len(),
                    n_coders: all_coders.len(),
                    suppressed,
                },
                opts,
            );
        }
    }
    table.finish(&cols.by)
}

/// The groups of `by` with too few interviews to show (fewer than `min_interviews`), as
/// the publication layer's engine decides for a flat table of groups without a total.
fn blanked_groups<'a>(s: &'a Segments, min_interviews: usize) -> BTreeSet<&'a Vec<String>> {
    let mut interviews: BTreeMap<&Vec<String>, BTreeSet<&str>> = BTreeMap::new();
    for row in 0..s.interview.len() {
        interviews
            .entry(&s.background[row])
            .or_default()
            .insert(&s.interview[row]);
    }
    let counts: Vec<u64> = interviews.values().map(|ids| ids.len() as u64).collect();
    let k = min_interviews as u64;
    let thresholds = Thresholds {
        min_group: k,
        min_distribution: k,
    };
    let blanks = protect_counts(&counts, &[], false, thresholds);
    interviews
        .into_keys()
        .zip(blanks.row)
        .filter_map(|(group, blank)| blank.then_some(group))
        .collect()
}

/// Per group of `by` and code: codings (coder × segment × code rows), interviews where the
/// code occurs, and the code's parent, dimension and valence from the frame. A group with
/// too few interviews is one bare row (`suppressed`, no code and no count): which codes its
/// interviews hold is not shown.
pub fn code_counts_frame(
    df: &DataFrame,
    frame: &CodingFrame,
    cols: &SegmentColumns,
    min_interviews: usize,
) -> Result<DataFrame, Error> {
    let s = Segments::read(df, cols, frame)?;
    let blanked = blanked_groups(&s, min_interviews);
    // (group, code) → codings and the interviews they are in; a blanked group once, no code.
    type Tally<'a> = (u64, BTreeSet<&'a str>);
    let mut counts: BTreeMap<(&Vec<String>, Option<&str>), Tally> = BTreeMap::new();
    for row in 0..s.interview.len() {
        let group = &s.background[row];
        let code = (!blanked.contains(group)).then_some(s.code[row].id.as_str());
        let entry = counts.entry((group, code)).or_default();
        entry.0 += 1;
        entry.1.insert(&s.interview[row]);
    }
    let mut keys: Vec<Vec<String>> = vec![];
    let (mut code, mut codings, mut interviews) = (vec![], vec![], vec![]);
    let (mut dimension, mut valence, mut suppressed) = (vec![], vec![], vec![]);
    for ((group, id), (n, ids)) in counts {
        let c = id.map(|id| {
            frame
                .code(id)
                .expect("codes were checked against the frame")
        });
        keys.push(group.clone());
        code.push(id);
        codings.push(c.map(|_| n));
        interviews.push(c.map(|_| ids.len() as u64));
        dimension.push(c.and_then(|c| c.dimension.clone()));
        valence.push(c.and_then(valence_name));
        suppressed.push(c.is_none());
    }
    let mut out = key_columns(&cols.by, &keys);
    out.extend([
        Column::new(cols.code.as_str().into(), code),
        Column::new("dimension".into(), dimension),
        Column::new("valence".into(), valence),
        Column::new("n_codings".into(), codings),
        Column::new("n_interviews".into(), interviews),
        Column::new("suppressed".into(), suppressed),
    ]);
    Ok(DataFrame::new(keys.len(), out)?)
}

fn valence_name(c: &Code) -> Option<&'static str> {
    if c.scale.is_some() {
        return Some("rated");
    }
    c.valence.map(|v| match v {
        Valence::Positive => "positive",
        Valence::Negative => "negative",
        Valence::Neutral => "neutral",
    })
}

fn key_columns(names: &[String], keys: &[Vec<String>]) -> Vec<Column> {
    names
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let v: Vec<&str> = keys.iter().map(|r| r[k].as_str()).collect();
            Column::new(name.as_str().into(), v)
        })
        .collect()
}

/// Per group of `by`: pairs of codes applied to the same segment by the same coder, and
/// in how many segments they co-occur (each pair once, `code_a` < `code_b`). Groups with
/// too few interviews (blank in the counts) have no pairs.
pub fn cooccurrence_frame(
    df: &DataFrame,
    frame: &CodingFrame,
    cols: &SegmentColumns,
    segment: &str,
    min_interviews: usize,
) -> Result<DataFrame, Error> {
    let s = Segments::read(df, cols, frame)?;
    let blanked = blanked_groups(&s, min_interviews);
    let seg = required(text(df, segment, "segment")?, segment)?;
    // (group, interview, segment, coder) → the codes applied there.
    type SegmentKey<'a> = (&'a Vec<String>, &'a str, &'a str, &'a str);
    let mut on_segment: BTreeMap<SegmentKey, BTreeSet<&str>> = BTreeMap::new();
    for (row, segment) in seg.iter().enumerate() {
        if blanked.contains(&s.background[row]) {
            continue;
        }
        on_segment
            .entry((
                &s.background[row],
                &s.interview[row],
                segment,
                &s.coder[row],
            ))
            .or_default()
            .insert(&s.code[row].id);
    }
    let mut pairs: BTreeMap<(&Vec<String>, &str, &str), u64> = BTreeMap::new();
    for ((group, ..), codes) in &on_segment {
        let codes: Vec<&str> = codes.iter().copied().collect();
        for (i, a) in codes.iter().enumerate() {
            for b in &codes[i + 1..] {
                *pairs.entry((group, a, b)).or_default() += 1;
            }
        }
    }
    let keys: Vec<Vec<String>> = pairs.keys().map(|(g, ..)| (*g).clone()).collect();
    let mut out = key_columns(&cols.by, &keys);
    out.extend([
        Column::new(
            "code_a".into(),
            pairs.keys().map(|k| k.1).collect::<Vec<_>>(),
        ),
        Column::new(
            "code_b".into(),
            pairs.keys().map(|k| k.2).collect::<Vec<_>>(),
        ),
        Column::new(
            "n_segments".into(),
            pairs.values().copied().collect::<Vec<_>>(),
        ),
    ]);
    Ok(DataFrame::new(keys.len(), out)?)
}
