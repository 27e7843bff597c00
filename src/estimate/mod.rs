//! Grouped estimates over an organisational hierarchy: n, mean, SD, SE, t-based CI, percent
//! positive / neutral / negative, optional weights and finite-population correction. What
//! is blanked is decided by the publication layer (`crate::publish`).
//!
//! The kernel works on leaf groups (the finest combination of the grouping columns): it
//! accumulates mergeable sums per leaf, rolls them up the hierarchy (so parents include
//! suppressed children) and finishes each node. `frame` is the polars edge.

pub mod frame;
pub mod stats;
pub mod sums;

use crate::error::EstimateError;
use crate::instrument::{Category, Instrument, MeasureKind};
use crate::publish::engine::Pattern;
use crate::publish::groups::{Hierarchy, OUTSIDE};
use crate::score::{RecodedItem, ScoreTable, Scores};
use stats::{finish, Estimate, FinishSpec, Moments, Shares};

/// Sums per (group, measure), mergeable by addition.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupStats {
    pub measures: Vec<(String, MeasureKind)>,
    pub respondents: Vec<u64>,
    /// group-major: `moments[group * measures.len() + measure]`
    pub moments: Vec<Moments>,
    pub shares: Vec<Shares>,
}

impl GroupStats {
    pub fn empty(measures: Vec<(String, MeasureKind)>, groups: usize) -> Self {
        let m = measures.len();
        GroupStats {
            measures,
            respondents: vec![0; groups],
            moments: vec![Moments::default(); groups * m],
            shares: vec![Shares::default(); groups * m],
        }
    }

    /// Adds another set of sums over the same groups and measures (e.g. other rows).
    pub fn merge(&mut self, other: &GroupStats) {
        for (a, b) in self.respondents.iter_mut().zip(&other.respondents) {
            *a += b;
        }
        for (a, b) in self.moments.iter_mut().zip(&other.moments) {
            a.merge(b);
        }
        for (a, b) in self.shares.iter_mut().zip(&other.shares) {
            a.merge(b);
        }
    }

    pub fn groups(&self) -> usize {
        self.respondents.len()
    }

    /// Sums leaves into every node of the hierarchy (global node numbering).
    pub fn roll_up(&self, h: &Hierarchy) -> GroupStats {
        let m = self.measures.len();
        let offsets = h.offsets();
        let mut out = GroupStats::empty(self.measures.clone(), h.n_nodes());
        for (level, mapping) in h.node_of_leaf.iter().enumerate() {
            for (leaf, &node) in mapping.iter().enumerate() {
                if node == OUTSIDE {
                    continue;
                }
                let g = offsets[level] + node;
                out.respondents[g] += self.respondents[leaf];
                for j in 0..m {
                    out.moments[g * m + j].merge(&self.moments[leaf * m + j]);
                    out.shares[g * m + j].merge(&self.shares[leaf * m + j]);
                }
            }
        }
        out
    }
}

/// Every measure of the instrument with its kind, in output order, as `GroupStats` keeps them.
pub fn instrument_measures(inst: &Instrument) -> Vec<(String, MeasureKind)> {
    inst.measures()
        .into_iter()
        .map(|(id, k)| (id.to_string(), k))
        .collect()
}

/// Validates weights: every one positive and finite.
pub fn check_weights(weights: &[f64], column: &str) -> Result<(), EstimateError> {
    match weights.iter().position(|w| !(w.is_finite() && *w > 0.0)) {
        Some(row) => Err(EstimateError::BadWeight {
            column: column.to_string(),
            row: row + 1,
            value: weights[row].to_string(),
        }),
        None => Ok(()),
    }
}

