//! The auditor: what an attacker who holds every published number of a publication can
//! find out about each blanked cell, solved as linear and integer programmes (microlp).
//!
//! The attacker's model, per *layer* (respondent counts; per measure its answer counts and
//! sums; per measure its answer distribution): one unknown per atom and quantity, whole
//! numbers ≥ 0 for counts, `0 ≤ sum ≤ n` for sums on the 0–1 scale, one equation per
//! visible cell and quantity, `≥ 1` respondent for every blanked row (a row shows that the
//! group exists), and the answers behind a visible mean where only its distribution is
//! blanked. Atoms pinned by an equation with one unknown are substituted first (what a
//! visible leaf gives away); each blanked cell's interval is then the minimum and maximum
//! of its quantity over the rest, restricted to the atoms linked to it.
//!
//! The protection rule: a small (primary) blanked cell's count must keep an interval at
//! least `min_group` wide; no blanked cell's sum may be determined, nor its shortfall from
//! the highest score (a mean pinned at the top), nor any of its distribution counts.

use super::cells::{is_subset, overlaps, AtomValues, CellPolicy, Cells};
use super::engine::Pattern;
use microlp::{ComparisonOp, OptimizationDirection, Problem};

/// A linked system of equations: the respondents, or one measure's means or distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layer {
    Respondents,
    Mean(usize),
    Distribution(usize),
}

/// What an attacker's interval is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    Respondents,
    Answers,
    /// Sum of the values on the 0–1 scale.
    Sum,
    /// `n − sum`: zero when every value is the highest possible.
    ShortOfMax,
    Positive,
    Neutral,
    Negative,
}

impl Quantity {
    pub fn as_str(self) -> &'static str {
        match self {
            Quantity::Respondents => "respondents",
            Quantity::Answers => "answers",
            Quantity::Sum => "sum",
            Quantity::ShortOfMax => "short_of_max",
            Quantity::Positive => "positive",
            Quantity::Neutral => "neutral",
            Quantity::Negative => "negative",
        }
    }
}

/// The attacker's interval for one quantity of one blanked cell, and the rule it must meet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub quantity: Quantity,
    pub value: f64,
    pub low: f64,
    pub high: f64,
    /// Width the rule asks for: `min_group` for a small cell's count, else "more than 0".
    pub required: f64,
    pub passed: bool,
}

/// The intervals of one blanked cell in one layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub cell: usize,
    pub layer: Layer,
    pub intervals: Vec<Interval>,
}

impl Check {
    pub fn passed(&self) -> bool {
        self.intervals.iter().all(|i| i.passed)
    }
}

/// A sum counts as determined when its interval is narrower than this (0–1 scale).
const DETERMINED: f64 = 1e-6;

/// Everything the auditor needs about a publication.
pub struct Audit<'a> {
    pub cells: &'a Cells,
    pub values: &'a AtomValues,
    pub policy: &'a [CellPolicy],
}

/// One equation (or `≥` row bound) over atoms.
struct Equation {
    atoms: Vec<u32>,
    /// Only the total of the layer's quantities is known (the answers behind a visible
    /// mean whose distribution is blank); otherwise one equation per quantity.
    total_only: bool,
    /// Not an equation: the row shows the group has at least one respondent.
    at_least_one: bool,
}

/// The attacker's system for one layer under a pattern.
struct System<'a> {
    audit: &'a Audit<'a>,
    layer: Layer,
    equations: Vec<Equation>,
    known: Vec<bool>,
    /// Equations each atom appears in.
    incidence: Vec<Vec<usize>>,
    /// The cells blank in this layer.
    blank: Vec<usize>,
}

