//! The attack suite of the publication layer, at the kernel level: random organisations
//! (2–3 levels below the total, units of 0–15 people split by a background variable,
//! thresholds 3–10) published as a hierarchy, a background margin and a background
//! breakdown at once; an attacker of our own then solves, for every blanked cell, the
//! *integer* programme over all atoms (whole numbers ≥ 0, every published count and sum,
//! a row means at least one respondent) without the engine's shortcuts (no substitution,
//! no neighbourhoods, no relaxation), and must never narrow a small cell's count to within
//! the threshold nor determine a blanked sum or distribution count.

use lyhord::publish::audit::{layers, Audit, Layer};
use lyhord::publish::cells::{AtomMeasure, AtomValues, CellPolicy, Cells};
use lyhord::publish::engine::{protect, Blank, Pattern};
use lyhord::publish::publication::primary;
use microlp::{ComparisonOp, OptimizationDirection, Problem};
use proptest::prelude::*;

/// One random publication: cells over atoms, the atoms' true values, the thresholds.
#[derive(Debug, Clone)]
struct Case {
    cells: Cells,
    values: AtomValues,
    policy: Vec<CellPolicy>,
}

/// Förvaltningar → enheter → units, each unit (people, of whom in background A).
type Units = Vec<Vec<Vec<(u8, u8)>>>;
/// The units, `min_group`, how much higher the distribution threshold is, and whether the
/// units are a third level (else leaves of the second).
type Organisation = (Units, u64, u64, bool);

/// Random organisations; answers and their values are drawn in `build`.
fn organisation() -> impl Strategy<Value = Organisation> {
    let unit = (0u8..=15, 0u8..=8);
    let enheter = prop::collection::vec(prop::collection::vec(unit, 1..4), 1..4);
    (
        prop::collection::vec(enheter, 1..4),
        3u64..=10,
        0u64..=4,
        any::<bool>(),
    )
}

fn build((forv, k, extra, third): Organisation) -> Case {
    let mut rng = 0x9e3779b97f4a7c15u64;
    let mut next = move |m: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % m
    };
    // Atoms: (leaf path, background) with at least one person.
    let mut atom_paths: Vec<AtomPath> = Vec::new();
    let mut respondents = Vec::new();
    let mut measure = AtomMeasure::default();
    for (f, enheter) in forv.iter().enumerate() {
        for (e, grupper) in enheter.iter().enumerate() {
            for (g, &(people, women)) in grupper.iter().enumerate() {
                let path = if third {
                    vec![f, e, g]
                } else {
                    vec![f, e * 8 + g]
                };
                let women = (women.min(people)) as u64;
                for (b, count) in [(0usize, women), (1, people as u64 - women)] {
                    if count == 0 {
                        continue;
                    }
                    atom_paths.push((path.clone(), b));
                    respondents.push(count);
                    let n = count - next(count.min(2) + 1).min(count);
                    let values: Vec<u64> = (0..n).map(|_| next(5)).collect();
                    measure.n.push(n);
                    measure.sum.push(values.iter().sum::<u64>() as f64 / 4.0);
                    measure.answers.push(n);
                    measure
                        .positive
                        .push(values.iter().filter(|&&v| v >= 3).count() as u64);
                    measure
                        .neutral
                        .push(values.iter().filter(|&&v| v == 2).count() as u64);
                }
            }
        }
    }
    let mut cells = Cells::default();
    let add = |cells: &mut Cells, keep: &dyn Fn(&AtomPath) -> bool| {
        let atoms: Vec<u32> = (0..atom_paths.len() as u32)
            .filter(|&a| keep(&atom_paths[a as usize]))
            .collect();
        if !atoms.is_empty() {
            cells.add(atoms);
        }
    };
    // The hierarchy: total and every prefix of the leaf path; then the background margin
    // (total × background) and the breakdown (leaf × background).
    add(&mut cells, &|_| true);
    let mut prefixes: Vec<Vec<usize>> = atom_paths
        .iter()
        .flat_map(|(p, _)| (1..=p.len()).map(move |l| p[..l].to_vec()))
        .collect();
    prefixes.sort();
    prefixes.dedup();
    for prefix in &prefixes {
        add(&mut cells, &|(p, _)| p.starts_with(prefix));
    }
    for b in 0..2 {
        add(&mut cells, &|&(_, bb)| bb == b);
    }
    let leaves: Vec<Vec<usize>> = prefixes
        .iter()
        .filter(|p| p.len() == atom_paths[0].0.len())
        .cloned()
        .collect();
    for leaf in &leaves {
        for b in 0..2 {
            add(&mut cells, &|(p, bb)| p == leaf && *bb == b);
        }
    }
    let policy = vec![
        CellPolicy {
            min_group: k,
            min_distribution: k + extra,
            row: true,
        };
        cells.len()
    ];
    Case {
        cells,
        values: AtomValues {
            respondents,
            measures: vec![measure],
            counts_only: false,
        },
        policy,
    }
}