/// Accumulates per-leaf sums for every measure of the instrument (index, dimensions, items).
pub fn accumulate(
    inst: &Instrument,
    items: &[RecodedItem],
    scores: &Scores,
    leaf_of_row: &[u32],
    n_leaves: usize,
    weights: Option<&[f64]>,
) -> GroupStats {
    let plan = AccumulationPlan::new(inst, items);
    let rows = leaf_of_row.len();
    let threads = crate::parallel::threads_for(rows);
    if threads == 1 {
        return plan.run(items, scores, leaf_of_row, n_leaves, weights, 0..rows);
    }
    // Rows split into contiguous parts, one per thread; the sums then add up exactly as
    // groups do (the statistics are mergeable), up to floating-point rounding.
    let per = rows.div_ceil(threads);
    let plan = &plan;
    let parts: Vec<GroupStats> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let range = t * per..((t + 1) * per).min(rows);
                scope.spawn(move || plan.run(items, scores, leaf_of_row, n_leaves, weights, range))
            })
            .collect();
        handles.into_iter().map(crate::parallel::join).collect()
    });
    let mut parts = parts.into_iter();
    // Invariant: `threads` ≥ 2 here, so there are parts.
    #[allow(clippy::expect_used)]
    let mut total = parts.next().expect("at least one part");
    for part in parts {
        total.merge(&part);
    }
    total
}

/// What each item feeds: its own measure and the dimensions and index that pool its
/// answers, with its score and answer category looked up by code.
struct ItemPlan {
    table: ScoreTable,
    /// Category of each oriented code, indexed by `code − scale.min`.
    categories: Vec<Category>,
    min: i64,
    targets: Vec<usize>,
}

impl ItemPlan {
    /// The item's answers of `rows` without weights: counted per (group, code) in the pass
    /// over the rows, then every sum made from the counts (`k` answers of score `y` add `k`,
    /// `k y`, `k y²` to a moment; what one answer of weight 1 adds, `k` times), so each
    /// answer costs one increment and its pooled tallies instead of a dozen sums. The
    /// tallies per respondent (answers, positive ones) of the dimensions and the index the
    /// item feeds are kept row by row.
    fn add_unweighted(
        &self,
        codes: &[i16],
        leaf_of_row: &[u32],
        rows: std::ops::Range<usize>,
        stats: &mut GroupStats,
        tallies: &mut PooledTallies,
    ) {
        let span = self.categories.len();
        let leaves = stats.respondents.len();
        let mut counts = vec![0u64; leaves * span];
        let first = rows.start;
        for row in rows {
            let at = (codes[row] as i64 - self.min) as u64;
            if at >= span as u64 || self.table.score(codes[row]).is_none() {
                continue;
            }
            let g = leaf_of_row[row] as usize;
            counts[g * span + at as usize] += 1;
            let positive = self.categories[at as usize] == Category::Positive;
            for &j in &self.targets[1..] {
                tallies.add(j, row - first, positive);
            }
        }
        let m = stats.measures.len();
        let item_j = self.targets[0];
        for g in 0..leaves {
            for (at, &k) in counts[g * span..(g + 1) * span].iter().enumerate() {
                if k == 0 {
                    continue;
                }
                let code = (self.min + at as i64) as i16;
                let Some(y) = self.table.score(code) else {
                    continue;
                };
                let kf = k as f64;
                let mo = &mut stats.moments[g * m + item_j];
                mo.n += k;
                mo.sw += kf;
                mo.swy += kf * y;
                mo.swy2 += kf * y * y;
                mo.sw2 += kf;
                mo.sw2y += kf * y;
                mo.sw2y2 += kf * y * y;
                let category = self.categories[at];
                for &j in &self.targets {
                    let sh = &mut stats.shares[g * m + j];
                    sh.answers += k;
                    sh.w_total += kf;
                    match category {
                        Category::Positive => sh.w_positive += kf,
                        Category::Neutral => sh.w_neutral += kf,
                        Category::Negative => {}
                    }
                }
                // One answer per respondent of weight 1: `add_respondent(1, b, 1)` k times.
                let b = f64::from(u8::from(category == Category::Positive));
                let sh = &mut stats.shares[g * m + item_j];
                sh.answering += k;
                sh.w2_pos2 += kf * b;
                sh.w2_pos_ans += kf * b;
                sh.w2_ans2 += kf;
            }
        }
    }
}

