//! Item recoding and respondent-level dimension and index scores.
//!
//! Answers are first classified per item (valid / "don't know" / not applicable / missing)
//! and reverse-keyed into compact oriented codes; scores are then column-wise means of the
//! 0–100 item scores, subject to each dimension's minimum-answered rule.

pub mod frame;

use crate::error::DataError;
use crate::instrument::{Answer, IndexBasis, Instrument, Item};

/// Sentinels for oriented codes that are not on the scale.
pub const MISSING: i16 = i16::MIN;
pub const DONT_KNOW: i16 = i16::MIN + 1;
pub const NOT_APPLICABLE: i16 = i16::MIN + 2;

/// How an item's answers were classified; nothing is dropped without being counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnswerCounts {
    pub valid: usize,
    pub missing: usize,
    pub dont_know: usize,
    pub not_applicable: usize,
}

/// One item's answers as oriented codes (reverse keying applied), sentinels otherwise.
#[derive(Debug, Clone)]
pub struct RecodedItem {
    pub id: String,
    pub codes: Vec<i16>,
    pub counts: AnswerCounts,
}

/// Classifies and reverse-keys one item column. `column` names the source column in errors;
/// rows are numbered from 1 as in a spreadsheet's data rows.
pub fn recode_item<I>(
    inst: &Instrument,
    item: &Item,
    values: I,
    column: &str,
) -> Result<RecodedItem, DataError>
where
    I: IntoIterator<Item = Option<i64>>,
{
    let scale = inst.scale_of(item);
    let iter = values.into_iter();
    let mut codes = Vec::with_capacity(iter.size_hint().0);
    let mut counts = AnswerCounts::default();
    for (row, raw) in iter.enumerate() {
        let code = match inst.classify(item, raw) {
            Some(Answer::Valid(c)) => {
                counts.valid += 1;
                c as i16
            }
            Some(Answer::Missing) => {
                counts.missing += 1;
                MISSING
            }
            Some(Answer::DontKnow) => {
                counts.dont_know += 1;
                DONT_KNOW
            }
            Some(Answer::NotApplicable) => {
                counts.not_applicable += 1;
                NOT_APPLICABLE
            }
            None => {
                return Err(DataError::OutOfScale {
                    column: column.to_string(),
                    row: row + 1,
                    value: raw.map_or("null".into(), |v| v.to_string()),
                    min: scale.min,
                    max: scale.max,
                    codes: scale.special_codes(),
                })
            }
        };
        codes.push(code);
    }
    Ok(RecodedItem {
        id: item.id.clone(),
        codes,
        counts,
    })
}

/// A lookup from oriented code to 0–100 score, so the hot loop does no arithmetic on scales.
pub struct ScoreTable {
    min: i64,
    scores: Vec<f64>,
}

impl ScoreTable {
    pub fn new(inst: &Instrument, item: &Item) -> Self {
        let scale = inst.scale_of(item);
        let scores = (scale.min..=scale.max)
            .map(|c| inst.score_code(scale, c))
            .collect();
        ScoreTable {
            min: scale.min,
            scores,
        }
    }

    /// The score of an oriented code, or `None` for the missing / special sentinels.
    #[inline]
    pub fn score(&self, code: i16) -> Option<f64> {
        if code <= NOT_APPLICABLE {
            return None;
        }
        self.scores.get((code as i64 - self.min) as usize).copied()
    }
}

/// Respondent scores; `None` where too few parts were answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// (dimension id, score per respondent), in instrument order.
    pub dimensions: Vec<(String, Vec<Option<f64>>)>,
    /// (index id, score per respondent).
    pub index: (String, Vec<Option<f64>>),
}

/// Running sum and count per respondent, finished into means under a minimum-answered rule.
struct RowMeans {
    sum: Vec<f64>,
    count: Vec<u32>,
}

impl RowMeans {
    fn new(rows: usize) -> Self {
        RowMeans {
            sum: vec![0.0; rows],
            count: vec![0; rows],
        }
    }

    fn add_item(&mut self, table: &ScoreTable, codes: &[i16]) {
        for ((s, c), &code) in self.sum.iter_mut().zip(self.count.iter_mut()).zip(codes) {
            if let Some(v) = table.score(code) {
                *s += v;
                *c += 1;
            }
        }
    }

    fn add_scores(&mut self, scores: &[Option<f64>]) {
        for ((s, c), v) in self.sum.iter_mut().zip(self.count.iter_mut()).zip(scores) {
            if let Some(v) = v {
                *s += v;
                *c += 1;
            }
        }
    }

    fn finish(self, required: usize) -> Vec<Option<f64>> {
        self.sum
            .into_iter()
            .zip(self.count)
            .map(|(s, c)| (c as usize >= required && c > 0).then(|| s / c as f64))
            .collect()
    }
}

/// Scores every respondent. `items` must hold the instrument's items (any order).
pub fn score_respondents(inst: &Instrument, items: &[RecodedItem]) -> Result<Scores, DataError> {
    let rows = items.first().map_or(0, |i| i.codes.len());
    let lookup = |id: &str| -> Result<(&RecodedItem, ScoreTable), DataError> {
        let recoded =
            items
                .iter()
                .find(|r| r.id == id)
                .ok_or_else(|| DataError::MissingColumn {
                    column: id.to_string(),
                    instrument: inst.id.clone(),
                    present: items
                        .iter()
                        .map(|r| r.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })?;
        // Invariant: `id` is an item id of the (validated) instrument.
        #[allow(clippy::expect_used)]
        let item = inst.item(id).expect("validated instrument lists the item");
        Ok((recoded, ScoreTable::new(inst, item)))
    };
    let mean_of_items = |ids: &[&str], required: usize| -> Result<Vec<Option<f64>>, DataError> {
        let mut acc = RowMeans::new(rows);
        for id in ids {
            let (recoded, table) = lookup(id)?;
            acc.add_item(&table, &recoded.codes);
        }
        Ok(acc.finish(required))
    };

    let mut dimensions = Vec::with_capacity(inst.dimensions.len());
    for dim in &inst.dimensions {
        let ids: Vec<&str> = dim.items.iter().map(String::as_str).collect();
        let required = dim.min_answered.required(ids.len());
        dimensions.push((dim.id.clone(), mean_of_items(&ids, required)?));
    }
    let index = match inst.index.rule {
        IndexBasis::MeanOfItems => {
            let ids = inst.index_items();
            mean_of_items(&ids, inst.index.min_answered.required(ids.len()))?
        }
        IndexBasis::MeanOfDimensions => {
            let mut acc = RowMeans::new(rows);
            for (_, scores) in &dimensions {
                acc.add_scores(scores);
            }
            acc.finish(inst.index.min_answered.required(dimensions.len()))
        }
    };
    Ok(Scores {
        dimensions,
        index: (inst.index.id.clone(), index),
    })
}
