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

/// Widest range of codes (the scale and its special codes) recoded through a table.
const MAX_TABLE_SPAN: i64 = 4096;

/// [`recode_item`] over an integer column, through a table of what every code from the
/// lowest to the highest the scale knows (its range and special codes) becomes: one lookup
/// per answer instead of classifying each, straight over the column's values and validity.
/// Any answer outside the table goes to [`recode_item`], whose error names its row.
pub fn recode_codes(
    inst: &Instrument,
    item: &Item,
    codes: &polars::prelude::Int64Chunked,
    column: &str,
) -> Result<RecodedItem, DataError> {
    let scale = inst.scale_of(item);
    let known = [scale.min, scale.max]
        .into_iter()
        .chain(scale.dont_know.iter().copied())
        .chain(scale.not_applicable.iter().copied());
    let (lo, hi) = known.fold((i64::MAX, i64::MIN), |(lo, hi), c| (lo.min(c), hi.max(c)));
    if hi.saturating_sub(lo) > MAX_TABLE_SPAN {
        return recode_item(inst, item, codes.iter(), column);
    }
    // What each code becomes; OUTSIDE marks a code outside the scale (never in the output:
    // recode_item then names its row).
    const OUTSIDE: i16 = NOT_APPLICABLE + 1;
    let table: Vec<i16> = (lo..=hi)
        .map(|code| match inst.classify(item, Some(code)) {
            Some(Answer::Valid(c)) => c as i16,
            Some(Answer::Missing) => MISSING,
            Some(Answer::DontKnow) => DONT_KNOW,
            Some(Answer::NotApplicable) => NOT_APPLICABLE,
            None => OUTSIDE,
        })
        .collect();
    let span = (hi - lo) as u64;
    let lookup = |v: i64| -> i16 {
        let at = v.wrapping_sub(lo) as u64;
        if at <= span {
            table[at as usize]
        } else {
            OUTSIDE
        }
    };
    let mut out = Vec::with_capacity(codes.len());
    for arr in codes.downcast_iter() {
        let start = out.len();
        out.extend(arr.values().iter().map(|&v| lookup(v)));
        // Then the (few) nulls, found a word of validity bits at a time: the value under a
        // null is arbitrary, so its lookup is overwritten.
        if let Some(valid) = arr.validity().filter(|v| v.unset_bits() > 0) {
            (!valid)
                .true_idx_iter()
                .for_each(|row| out[start + row] = MISSING);
        }
    }
    // Counted afterwards in one pass without branches, so every loop here vectorises.
    let (mut missing, mut dont_know, mut not_applicable, mut outside) = (0usize, 0, 0, 0);
    for &code in &out {
        missing += usize::from(code == MISSING);
        dont_know += usize::from(code == DONT_KNOW);
        not_applicable += usize::from(code == NOT_APPLICABLE);
        outside += usize::from(code == OUTSIDE);
    }
    if outside > 0 {
        return recode_item(inst, item, codes.iter(), column);
    }
    let counts = AnswerCounts {
        missing,
        dont_know,
        not_applicable,
        valid: out.len() - missing - dont_know - not_applicable,
    };
    Ok(RecodedItem {
        id: item.id.clone(),
        codes: out,
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

    /// The scores when they rise (or fall) in even steps from code to code, within rounding
    /// (the 0–100 scores of every scale do): reliability then sums codes, exactly.
    pub fn even_steps(&self) -> Option<EvenSteps> {
        let first = *self.scores.first()?;
        let step = self.scores.get(1).map_or(1.0, |second| second - first);
        let even = self.scores.iter().enumerate().all(|(i, &score)| {
            let expected = first + i as f64 * step;
            (score - expected).abs() <= 1e-12 * (1.0 + score.abs().max(expected.abs()))
        });
        (even && step.is_finite()).then_some(EvenSteps {
            lowest: self.min as i16,
            levels: self.scores.len(),
            first,
            step,
        })
    }
}

/// A score table's codes `lowest, lowest + 1, …` (`levels` of them) scored
/// `first, first + step, …`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EvenSteps {
    pub lowest: i16,
    pub levels: usize,
    pub first: f64,
    pub step: f64,
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
            .map(|(s, c)| mean_if_answered(s, c, required))
            .collect()
    }
}

/// A row's mean of `count` parts summing to `sum`, when at least `required` (and one) were
/// answered.
fn mean_if_answered(sum: f64, count: u32, required: usize) -> Option<f64> {
    (count as usize >= required && count > 0).then(|| sum / count as f64)
}

/// Rows whose sums a dimension's items are added into before the next rows: the block's
/// sums stay in cache while every item is added (over all rows at once, each item read and
/// wrote 12 bytes a row of sums and counts: the row means were memory-bound).
const MEAN_BLOCK: usize = 2048;

/// Each row's mean of the items' scores where at least `required` (and one) are answered;
/// the items added in the order given, so the sums are those of adding item after item.
fn item_means(
    items: &[(&RecodedItem, ScoreTable)],
    rows: usize,
    required: usize,
) -> Vec<Option<f64>> {
    let mut means = Vec::with_capacity(rows);
    let mut sum = [0.0f64; MEAN_BLOCK];
    let mut count = [0u32; MEAN_BLOCK];
    for start in (0..rows).step_by(MEAN_BLOCK) {
        let block = start..(start + MEAN_BLOCK).min(rows);
        let (sum, count) = (&mut sum[..block.len()], &mut count[..block.len()]);
        sum.fill(0.0);
        count.fill(0);
        for (recoded, table) in items {
            let codes = &recoded.codes[block.clone()];
            for ((s, c), &code) in sum.iter_mut().zip(count.iter_mut()).zip(codes) {
                if let Some(v) = table.score(code) {
                    *s += v;
                    *c += 1;
                }
            }
        }
        let block_means = sum.iter().zip(count.iter());
        means.extend(block_means.map(|(&s, &c)| mean_if_answered(s, c, required)));
    }
    means
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
        let items = ids
            .iter()
            .map(|id| lookup(id))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(item_means(&items, rows, required))
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