struct AccumulationPlan {
    measures: Vec<(String, MeasureKind)>,
    /// Measure positions of the index and the dimensions, in `Scores` order.
    score_positions: Vec<usize>,
    items: Vec<ItemPlan>,
}

impl AccumulationPlan {
    // Invariant: the measures are made from the instrument, and the recoded items are its
    // items (recoding fails on anything else), so every lookup finds its entry.
    #[allow(clippy::expect_used)]
    fn new(inst: &Instrument, items: &[RecodedItem]) -> Self {
        let measures = instrument_measures(inst);
        let position = |id: &str| measures.iter().position(|(mid, _)| mid == id);
        let score_positions = std::iter::once(&inst.index.id)
            .chain(inst.dimensions.iter().map(|d| &d.id))
            .map(|id| position(id).expect("score ids are measures"))
            .collect();
        let index_items = inst.index_items();
        let items = items
            .iter()
            .map(|recoded| {
                let item = inst
                    .item(&recoded.id)
                    .expect("recoded items belong to the instrument");
                let scale = inst.scale_of(item);
                let mut targets = vec![position(&recoded.id).expect("items are measures")];
                targets.extend(
                    inst.dimensions
                        .iter()
                        .filter(|d| d.items.contains(&recoded.id))
                        .filter_map(|d| position(&d.id)),
                );
                if index_items.contains(&recoded.id.as_str()) {
                    targets.push(0);
                }
                ItemPlan {
                    table: ScoreTable::new(inst, item),
                    categories: (scale.min..=scale.max).map(|c| scale.category(c)).collect(),
                    min: scale.min,
                    targets,
                }
            })
            .collect();
        AccumulationPlan {
            measures,
            score_positions,
            items,
        }
    }

    fn run(
        &self,
        items: &[RecodedItem],
        scores: &Scores,
        leaf_of_row: &[u32],
        n_leaves: usize,
        weights: Option<&[f64]>,
        rows: std::ops::Range<usize>,
    ) -> GroupStats {
        let m = self.measures.len();
        let mut stats = GroupStats::empty(self.measures.clone(), n_leaves);
        let weight = |row: usize| weights.map_or(1.0, |w| w[row]);
        for &leaf in &leaf_of_row[rows.clone()] {
            stats.respondents[leaf as usize] += 1;
        }
        // Respondent-level scores: index and dimensions.
        let score_columns = std::iter::once(&scores.index).chain(&scores.dimensions);
        for ((_, values), &j) in score_columns.zip(&self.score_positions) {
            for row in rows.clone() {
                if let Some(y) = values[row] {
                    let g = leaf_of_row[row] as usize;
                    stats.moments[g * m + j].add(y, weight(row));
                }
            }
        }
        // Items: their own moments, and pooled shares for the dimensions and index they feed.
        // A pooled measure's answers are also tallied per respondent (answers, positive)
        // for the standard error of its percent positive (see `Shares`).
        let first = rows.start;
        let mut tallies = PooledTallies::new(&self.score_positions, m, rows.len());
        if weights.is_none() {
            for (plan, recoded) in self.items.iter().zip(items) {
                plan.add_unweighted(
                    &recoded.codes,
                    leaf_of_row,
                    rows.clone(),
                    &mut stats,
                    &mut tallies,
                );
            }
            tallies.add_to(&mut stats, leaf_of_row, rows, &weight);
            return stats;
        }
        for (plan, recoded) in self.items.iter().zip(items) {
            let item_j = plan.targets[0];
            for row in rows.clone() {
                let code = recoded.codes[row];
                let Some(y) = plan.table.score(code) else {
                    continue;
                };
                let g = leaf_of_row[row] as usize;
                let w = weight(row);
                stats.moments[g * m + item_j].add(y, w);
                let category = plan.categories[(code as i64 - plan.min) as usize];
                let positive = category == Category::Positive;
                for &j in &plan.targets {
                    let s = &mut stats.shares[g * m + j];
                    s.answers += 1;
                    s.w_total += w;
                    match category {
                        Category::Positive => s.w_positive += w,
                        Category::Neutral => s.w_neutral += w,
                        Category::Negative => {}
                    }
                }
                stats.shares[g * m + item_j].add_respondent(1.0, positive as u8 as f64, w);
                for &j in &plan.targets[1..] {
                    tallies.add(j, row - first, positive);
                }
            }
        }
        tallies.add_to(&mut stats, leaf_of_row, rows, &weight);
        stats
    }
}

