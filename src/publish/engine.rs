//! The one suppression engine: primary blanks from the thresholds, then secondary blanks
//! chosen until the auditor passes every blanked cell (τ-ARGUS / sdcTable style), trying
//! the partners that hide the fewest respondents first.
//!
//! One pattern per unit by default: a group under `min_group` is blanked with all its
//! measures and counts, and so is every partner chosen for it. A measure with fewer than
//! `min_group` answers in a group that is published otherwise is blanked on its own (with
//! the dimensions and index that pool its answers), and its partners only for that measure.

use super::audit::{layers, Audit, Check, Layer, Scope};
use super::cells::{is_subset, overlaps};
use std::collections::VecDeque;

/// Why a cell is blank (for the audit table only; published blanks are bare).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Blank {
    /// Under the threshold itself.
    Primary,
    /// Blanked so that another blank cannot be recovered.
    Secondary,
}

impl Blank {
    pub fn as_str(self) -> &'static str {
        match self {
            Blank::Primary => "primary",
            Blank::Secondary => "secondary",
        }
    }
}

/// Which cells are blank: as a whole (`unit`: counts and every measure), per measure
/// (`mean`: n, mean, SD, SE, CI) and per measure distribution (`dist`: percentages).
/// A blank unit blanks every measure; a blank measure blanks its distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    pub m: usize,
    pub unit: Vec<Option<Blank>>,
    pub mean: Vec<Option<Blank>>,
    pub dist: Vec<Option<Blank>>,
}

impl Pattern {
    pub fn new(cells: usize, m: usize) -> Self {
        Pattern {
            m,
            unit: vec![None; cells],
            mean: vec![None; cells * m],
            dist: vec![None; cells * m],
        }
    }

    pub fn blank(&self, cell: usize, layer: Layer) -> Option<Blank> {
        match layer {
            Layer::Respondents => self.unit[cell],
            Layer::Mean(j) => self.mean[cell * self.m + j],
            Layer::Distribution(j) => self.dist[cell * self.m + j],
        }
    }

    /// A small cell: its count must keep a wide interval, not only its sums.
    pub fn is_primary(&self, cell: usize, layer: Layer) -> bool {
        self.blank(cell, layer) == Some(Blank::Primary)
    }

    pub fn blank_unit(&mut self, cell: usize, why: Blank) {
        self.unit[cell].get_or_insert(why);
        for j in 0..self.m {
            self.mean[cell * self.m + j].get_or_insert(why);
            self.dist[cell * self.m + j].get_or_insert(why);
        }
    }

    /// Blanks one measure of a cell and its distribution, and the distributions of the
    /// measures that pool its answers (their percentages would give it back; their means
    /// are over respondents, not answers, and stay).
    /// `pooled_by`: the measures pooling measure `j`'s answers.
    pub fn blank_measure(&mut self, cell: usize, j: usize, why: Blank, pooled_by: &[usize]) {
        self.mean[cell * self.m + j].get_or_insert(why);
        self.blank_distribution(cell, j, why, pooled_by);
    }

    pub fn blank_distribution(&mut self, cell: usize, j: usize, why: Blank, pooled_by: &[usize]) {
        for k in std::iter::once(j).chain(pooled_by.iter().copied()) {
            self.dist[cell * self.m + k].get_or_insert(why);
        }
    }

    fn all_distributions_blank(&self, cell: usize) -> bool {
        (0..self.m).all(|j| self.dist[cell * self.m + j].is_some())
    }

    /// Every (cell, layer) blank here and not in `before`.
    fn newly_blank(&self, before: &Pattern) -> Vec<(usize, Layer)> {
        let cells = self.unit.len();
        layers(self.m)
            .flat_map(|layer| (0..cells).map(move |c| (c, layer)))
            .filter(|&(c, layer)| {
                self.blank(c, layer).is_some() && before.blank(c, layer).is_none()
            })
            .collect()
    }
}

/// What blanking a partner means for a failing cell: the same granularity as its own blank.
#[derive(Debug, Clone, Copy)]
enum Action {
    Unit,
    Measure(usize),
    Distribution(usize),
    AllDistributions,
}

