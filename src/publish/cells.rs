//! Linked tables as cells over atoms.
//!
//! Every published number of a publication is a sum over respondents, so every cell (a group
//! of any table: a förvaltning, an enhet × kön, a year, a pooled period) is a union of
//! *atoms*, the finest groups that all its groupings cut the answers into. Two cells with
//! the same atoms are the same cell, whatever their keys: they get one status everywhere.
//! The linear relations between tables (hierarchy sums, crossed margins, several `by`,
//! pooled years) follow from the atom sets alone.

use std::collections::HashMap;

/// Cells as sorted atom sets; identical sets are one cell.
#[derive(Debug, Clone, Default)]
pub struct Cells {
    pub atoms: Vec<Vec<u32>>,
    lookup: HashMap<Vec<u32>, usize>,
}

impl Cells {
    /// The cell of these atoms, added if new.
    pub fn add(&mut self, mut atoms: Vec<u32>) -> usize {
        atoms.sort_unstable();
        atoms.dedup();
        if let Some(&c) = self.lookup.get(&atoms) {
            return c;
        }
        let c = self.atoms.len();
        self.lookup.insert(atoms.clone(), c);
        self.atoms.push(atoms);
        c
    }

    pub fn len(&self) -> usize {
        self.atoms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.atoms.is_empty()
    }
}

/// Whether two sorted atom sets share an atom.
pub fn overlaps(a: &[u32], b: &[u32]) -> bool {
    a.iter().any(|x| b.binary_search(x).is_ok())
}

/// Whether sorted atom set `a` lies inside `b`.
pub fn is_subset(a: &[u32], b: &[u32]) -> bool {
    a.len() <= b.len() && a.iter().all(|x| b.binary_search(x).is_ok())
}

/// The true values of every atom (never published): what an attacker tries to recover.
#[derive(Debug, Clone, Default)]
pub struct AtomValues {
    pub respondents: Vec<u64>,
    pub measures: Vec<AtomMeasure>,
    /// Only the counts are known (outputs whose numbers are not additive sums of scores,
    /// such as design-weighted domain estimates): the auditor checks counts alone.
    pub counts_only: bool,
}

/// One measure's additive quantities per atom, unweighted.
#[derive(Debug, Clone, Default)]
pub struct AtomMeasure {
    /// Respondents with a value.
    pub n: Vec<u64>,
    /// Sum of the values on the 0–1 scale (score / highest score), so 0 ≤ sum ≤ n.
    pub sum: Vec<f64>,
    /// Answers behind the percentages (pooled over the items of a dimension or the index).
    pub answers: Vec<u64>,
    pub positive: Vec<u64>,
    pub neutral: Vec<u64>,
    /// Measures whose percentages pool this measure's answers (an item's dimensions and
    /// index): when this measure is blanked in a cell, their percentages are blanked too.
    pub pooled_by: Vec<usize>,
}

impl AtomMeasure {
    pub fn negative(&self, atom: usize) -> u64 {
        self.answers[atom] - self.positive[atom] - self.neutral[atom]
    }
}

/// The thresholds of one cell (the strictest of the tables it appears in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellPolicy {
    /// Respondents a cell needs for its means, indices and counts.
    pub min_group: u64,
    /// Respondents a cell needs for its answer distribution (percent positive/neutral/negative).
    pub min_distribution: u64,
    /// Shown as a row of some table (so an attacker knows it has at least one respondent).
    pub row: bool,
}

impl CellPolicy {
    pub fn stricter(self, other: CellPolicy) -> CellPolicy {
        CellPolicy {
            min_group: self.min_group.max(other.min_group),
            min_distribution: self.min_distribution.max(other.min_distribution),
            row: self.row || other.row,
        }
    }
}