/// A unit's place (its path of indices) and background category: what an atom is.
type AtomPath = (Vec<usize>, usize);

/// The attacker: min and max of a quantity of `cell` over the integer programme of the
/// whole layer. Returns (low, high); infinite when unbounded.
#[allow(clippy::needless_range_loop)] // q indexes both the unknowns and the truth
fn attack(
    case: &Case,
    pattern: &Pattern,
    layer: Layer,
    cell: usize,
    quantity: usize,
) -> (f64, f64) {
    let atoms = case.values.respondents.len();
    let m = &case.values.measures[0];
    // Unknowns per atom: respondents: [r]; mean: [n, s·4 (whole: values are quarters)];
    // distribution: [positive, neutral, negative].
    let per = match layer {
        Layer::Respondents => 1,
        Layer::Mean(_) => 2,
        Layer::Distribution(_) => 3,
    };
    let truth = |a: usize, q: usize| -> f64 {
        match (layer, q) {
            (Layer::Respondents, _) => case.values.respondents[a] as f64,
            (Layer::Mean(_), 0) => m.n[a] as f64,
            (Layer::Mean(_), _) => m.sum[a] * 4.0,
            (Layer::Distribution(_), 0) => m.positive[a] as f64,
            (Layer::Distribution(_), 1) => m.neutral[a] as f64,
            (Layer::Distribution(_), _) => (m.answers[a] - m.positive[a] - m.neutral[a]) as f64,
        }
    };
    let solve = |direction| {
        let mut p = Problem::new(direction);
        let coef = |a: usize, q: usize| -> f64 {
            let inside = case.cells.atoms[cell].contains(&(a as u32));
            match (layer, quantity) {
                _ if !inside => 0.0,
                // quantity 3 in the mean layer: n·4 − s·4 (distance from the top score)
                (Layer::Mean(_), 3) => {
                    if q == 0 {
                        4.0
                    } else {
                        -1.0
                    }
                }
                _ if q == quantity => 1.0,
                _ => 0.0,
            }
        };
        let vars: Vec<Vec<_>> = (0..atoms)
            .map(|a| {
                (0..per)
                    .map(|q| p.add_integer_var(coef(a, q), (0, 10_000)))
                    .collect()
            })
            .collect();
        for (c, cell_atoms) in case.cells.atoms.iter().enumerate() {
            let blank = pattern.blank(c, layer).is_some();
            if !blank {
                for q in 0..per {
                    let terms: Vec<_> = cell_atoms
                        .iter()
                        .map(|&a| (vars[a as usize][q], 1.0))
                        .collect();
                    let rhs: f64 = cell_atoms.iter().map(|&a| truth(a as usize, q)).sum();
                    p.add_constraint(terms.as_slice(), ComparisonOp::Eq, rhs);
                }
            } else if layer == Layer::Respondents {
                let terms: Vec<_> = cell_atoms
                    .iter()
                    .map(|&a| (vars[a as usize][0], 1.0))
                    .collect();
                p.add_constraint(terms.as_slice(), ComparisonOp::Ge, 1.0);
            } else if let Layer::Distribution(j) = layer {
                if pattern.mean[c * pattern.m + j].is_none() {
                    let terms: Vec<_> = cell_atoms
                        .iter()
                        .flat_map(|&a| (0..3).map(move |q| (a, q)))
                        .map(|(a, q)| (vars[a as usize][q], 1.0))
                        .collect();
                    let rhs: f64 = cell_atoms
                        .iter()
                        .map(|&a| m.answers[a as usize] as f64)
                        .sum();
                    p.add_constraint(terms.as_slice(), ComparisonOp::Eq, rhs);
                }
            }
        }
        if let Layer::Mean(_) = layer {
            for v in &vars {
                p.add_constraint([(v[1], 1.0), (v[0], -4.0)], ComparisonOp::Le, 0.0);
            }
        }
        match p.solve().map(|o| o.into_solution()) {
            Ok(Ok(s)) if s.objective().abs() > 1e6 => f64::INFINITY,
            Ok(Ok(s)) => s.objective().round(),
            Err(microlp::Error::Unbounded) => f64::INFINITY,
            other => panic!("attacker could not solve: {other:?}"),
        }
    };
    let high = solve(OptimizationDirection::Maximize);
    let low = solve(OptimizationDirection::Minimize);
    (low, high)
}