/// Partners tried per failing cell before the cheapest sufficient-looking one is taken.
const MAX_TRIALS: usize = 24;

/// The engine's result: the pattern and the checks it could not make pass (cells given
/// away by outputs published earlier, which no new blank can take back).
pub struct Protected {
    pub pattern: Pattern,
    pub unresolved: Vec<Check>,
}

/// Adds secondary blanks to `pattern` until every blank cell passes the audit. `fixed`
/// cells (published earlier) keep their status.
pub fn protect(audit: &Audit, mut pattern: Pattern, fixed: &[bool]) -> Protected {
    let cells = audit.cells.len();
    let mut pending: VecDeque<(usize, Layer)> = layers(pattern.m)
        .flat_map(|layer| (0..cells).map(move |c| (c, layer)))
        .filter(|&(c, layer)| pattern.blank(c, layer).is_some())
        .collect();
    let mut unresolved = Vec::new();
    while let Some((cell, layer)) = pending.pop_front() {
        loop {
            let check = audit.passes(&pattern, cell, layer, Scope::LocalThenFull);
            if check.passed() {
                break;
            }
            let action = action_for(&pattern, cell, layer);
            let candidates = candidates(audit, &pattern, fixed, cell, layer, &check);
            let works = |w: usize| {
                let mut trial = pattern.clone();
                apply(&mut trial, w, action, audit);
                // A partner whose own value still follows from published cells (a
                // pooled period's group beside its years) protects nothing.
                audit.passes(&trial, cell, layer, Scope::Local).passed()
                    && audit.passes(&trial, w, layer, Scope::Local).passed()
            };
            // Groups holding the failing one (its förvaltning, the whole kommun) are the
            // last resort: when no sibling protects it at once, the nearest sibling is
            // blanked and gets partners of its own, so the total row is not given up.
            let own = &audit.cells.atoms[cell];
            let holds = |w: usize| is_subset(own, &audit.cells.atoms[w]);
            let chosen = candidates
                .iter()
                .filter(|c| !holds(c.cell))
                .take(MAX_TRIALS)
                .map(|c| c.cell)
                .find(|&w| works(w))
                .or_else(|| {
                    candidates
                        .iter()
                        .find(|c| c.near && !holds(c.cell))
                        .map(|c| c.cell)
                })
                .or_else(|| {
                    let holders = candidates.iter().filter(|c| holds(c.cell));
                    holders.take(MAX_TRIALS).map(|c| c.cell).find(|&w| works(w))
                })
                .or_else(|| candidates.first().map(|c| c.cell));
            let Some(partner) = chosen else {
                unresolved.push(check);
                break;
            };
            let before = pattern.clone();
            apply(&mut pattern, partner, action, audit);
            // Blanks only remove what the attacker knows, so earlier passes hold; except a
            // value at zero excused by a published group holding it, which a new blank of
            // that group takes away: the blanks inside the new ones are checked again.
            let newly = pattern.newly_blank(&before);
            for &(w, layer) in &newly {
                let inside = (0..cells).filter(|&c| {
                    c != w
                        && pattern.blank(c, layer).is_some()
                        && is_subset(&audit.cells.atoms[c], &audit.cells.atoms[w])
                });
                pending.extend(inside.map(|c| (c, layer)));
            }
            pending.extend(newly);
        }
    }
    Protected {
        pattern,
        unresolved,
    }
}

fn action_for(pattern: &Pattern, cell: usize, layer: Layer) -> Action {
    match layer {
        _ if pattern.unit[cell].is_some() => Action::Unit,
        Layer::Respondents => Action::Unit,
        Layer::Mean(j) => Action::Measure(j),
        Layer::Distribution(j) if pattern.mean[cell * pattern.m + j].is_some() => {
            Action::Measure(j)
        }
        Layer::Distribution(_) if pattern.all_distributions_blank(cell) => Action::AllDistributions,
        Layer::Distribution(j) => Action::Distribution(j),
    }
}