/// Per respondent of a row range and per pooled measure (dimensions, index): answers and
/// positive answers.
struct PooledTallies {
    /// Slot of each measure in `counts`, `None` for items.
    slot: Vec<Option<usize>>,
    /// `counts[slot][row − first]` = (answers, positive).
    counts: Vec<Vec<(u32, u32)>>,
}

impl PooledTallies {
    fn new(pooled_measures: &[usize], measures: usize, rows: usize) -> Self {
        let mut slot = vec![None; measures];
        for (k, &j) in pooled_measures.iter().enumerate() {
            slot[j] = Some(k);
        }
        PooledTallies {
            slot,
            counts: vec![vec![(0, 0); rows]; pooled_measures.len()],
        }
    }

    #[inline]
    fn add(&mut self, measure: usize, row: usize, positive: bool) {
        if let Some(k) = self.slot[measure] {
            let c = &mut self.counts[k][row];
            c.0 += 1;
            c.1 += positive as u32;
        }
    }

    fn add_to(
        &self,
        stats: &mut GroupStats,
        leaf_of_row: &[u32],
        rows: std::ops::Range<usize>,
        weight: &dyn Fn(usize) -> f64,
    ) {
        let m = stats.measures.len();
        for (j, k) in self.slot.iter().enumerate() {
            let Some(k) = *k else { continue };
            for (offset, &(answers, positive)) in self.counts[k].iter().enumerate() {
                if answers > 0 {
                    let row = rows.start + offset;
                    let g = leaf_of_row[row] as usize;
                    stats.shares[g * m + j].add_respondent(
                        answers as f64,
                        positive as f64,
                        weight(row),
                    );
                }
            }
        }
    }
}

/// One published cell: a node of the hierarchy and a measure.
#[derive(Debug, Clone, PartialEq)]
pub struct TableRow {
    pub node: usize,
    pub measure: usize,
    /// Empty when the cell is blanked.
    pub estimate: Estimate,
    pub suppressed: bool,
    /// Group size; `None` when the group is blanked as a whole.
    pub respondents: Option<u64>,
    /// Headcount; `None` when the group is blanked as a whole.
    pub population: Option<f64>,
}

/// Finishes every (node, measure) that the pattern leaves visible; blanks are bare.
pub fn table(
    nodes: &GroupStats,
    cell_of_node: &[usize],
    pattern: &Pattern,
    population: Option<&[Option<f64>]>,
    spec: &FinishSpec,
) -> Result<Vec<TableRow>, EstimateError> {
    let m = nodes.measures.len();
    let mut rows = Vec::with_capacity(nodes.groups() * m);
    for (g, &cell) in cell_of_node.iter().enumerate() {
        let unit_visible = pattern.unit[cell].is_none();
        let pop = population.and_then(|p| p[g]).filter(|_| unit_visible);
        for j in 0..m {
            let suppressed = pattern.mean[cell * m + j].is_some();
            let mut estimate = if suppressed {
                Estimate::default()
            } else {
                finish(
                    &nodes.moments[g * m + j],
                    &nodes.shares[g * m + j],
                    pop,
                    spec,
                )?
            };
            if pattern.dist[cell * m + j].is_some() {
                estimate.pct_positive = None;
                estimate.pct_neutral = None;
                estimate.pct_negative = None;
                estimate.pct_positive_se = None;
                estimate.pct_positive_ci = None;
            }
            rows.push(TableRow {
                node: g,
                measure: j,
                estimate,
                suppressed,
                respondents: unit_visible.then_some(nodes.respondents[g]),
                population: pop,
            });
        }
    }
    Ok(rows)
}