/// A quantity at zero in a published group that holds the cell (nobody positive, nobody
/// below the top score): the published group says it of every member already.
fn zero_in_visible_group(
    case: &Case,
    pattern: &Pattern,
    layer: Layer,
    cell: usize,
    q: usize,
) -> bool {
    let m = &case.values.measures[0];
    let value = |a: usize| -> u64 {
        match (layer, q) {
            (Layer::Mean(_), 1) => (m.sum[a] * 4.0).round() as u64,
            (Layer::Mean(_), _) => m.n[a] * 4 - (m.sum[a] * 4.0).round() as u64,
            (Layer::Distribution(_), 0) => m.positive[a],
            (Layer::Distribution(_), 1) => m.neutral[a],
            (Layer::Distribution(_), _) => m.answers[a] - m.positive[a] - m.neutral[a],
            _ => 1,
        }
    };
    let own = &case.cells.atoms[cell];
    case.cells.atoms.iter().enumerate().any(|(v, atoms)| {
        pattern.blank(v, layer).is_none()
            && own.iter().all(|a| atoms.contains(a))
            && atoms.iter().map(|&a| value(a as usize)).sum::<u64>() == 0
    })
}

/// Every blanked cell of every layer against the attacker; returns the first leak found.
fn leak(case: &Case, pattern: &Pattern) -> Option<String> {
    for layer in layers(1) {
        for cell in 0..case.cells.len() {
            let Some(why) = pattern.blank(cell, layer) else {
                continue;
            };
            let small = why == Blank::Primary;
            let k = case.policy[cell].min_group as f64;
            let checks: Vec<(usize, f64)> = match layer {
                Layer::Respondents if small => vec![(0, k)],
                Layer::Respondents => vec![],
                Layer::Mean(_) if small => vec![(0, k), (1, 0.0), (3, 0.0)],
                Layer::Mean(_) => vec![(1, 0.0), (3, 0.0)],
                Layer::Distribution(_) => vec![(0, 0.0), (1, 0.0), (2, 0.0)],
            };
            let mut failures = Vec::new();
            for (q, required) in checks {
                let (low, high) = attack(case, pattern, layer, cell, q);
                let ok = if required >= 1.0 {
                    high - low >= required
                } else {
                    high > low
                        || (high == 0.0 && zero_in_visible_group(case, pattern, layer, cell, q))
                };
                if !ok {
                    failures.push(format!(
                        "{layer:?} cell {cell} quantity {q}: [{low}, {high}]"
                    ));
                }
            }
            // The rules' exemptions: nothing to reveal where no one can have answered.
            let exempt = match layer {
                Layer::Mean(_) if !small => attack(case, pattern, layer, cell, 0).1 == 0.0,
                Layer::Distribution(_) => {
                    (0..3)
                        .map(|q| attack(case, pattern, layer, cell, q).1)
                        .sum::<f64>()
                        == 0.0
                }
                _ => false,
            };
            if !failures.is_empty() && !exempt {
                return Some(failures.join("; "));
            }
        }
    }
    None
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn no_blanked_cell_can_be_pinned(org in organisation()) {
        let case = build(org);
        let audit = Audit { cells: &case.cells, values: &case.values, policy: &case.policy };
        let pattern = primary(&case.cells, &case.values, &case.policy);
        let protected = protect(&audit, pattern, &vec![false; case.cells.len()]);
        prop_assert!(protected.unresolved.is_empty());
        if let Some(leak) = leak(&case, &protected.pattern) {
            prop_assert!(false, "attacker pinned a blank: {leak}\n{:?}", case);
        }
    }
}

/// The example of what reasons and the "smallest visible sibling" rule gave away:
/// F = 26 with A = 1, B = 5, C = 20; A primary and B its partner left A in [1, 5] (and the
/// reason labels pinned it to 1). Now A's interval must be at least 5 wide.
#[test]
fn a_partner_too_small_to_hide_the_small_cell_is_not_enough() {
    let mut cells = Cells::default();
    for atoms in [vec![0, 1, 2], vec![0], vec![1], vec![2]] {
        cells.add(atoms);
    }
    let values = AtomValues {
        respondents: vec![1, 5, 20],
        measures: vec![AtomMeasure {
            n: vec![1, 5, 20],
            sum: vec![0.5, 2.5, 10.0],
            answers: vec![1, 5, 20],
            positive: vec![0, 2, 10],
            neutral: vec![1, 1, 5],
            pooled_by: vec![],
        }],
        counts_only: false,
    };
    let policy = vec![
        CellPolicy {
            min_group: 5,
            min_distribution: 5,
            row: true
        };
        4
    ];
    let audit = Audit {
        cells: &cells,
        values: &values,
        policy: &policy,
    };
    let protected = protect(&audit, primary(&cells, &values, &policy), &[false; 4]);
    let case = Case {
        cells: cells.clone(),
        values: values.clone(),
        policy: policy.clone(),
    };
    assert_eq!(leak(&case, &protected.pattern), None);
    let (low, high) = attack(&case, &protected.pattern, Layer::Respondents, 1, 0);
    assert!(high - low >= 5.0, "A in [{low}, {high}]");
    // B (5) alone does not hide A: the engine takes C as well (or F).
    let blanks: Vec<bool> = (0..4)
        .map(|c| protected.pattern.unit[c].is_some())
        .collect();
    assert!(blanks[1] && (blanks[3] || blanks[0]), "{blanks:?}");
}