fn apply(pattern: &mut Pattern, cell: usize, action: Action, audit: &Audit) {
    let pooled = |j: usize| audit.values.measures[j].pooled_by.as_slice();
    match action {
        Action::Unit => pattern.blank_unit(cell, Blank::Secondary),
        Action::Measure(j) => pattern.blank_measure(cell, j, Blank::Secondary, pooled(j)),
        Action::Distribution(j) => pattern.blank_distribution(cell, j, Blank::Secondary, pooled(j)),
        Action::AllDistributions => {
            for j in 0..pattern.m {
                pattern.blank_distribution(cell, j, Blank::Secondary, pooled(j));
            }
        }
    }
}

/// A cell that could partner a failing one; `near`: in one of the smallest visible
/// equations that hold part of it (a sibling, its parent).
struct Candidate {
    cell: usize,
    near: bool,
}

/// Visible, not yet published cells whose blanking can widen `cell`'s interval: the cells
/// of the smallest visible equations that hold part of it (its parent and siblings, its
/// children, the other margins it crosses), nearest and cheapest first.
fn candidates(
    audit: &Audit,
    pattern: &Pattern,
    fixed: &[bool],
    cell: usize,
    layer: Layer,
    check: &Check,
) -> Vec<Candidate> {
    let all = &audit.cells.atoms;
    let own = &all[cell];
    let visible = |w: usize| pattern.blank(w, layer).is_none();
    let touching: Vec<usize> = (0..all.len())
        .filter(|&e| e != cell && visible(e) && overlaps(&all[e], own))
        .collect();
    let overlap = |e: usize| -> Vec<u32> {
        all[e]
            .iter()
            .copied()
            .filter(|x| own.binary_search(x).is_ok())
            .collect()
    };
    // An equation that strictly holds a smaller one over the same part of `cell` adds no
    // partner the smaller one does not offer more cheaply.
    let minimal: Vec<usize> = touching
        .iter()
        .copied()
        .filter(|&e| {
            let part = overlap(e);
            !touching.iter().any(|&f| {
                f != e
                    && all[f].len() < all[e].len()
                    && is_subset(&all[f], &all[e])
                    && is_subset(&part, &all[f])
            })
        })
        .collect();
    let respondents = |w: usize| -> u64 {
        all[w]
            .iter()
            .map(|&a| audit.values.respondents[a as usize])
            .sum()
    };
    let need = check
        .intervals
        .iter()
        .filter(|i| !i.passed && i.required >= 1.0)
        .map(|i| (i.required - (i.high - i.low)).max(0.0).ceil() as u64)
        .max()
        .unwrap_or(1);
    // A partner nested inside another visible cell of the same equation is tried after
    // the cells directly under it (a cousin does not free an uncle's count).
    let deep = |w: usize| {
        minimal
            .iter()
            .filter(|&&e| is_subset(&all[w], &all[e]))
            .all(|&e| {
                (0..all.len()).any(|v| {
                    v != w
                        && v != e
                        && visible(v)
                        && all[w].len() < all[v].len()
                        && all[v].len() < all[e].len()
                        && is_subset(&all[w], &all[v])
                        && is_subset(&all[v], &all[e])
                })
            })
    };
    // Cells of the nearest equations first; then any other cell of an equation the cell is
    // part of (a crossed margin's other categories: kön = Annat is the total minus the
    // others).
    // A cell made up of visible cells (a pooled period's group whose years are shown)
    // hides nothing when blanked: tried last.
    let made_of_visible = |w: usize| {
        all[w].iter().all(|a| {
            (0..all.len()).any(|v| {
                v != w
                    && visible(v)
                    && all[v].binary_search(a).is_ok()
                    && is_subset(&all[v], &all[w])
            })
        })
    };
    let mut out: Vec<(bool, bool, bool, bool, u64, usize)> = (0..all.len())
        .filter(|&w| w != cell && !fixed[w] && visible(w))
        .filter_map(|w| {
            let near = minimal.iter().any(|&e| is_subset(&all[w], &all[e]));
            let linked = near || touching.iter().any(|&e| is_subset(&all[w], &all[e]));
            linked.then(|| {
                let r = respondents(w);
                (!near, made_of_visible(w), near && deep(w), r < need, r, w)
            })
        })
        .collect();
    out.sort_unstable();
    out.into_iter()
        .map(|(far, .., w)| Candidate {
            cell: w,
            near: !far,
        })
        .collect()
}
