//! The polars edge of interview scoring: coded segments in (one row per coder × segment ×
//! code), scores per interview or per unit, code counts and co-occurrence out.

use super::score::{balance_score, check_parameters, BalanceScore, Evidence};
use super::{Code, CodingFrame, Valence};
use crate::error::{Error, InterviewError};
use crate::publish::groups::{group_rows, key_label};
use crate::publish::publication::{protect_counts, Thresholds};
use crate::publish::table::Table;
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
    /// Per row, its group of the `by` columns (a row of `keys`).
    pub(super) group: Vec<u32>,
    /// The groups' keys in their original dtype, sorted, a null key its own group, last.
    pub(super) keys: DataFrame,
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
        let groups = group_rows(df, &cols.by)?;
        let segments = Segments {
            interview,
            coder,
            code,
            rating,
            group: groups.group_of_row,
            keys: groups.keys,
        };
        segments.check_background(cols)?;
        Ok(segments)
    }

    /// The groups of `by` in their order, each with its distinct interviews.
    pub(super) fn interviews_per_group(&self) -> Vec<BTreeSet<&str>> {
        let mut out = vec![BTreeSet::new(); self.keys.height()];
        for (id, &g) in self.interview.iter().zip(&self.group) {
            out[g as usize].insert(id.as_str());
        }
        out
    }

    /// The `by` values of a row as text (case variables of a REFI-QDA export).
    pub(super) fn background(&self, row: usize) -> Result<Vec<String>, Error> {
        let g = self.group[row] as usize;
        self.keys
            .columns()
            .iter()
            .map(|c| {
                let v = c.cast(&DataType::String)?;
                Ok(v.str()?.get(g).unwrap_or_default().to_string())
            })
            .collect()
    }

    /// An interview belongs to one unit (role, …): two values would split it silently.
    fn check_background(&self, cols: &SegmentColumns) -> Result<(), Error> {
        let mut first: BTreeMap<&str, usize> = BTreeMap::new();
        for (row, id) in self.interview.iter().enumerate() {
            let f = *first.entry(id).or_insert(row);
            let (here, there) = (self.group[row] as usize, self.group[f] as usize);
            if here == there {
                continue;
            }
            let column = self
                .keys
                .columns()
                .iter()
                .find(|c| c.get(here).ok() != c.get(there).ok())
                .map_or_else(|| cols.by.join(", "), |c| c.name().to_string());
            return Err(InterviewError::Segment {
                column,
                row,
                message: format!(
                    "interview `{id}` has {} here but {} in row {f}; an interview belongs to one group",
                    key_label(&self.keys, here),
                    key_label(&self.keys, there)
                ),
            }
            .into());
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

/// One row of a score table: a unit (or interview) and dimension.
struct ScoreRow<'a> {
    /// The row of the table's key frame.
    key: usize,
    dimension: &'a Option<String>,
    evidence: Evidence,
    score: BalanceScore,
    n_interviews: usize,
    n_coders: usize,
    /// Blanked by the publication layer: bare, no reason and no counts.
    suppressed: bool,
}

impl ScoreRow<'_> {
    /// Only unblanked rows on an EPL dimension carry a score.
    fn scored(&self) -> bool {
        !self.suppressed && self.dimension.is_some()
    }

    fn shown<T>(&self, v: T) -> Option<T> {
        (!self.suppressed).then_some(v)
    }

    fn note(&self) -> Option<String> {
        match (self.suppressed, &self.score.score, self.dimension) {
            (true, _, _) => None,
            (false, _, None) => {
                Some("codes outside the EPL dimensions: counted, not scored".into())
            }
            (false, Err(why), _) => Some(why.clone()),
            _ => None,
        }
    }
}

fn score_table(rows: &[ScoreRow], keys: &DataFrame) -> Result<DataFrame, Error> {
    let interval = |r: &ScoreRow| r.score.interval.filter(|_| r.scored());
    Table::new(rows)
        .keys(keys, |r| Some(r.key))?
        .text("dimension", |r| r.dimension.as_deref())
        .float("score", |r| {
            r.score.score.clone().ok().filter(|_| r.scored())
        })
        .float("ci_low", |r| interval(r).map(|i| i.0))
        .float("ci_high", |r| interval(r).map(|i| i.1))
        .float("positive", |r| r.shown(r.evidence.positive))
        .float("negative", |r| r.shown(r.evidence.negative))
        .float("neutral", |r| r.shown(r.evidence.neutral))
        .count("n_interviews", |r| r.shown(r.n_interviews as u64))
        .count("n_coders", |r| r.shown(r.n_coders as u64))
        .suppressed(|r| r.suppressed)
        .owned_text("note", ScoreRow::note)
        .finish()
}

/// The dimensions to report: the frame's, plus `None` when codes outside them were used.
fn dimensions(frame: &CodingFrame, used_outside: bool) -> Vec<Option<String>> {
    let mut d: Vec<Option<String>> = frame.dimensions.iter().cloned().map(Some).collect();
    if used_outside {
        d.push(None);
    }
    d
}

/// The `level=` keyword of interview scores: one row per group of `by` (interviews pooled)
/// or one per interview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreLevel {
    Unit,
    Interview,
}

crate::choice!(ScoreLevel, "level", {
    Unit => "unit",
    Interview => "interview",
});