impl Audit<'_> {
    fn n_atoms(&self) -> usize {
        self.values.respondents.len()
    }

    /// Every interval of one blanked cell of one layer under `pattern` (the audit table):
    /// over its neighbourhood when that passes (the attacker's true interval holds it),
    /// over the whole system otherwise.
    pub fn check(&self, pattern: &Pattern, cell: usize, layer: Layer) -> Check {
        System::new(self, pattern, layer).check(pattern, cell, Scope::LocalThenFull, false)
    }

    /// Whether one blanked cell passes, as far as `scope` reaches; stops at the first
    /// failing interval.
    pub(crate) fn passes(
        &self,
        pattern: &Pattern,
        cell: usize,
        layer: Layer,
        scope: Scope,
    ) -> Check {
        System::new(self, pattern, layer).check(pattern, cell, scope, true)
    }

    /// Checks every blanked cell of every layer over the whole system.
    pub fn check_all(&self, pattern: &Pattern) -> Vec<Check> {
        let mut out = Vec::new();
        for layer in layers(pattern.m) {
            let system = System::new(self, pattern, layer);
            for cell in 0..self.cells.len() {
                if pattern.blank(cell, layer).is_some() {
                    out.push(system.check(pattern, cell, Scope::LocalThenFull, false));
                }
            }
        }
        out
    }

    /// The true value of `quantity` in `cell` of `layer`.
    fn value(&self, layer: Layer, q: Quantity, atoms: &[u32]) -> f64 {
        atoms
            .iter()
            .map(|&a| self.atom_value(layer, q, a as usize))
            .sum()
    }

    fn atom_value(&self, layer: Layer, q: Quantity, a: usize) -> f64 {
        let v = self.values;
        match (layer, q) {
            (Layer::Respondents, _) => v.respondents[a] as f64,
            (Layer::Mean(j), Quantity::Sum) => v.measures[j].sum[a],
            (Layer::Mean(j), Quantity::ShortOfMax) => {
                v.measures[j].n[a] as f64 - v.measures[j].sum[a]
            }
            (Layer::Mean(j), _) => v.measures[j].n[a] as f64,
            (Layer::Distribution(j), Quantity::Positive) => v.measures[j].positive[a] as f64,
            (Layer::Distribution(j), Quantity::Neutral) => v.measures[j].neutral[a] as f64,
            (Layer::Distribution(j), Quantity::Negative) => v.measures[j].negative(a) as f64,
            (Layer::Distribution(j), _) => v.measures[j].answers[a] as f64,
        }
    }
}

/// The layers of a publication of `m` measures, in checking order.
pub fn layers(m: usize) -> impl Iterator<Item = Layer> {
    std::iter::once(Layer::Respondents)
        .chain((0..m).map(Layer::Mean))
        .chain((0..m).map(Layer::Distribution))
}

/// The unknowns per atom of a layer: (quantity, whole number).
fn unknowns(layer: Layer) -> &'static [(Quantity, bool)] {
    match layer {
        Layer::Respondents => &[(Quantity::Respondents, true)],
        Layer::Mean(_) => &[(Quantity::Answers, true), (Quantity::Sum, false)],
        Layer::Distribution(_) => &[
            (Quantity::Positive, true),
            (Quantity::Neutral, true),
            (Quantity::Negative, true),
        ],
    }
}

impl<'a> System<'a> {
    fn new(audit: &'a Audit<'a>, pattern: &Pattern, layer: Layer) -> Self {
        let mut equations = Vec::new();
        let mut blank = Vec::new();
        for (cell, atoms) in audit.cells.atoms.iter().enumerate() {
            if pattern.blank(cell, layer).is_some() {
                blank.push(cell);
            }
            let eq = |total_only, at_least_one| Equation {
                atoms: atoms.clone(),
                total_only,
                at_least_one,
            };
            match pattern.blank(cell, layer) {
                None => equations.push(eq(false, false)),
                Some(_) => match layer {
                    Layer::Respondents if audit.policy[cell].row => equations.push(eq(false, true)),
                    // A visible mean publishes its answers though its distribution is blank.
                    Layer::Distribution(j) if pattern.mean[cell * pattern.m + j].is_none() => {
                        equations.push(eq(true, false))
                    }
                    _ => {}
                },
            }
        }
        let mut incidence = vec![Vec::new(); audit.n_atoms()];
        for (e, eq) in equations.iter().enumerate() {
            for &a in &eq.atoms {
                incidence[a as usize].push(e);
            }
        }
        let mut system = System {
            audit,
            layer,
            equations,
            known: vec![false; audit.n_atoms()],
            incidence,
            blank,
        };
        system.propagate();
        system
    }