impl ScoreLevel {
    /// Whether interviews are pooled per group (`per_unit` of [`score_interviews_frame`]).
    pub fn per_unit(self) -> bool {
        self == ScoreLevel::Unit
    }
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
    let dims = dimensions(frame, s.code.iter().any(|c| c.dimension.is_none()));
    let score = |e: &Evidence| balance_score(e, opts.prior, opts.confidence);
    let mut rows = Vec::new();
    if !per_unit {
        // Interviews grouped like any key: `by` then the interview id, in their dtypes.
        let mut by = cols.by.clone();
        by.push(cols.interview.clone());
        let per = group_rows(df, &by)?;
        let mut id_of = vec![""; per.len()];
        for (row, &g) in per.group_of_row.iter().enumerate() {
            id_of[g as usize] = &s.interview[row];
        }
        for (key, id) in id_of.into_iter().enumerate() {
            for d in &dims {
                let e = evidence[id].get(d).copied().unwrap_or_default();
                rows.push(ScoreRow {
                    key,
                    dimension: d,
                    evidence: e,
                    score: score(&e),
                    n_interviews: 1,
                    n_coders: coders[id].len(),
                    suppressed: false,
                });
            }
        }
        return score_table(&rows, &per.keys);
    }
    let units = s.interviews_per_group();
    // Units with too few interviews are blanked by the publication layer's engine (a
    // flat table of units without a total: each small unit on its own).
    let blanks = small_groups(&units, opts.min_interviews);
    for (key, (ids, suppressed)) in units.iter().zip(blanks).enumerate() {
        let all_coders: BTreeSet<&str> =
            ids.iter().flat_map(|i| coders[i].iter().copied()).collect();
        for d in &dims {
            let mut total = Evidence::default();
            ids.iter()
                .filter_map(|i| evidence[*i].get(d))
                .for_each(|e| total.add(e));
            rows.push(ScoreRow {
                key,
                dimension: d,
                evidence: total,
                score: score(&total),
                n_interviews: ids.len(),
                n_coders: all_coders.len(),
                suppressed,
            });
        }
    }
    score_table(&rows, &s.keys)
}

/// Per group (interviews per group, in group order): whether it is blanked, as the
/// publication layer's engine decides for a flat table of groups without a total.
fn small_groups(interviews: &[BTreeSet<&str>], min_interviews: usize) -> Vec<bool> {
    let counts: Vec<u64> = interviews.iter().map(|ids| ids.len() as u64).collect();
    let k = min_interviews as u64;
    let thresholds = Thresholds {
        min_group: k,
        min_distribution: k,
    };
    protect_counts(&counts, &[], false, thresholds).row
}

/// One row of the code counts: a group and a code, or a blanked group (no code).
struct CountRow<'a> {
    group: usize,
    code: Option<&'a Code>,
    codings: u64,
    interviews: u64,
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
    let blanked = small_groups(&s.interviews_per_group(), min_interviews);
    // (group, code) → codings and the interviews they are in; a blanked group once, no code.
    type Tally<'a> = (u64, BTreeSet<&'a str>);
    let mut counts: BTreeMap<(u32, Option<&str>), Tally> = BTreeMap::new();
    for row in 0..s.interview.len() {
        let group = s.group[row];
        let code = (!blanked[group as usize]).then_some(s.code[row].id.as_str());
        let entry = counts.entry((group, code)).or_default();
        entry.0 += 1;
        entry.1.insert(&s.interview[row]);
    }
    let rows: Vec<CountRow> = counts
        .into_iter()
        .map(|((group, id), (n, ids))| CountRow {
            group: group as usize,
            code: id.and_then(|id| frame.code(id)),
            codings: n,
            interviews: ids.len() as u64,
        })
        .collect();
    Table::new(&rows)
        .keys(&s.keys, |r| Some(r.group))?
        .text(&cols.code, |r| Some(r.code?.id.as_str()))
        .text("dimension", |r| r.code?.dimension.as_deref())
        .text("valence", |r| valence_name(r.code?))
        .count("n_codings", |r| r.code.map(|_| r.codings))
        .count("n_interviews", |r| r.code.map(|_| r.interviews))
        .suppressed(|r| r.code.is_none())
        .finish()
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
    let blanked = small_groups(&s.interviews_per_group(), min_interviews);
    let seg = required(text(df, segment, "segment")?, segment)?;
    // (group, interview, segment, coder) → the codes applied there.
    type SegmentKey<'a> = (u32, &'a str, &'a str, &'a str);
    let mut on_segment: BTreeMap<SegmentKey, BTreeSet<&str>> = BTreeMap::new();
    for (row, segment) in seg.iter().enumerate() {
        if blanked[s.group[row] as usize] {
            continue;
        }
        on_segment
            .entry((s.group[row], &s.interview[row], segment, &s.coder[row]))
            .or_default()
            .insert(&s.code[row].id);
    }
    let mut pairs: BTreeMap<(u32, &str, &str), u64> = BTreeMap::new();
    for ((group, ..), codes) in &on_segment {
        let codes: Vec<&str> = codes.iter().copied().collect();
        for (i, a) in codes.iter().enumerate() {
            for b in &codes[i + 1..] {
                *pairs.entry((*group, a, b)).or_default() += 1;
            }
        }
    }
    let rows: Vec<_> = pairs.into_iter().collect();
    Table::new(&rows)
        .keys(&s.keys, |r| Some(r.0 .0 as usize))?
        .text("code_a", |r| Some(r.0 .1))
        .text("code_b", |r| Some(r.0 .2))
        .count("n_segments", |r| Some(r.1))
        .finish()
}