    /// Marks atoms pinned by a full equation with a single unknown atom, until none is left.
    fn propagate(&mut self) {
        let mut unknown_count: Vec<usize> = self.equations.iter().map(|e| e.atoms.len()).collect();
        let mut queue: Vec<usize> = (0..self.equations.len())
            .filter(|&e| self.is_full(e) && unknown_count[e] == 1)
            .collect();
        while let Some(e) = queue.pop() {
            let Some(&a) = self.equations[e]
                .atoms
                .iter()
                .find(|&&a| !self.known[a as usize])
            else {
                continue;
            };
            self.known[a as usize] = true;
            for &f in &self.incidence[a as usize] {
                unknown_count[f] -= 1;
                if unknown_count[f] == 1 && self.is_full(f) {
                    queue.push(f);
                }
            }
        }
    }

    fn is_full(&self, e: usize) -> bool {
        let eq = &self.equations[e];
        !eq.total_only && !eq.at_least_one
    }

    /// The unknown atoms linked to `start` through equations, and those equations.
    fn component(&self, start: &[u32]) -> (Vec<u32>, Vec<usize>) {
        let mut seen_atom = std::collections::HashSet::new();
        let mut seen_eq = std::collections::BTreeSet::new();
        let mut stack: Vec<u32> = start
            .iter()
            .copied()
            .filter(|&a| !self.known[a as usize])
            .collect();
        while let Some(a) = stack.pop() {
            if !seen_atom.insert(a) {
                continue;
            }
            for &e in &self.incidence[a as usize] {
                if seen_eq.insert(e) {
                    stack.extend(
                        self.equations[e]
                            .atoms
                            .iter()
                            .copied()
                            .filter(|&b| !self.known[b as usize] && !seen_atom.contains(&b)),
                    );
                }
            }
        }
        let mut atoms: Vec<u32> = seen_atom.into_iter().collect();
        atoms.sort_unstable();
        (atoms, seen_eq.into_iter().collect())
    }

    /// The cell's unknown atoms, those of the blank cells overlapping it (a blank parent,
    /// blank children) and those of the small equations all of them are part of; every
    /// other atom is held at its true value. Intervals over this neighbourhood are never
    /// wider than over the whole system, so a pass here is a pass.
    fn neighbourhood(&self, start: &[u32]) -> (Vec<u32>, Vec<usize>) {
        let cells = &self.audit.cells.atoms;
        let mut seeds: Vec<u32> = start.to_vec();
        let small_blank = |b: usize| cells[b].len() <= LOCAL_EQUATION_ATOMS;
        for &b in &self.blank {
            if small_blank(b) && overlaps(&cells[b], start) {
                seeds.extend(cells[b].iter().copied());
            }
        }
        // The blank partners: small blank cells in the equations the cell is part of,
        // nearest (smallest equation) first, within a budget.
        let mut touching = self.equations_of(start);
        touching.sort_by_key(|&e| self.equations[e].atoms.len());
        for e in touching {
            if seeds.len() >= LOCAL_BUDGET {
                break;
            }
            let eq = &self.equations[e].atoms;
            for &b in &self.blank {
                if seeds.len() >= LOCAL_BUDGET {
                    break;
                }
                if small_blank(b) && overlaps(&cells[b], eq) {
                    seeds.extend(cells[b].iter().copied());
                }
            }
        }
        seeds.sort_unstable();
        seeds.dedup();
        let mut atoms: Vec<u32> = seeds.clone();
        for &a in &seeds {
            for &e in &self.incidence[a as usize] {
                let eq = &self.equations[e].atoms;
                if eq.len() <= LOCAL_EQUATION_ATOMS {
                    atoms.extend(eq.iter().copied());
                }
            }
        }
        atoms.retain(|&a| !self.known[a as usize]);
        atoms.sort_unstable();
        atoms.dedup();
        let equations = self.equations_of(&atoms);
        (atoms, equations)
    }

    /// The equations any of `atoms` is part of, each once.
    fn equations_of(&self, atoms: &[u32]) -> Vec<usize> {
        let mut out: Vec<usize> = atoms
            .iter()
            .flat_map(|&a| self.incidence[a as usize].iter().copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    fn check(&self, pattern: &Pattern, cell: usize, scope: Scope, early_exit: bool) -> Check {
        let atoms = &self.audit.cells.atoms[cell];
        let local = || {
            let (free, equations) = self.neighbourhood(atoms);
            self.intervals(pattern, cell, &free, &equations, early_exit)
        };
        let full = || {
            let (free, equations) = self.component(atoms);
            self.intervals(pattern, cell, &free, &equations, early_exit)
        };
        match scope {
            Scope::Local => local(),
            Scope::LocalThenFull => {
                let first = local();
                if first.passed() {
                    first
                } else {
                    full()
                }
            }
        }
    }

    /// The quantities a blanked cell of this layer must keep uncertain: (quantity, width
    /// asked for, exempt when pinned at zero).
    fn rules(&self, pattern: &Pattern, cell: usize) -> Vec<(Quantity, f64, bool)> {
        // A group with nobody in it (a total of no answers) holds nothing to protect.
        let people = self.audit.value(
            Layer::Respondents,
            Quantity::Respondents,
            &self.audit.cells.atoms[cell],
        );
        if people == 0.0 {
            return Vec::new();
        }
        let small = pattern.is_primary(cell, self.layer);
        let count_width = self.audit.policy[cell].min_group as f64;
        let counts_only = self.audit.values.counts_only;
        match self.layer {
            Layer::Respondents if small => vec![(Quantity::Respondents, count_width, false)],
            Layer::Respondents => Vec::new(),
            Layer::Mean(_) if counts_only && small => vec![(Quantity::Answers, count_width, false)],
            Layer::Mean(_) | Layer::Distribution(_) if counts_only => Vec::new(),
            Layer::Mean(_) => {
                let mut out = Vec::new();
                if small {
                    out.push((Quantity::Answers, count_width, false));
                }
                // A large blanked group pinned at no answers holds nothing to reveal.
                out.push((Quantity::Sum, 0.0, !small));
                out.push((Quantity::ShortOfMax, 0.0, !small));
                out
            }
            Layer::Distribution(_) => [Quantity::Positive, Quantity::Neutral, Quantity::Negative]
                .into_iter()
                .map(|q| (q, 0.0, false))
                .collect(),
        }
    }

    /// The attacker's intervals for `cell` with the `free` atoms unknown (the others at their
    /// true values); with `early_exit`, stops at the first interval that fails.
    fn intervals(
        &self,
        pattern: &Pattern,
        cell: usize,
        free: &[u32],
        equations: &[usize],
        early_exit: bool,
    ) -> Check {
        let audit = self.audit;
        let layer = self.layer;
        let atoms = &audit.cells.atoms[cell];
        let lp = Lp::new(self, free, equations);
        let in_lp: Vec<usize> = atoms.iter().filter_map(|&a| lp.position(a)).collect();
        let fixed = |q: Quantity| -> f64 {
            atoms
                .iter()
                .filter(|&&a| lp.position(a).is_none())
                .map(|&a| audit.atom_value(layer, q, a as usize))
                .sum()
        };
        let mut out = Vec::new();
        for (q, required, exempt_when_zero) in self.rules(pattern, cell) {
            let value = audit.value(layer, q, atoms);
            let known = fixed(q);
            // Passing checks can stop at the maximum when it is already far enough from
            // the true value (the usual case); the audit table wants both ends.
            let enough = if required >= 1.0 {
                required
            } else {
                DETERMINED * 10.0
            };
            let (low, high) = if early_exit {
                lp.range_until(q, &in_lp, value - known, enough)
            } else {
                lp.range(q, &in_lp)
            };
            let (low, high) = (low + known, high + known);
            let width = high - low;
            let passed = if required >= 1.0 {
                width >= required - 1e-9
            } else {
                width > DETERMINED
                    || (high <= DETERMINED
                        && (exempt_when_zero || self.zero_in_visible_group(cell, q)))
            };
            out.push(Interval {
                quantity: q,
                value,
                low,
                high,
                required,
                passed,
            });
            if !passed && early_exit {
                break;
            }
        }
        // Nothing to protect in a distribution whose answers are known to be none.
        if matches!(layer, Layer::Distribution(_)) && out.iter().any(|i| !i.passed) {
            let (_, high) = lp.range(Quantity::Answers, &in_lp);
            if high + fixed(Quantity::Answers) <= DETERMINED {
                for i in &mut out {
                    i.passed = true;
                }
            }
        }
        Check {
            cell,
            layer,
            intervals: out,
        }
    }
}

impl System<'_> {
    /// A value pinned at zero (no positive answers, nobody below the top score) that a
    /// published group holding the cell shows too: the published group says it of every
    /// member, so no blank can take it back, and blanking more would protect nothing.
    fn zero_in_visible_group(&self, cell: usize, q: Quantity) -> bool {
        let atoms = &self.audit.cells.atoms[cell];
        self.equations.iter().any(|eq| {
            !eq.total_only
                && !eq.at_least_one
                && is_subset(atoms, &eq.atoms)
                && self.audit.value(self.layer, q, &eq.atoms) <= DETERMINED
        })
    }
}

/// How far the attacker's programme reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// The cell's neighbourhood only, every other atom at its true value: cheap, and a
    /// pass here is a pass.
    Local,
    /// Local, and the whole component only when the neighbourhood does not pass.
    LocalThenFull,
}

/// Equations of at most this many atoms make up a cell's neighbourhood (its parent and
/// siblings in a small förvaltning, its own background split). Larger equations still
/// constrain the neighbourhood, with their other atoms at their true values. Measured on
/// Exempelkommun with a kön margin: 16 atoms checks 12× faster than 64 with the same
/// blanks (bench/RESULTS.md).
const LOCAL_EQUATION_ATOMS: usize = 16;

/// Atoms of blank partners taken into a neighbourhood before its small equations.
const LOCAL_BUDGET: usize = 24;

/// Bound of a whole-number unknown, far above any group; an interval reaching it is open.
const OPEN: f64 = 1e8;

/// The attacker's programme over some atoms: variables per atom and quantity.
///
/// Solved as a linear programme and rounded inward for whole-number objectives. For the
/// constraint matrices of a hierarchy with one crossing (two laminar families of cells,
/// a network matrix) the linear bounds are the integer ones; the test suite's attacker
/// solves the integer programme to check that.
/// One constraint: terms (variable, coefficient), comparison, right-hand side.
type Constraint = (Vec<(usize, f64)>, ComparisonOp, f64);

struct Lp {
    layer: Layer,
    atoms: Vec<u32>,
    constraints: Vec<Constraint>,
    n_vars: usize,
    integer: Vec<bool>,
}

impl Lp {
    /// The programme over the `free` atoms; atoms outside it enter at their true values.
    fn new(system: &System<'_>, free: &[u32], equations: &[usize]) -> Self {
        let layer = system.layer;
        let per = unknowns(layer);
        let k = per.len();
        let position = |a: u32| free.binary_search(&a).ok();
        let audit = system.audit;
        let value = |q: Quantity, atoms: &[u32]| -> f64 {
            atoms
                .iter()
                .map(|&a| audit.atom_value(layer, q, a as usize))
                .sum()
        };
        let mut constraints = Vec::new();
        for &e in equations {
            let eq = &system.equations[e];
            let (inside, outside): (Vec<u32>, Vec<u32>) =
                eq.atoms.iter().partition(|&&a| position(a).is_some());
            if inside.is_empty() {
                continue;
            }
            let slots: Vec<usize> = inside.iter().filter_map(|&a| position(a)).collect();
            if eq.at_least_one {
                // At least one respondent in the row, whatever the other atoms hold.
                let rest = value(Quantity::Respondents, &outside);
                if rest < 1.0 {
                    let terms = slots.iter().map(|&i| (i * k, 1.0)).collect();
                    constraints.push((terms, ComparisonOp::Ge, 1.0 - rest));
                }
                continue;
            }
            if eq.total_only {
                let terms = slots
                    .iter()
                    .flat_map(|&i| (0..k).map(move |q| (i * k + q, 1.0)))
                    .collect();
                constraints.push((terms, ComparisonOp::Eq, value(Quantity::Answers, &inside)));
                continue;
            }
            for (q, (quantity, _)) in per.iter().enumerate() {
                let terms = slots.iter().map(|&i| (i * k + q, 1.0)).collect();
                constraints.push((terms, ComparisonOp::Eq, value(*quantity, &inside)));
            }
        }
        if let Layer::Mean(_) = layer {
            // 0 ≤ sum ≤ n on the 0–1 scale.
            for i in 0..free.len() {
                constraints.push((vec![(i * k + 1, 1.0), (i * k, -1.0)], ComparisonOp::Le, 0.0));
            }
        }
        let integer = (0..free.len() * k).map(|v| per[v % k].1).collect();
        Lp {
            layer,
            atoms: free.to_vec(),
            constraints,
            n_vars: free.len() * k,
            integer,
        }
    }

    fn position(&self, atom: u32) -> Option<usize> {
        self.atoms.binary_search(&atom).ok()
    }

    /// The objective coefficients of `q` summed over the atoms at `slots`.
    fn objective(&self, q: Quantity, slots: &[usize]) -> Vec<(usize, f64)> {
        let k = unknowns(self.layer).len();
        let mut terms = Vec::new();
        for &i in slots {
            match (self.layer, q) {
                (Layer::Mean(_), Quantity::Sum) => terms.push((i * k + 1, 1.0)),
                (Layer::Mean(_), Quantity::ShortOfMax) => {
                    terms.push((i * k, 1.0));
                    terms.push((i * k + 1, -1.0));
                }
                (Layer::Distribution(_), Quantity::Positive) => terms.push((i * k, 1.0)),
                (Layer::Distribution(_), Quantity::Neutral) => terms.push((i * k + 1, 1.0)),
                (Layer::Distribution(_), Quantity::Negative) => terms.push((i * k + 2, 1.0)),
                (Layer::Distribution(_), _) => terms.extend((0..k).map(|q| (i * k + q, 1.0))),
                _ => terms.push((i * k, 1.0)),
            }
        }
        terms
    }

    /// The attacker's minimum and maximum of `q` over the atoms at `slots`.
    fn range(&self, q: Quantity, slots: &[usize]) -> (f64, f64) {
        // NaN is never "enough": both ends are solved.
        self.range_until(q, slots, 0.0, f64::NAN)
    }

    /// As `range`, but the minimum is taken as the true value (`at`) when the maximum is
    /// already `enough` above it: the interval is then wide enough, whatever its low end.
    fn range_until(&self, q: Quantity, slots: &[usize], at: f64, enough: f64) -> (f64, f64) {
        if slots.is_empty() {
            return (0.0, 0.0);
        }
        let objective = self.objective(q, slots);
        let whole = objective.iter().all(|&(v, _)| self.integer[v]);
        let mut high = self.solve(&objective, OptimizationDirection::Maximize);
        if whole {
            high = (high + 1e-6).floor();
        }
        if high - at >= enough {
            return (at, high);
        }
        let low = self.solve(&objective, OptimizationDirection::Minimize);
        let low = if whole { (low - 1e-6).ceil() } else { low };
        (low, high)
    }

    fn solve(&self, objective: &[(usize, f64)], direction: OptimizationDirection) -> f64 {
        let mut coef = vec![0.0; self.n_vars];
        for &(v, c) in objective {
            coef[v] += c;
        }
        let mut problem = Problem::new(direction);
        let vars: Vec<_> = (0..self.n_vars)
            .map(|v| problem.add_var(coef[v], (0.0, OPEN)))
            .collect();
        for (terms, op, rhs) in &self.constraints {
            let terms: Vec<_> = terms.iter().map(|&(v, c)| (vars[v], c)).collect();
            problem.add_constraint(terms.as_slice(), *op, *rhs);
        }
        let open = match direction {
            OptimizationDirection::Minimize => f64::NEG_INFINITY,
            OptimizationDirection::Maximize => f64::INFINITY,
        };
        match problem.solve().map(|outcome| outcome.into_solution()) {
            Ok(Ok(solution)) if solution.objective().abs() >= OPEN / 2.0 => open,
            Ok(Ok(solution)) => solution.objective(),
            Err(microlp::Error::Unbounded) => open,
            // A programme the solver cannot finish counts as failing (NaN compares false), so
            // the engine blanks more rather than trusting an unverified answer.
            _ => f64::NAN,
        }
    }
}
