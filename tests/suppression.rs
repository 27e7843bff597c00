use lyhord::estimate::suppression::*;
use proptest::prelude::*;

/// Builds a random hierarchy of depth ≤ 3 with leaf counts; parents are sums.
fn random_tree() -> impl Strategy<Value = (Tree, Vec<u64>)> {
    let leaf_counts = prop::collection::vec(
        prop::collection::vec(prop::collection::vec(0u64..30, 1..5), 1..5),
        1..5,
    );
    leaf_counts.prop_map(|top| {
        let mut parent = vec![None];
        let mut n = vec![0u64];
        for mids in top {
            let f = parent.len();
            parent.push(Some(0));
            n.push(0);
            for leaves in mids {
                let e = parent.len();
                parent.push(Some(f));
                n.push(0);
                for c in leaves {
                    parent.push(Some(e));
                    n.push(c);
                    n[e] += c;
                    n[f] += c;
                    n[0] += c;
                }
            }
        }
        (Tree::from_parents(parent), n)
    })
}

/// True when the blanked value of `target` is fixed by the published numbers: each family
/// says parent = Σ children; visible values are known, every blanked one unknown.
fn derivable(tree: &Tree, status: &[Option<Reason>], target: usize) -> bool {
    let unknown: Vec<usize> = (0..tree.len()).filter(|&i| status[i].is_some()).collect();
    let col = |node: usize| unknown.iter().position(|&u| u == node);
    let mut rows: Vec<Vec<f64>> = Vec::new();
    for p in 0..tree.len() {
        if tree.children[p].is_empty() {
            continue;
        }
        let mut row = vec![0.0; unknown.len()];
        if let Some(c) = col(p) {
            row[c] += 1.0;
        }
        for &ch in &tree.children[p] {
            if let Some(c) = col(ch) {
                row[c] -= 1.0;
            }
        }
        rows.push(row);
    }
    let base = rank(rows.clone());
    let mut e = vec![0.0; unknown.len()];
    e[col(target).unwrap()] = 1.0;
    rows.push(e);
    rank(rows) == base
}

fn rank(mut m: Vec<Vec<f64>>) -> usize {
    let cols = m.first().map_or(0, Vec::len);
    let mut r = 0;
    for c in 0..cols {
        let Some(p) = (r..m.len()).find(|&i| m[i][c].abs() > 1e-9) else {
            continue;
        };
        m.swap(r, p);
        let pivot = m[r].clone();
        for (i, row) in m.iter_mut().enumerate() {
            if i != r && row[c].abs() > 1e-9 {
                let f = row[c] / pivot[c];
                for (x, p) in row.iter_mut().zip(&pivot) {
                    *x -= f * p;
                }
            }
        }
        r += 1;
    }
    r
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn no_blanked_count_can_be_derived((tree, n) in random_tree(), min_group in 2u64..12) {
        let status = suppress(&tree, &n, &n, min_group);
        for i in 0..tree.len() {
            // Every small group is blanked…
            if n[i] > 0 && n[i] < min_group {
                prop_assert!(status[i].is_some(), "node {i} n={} visible", n[i]);
            }
            // …and no blanked group can be solved for from what is published.
            if status[i].is_some() {
                prop_assert!(!derivable(&tree, &status, i), "node {i} derivable: n={n:?} status={status:?}");
            }
            // Blanked siblings under a visible parent are never a small group together.
            if status[i].is_none() {
                let hidden: Vec<u64> = tree.children[i].iter().filter(|&&c| status[c].is_some()).map(|&c| n[c]).collect();
                prop_assert!(hidden.is_empty() || (hidden.len() >= 2 && hidden.iter().sum::<u64>() >= min_group));
            }
        }
    }

    #[test]
    fn suppression_is_invariant_to_nothing_but_the_counts((tree, n) in random_tree()) {
        // Same input, same answer: the rule is deterministic (ties broken by node number).
        prop_assert_eq!(suppress(&tree, &n, &n, 5), suppress(&tree, &n, &n, 5));
    }
}

#[test]
fn single_small_child_forces_a_second_blank() {
    // Parent 30 = 3 + 10 + 17: the 3 is primary, the 10 (smallest visible) secondary.
    let tree = Tree::from_parents(vec![None, Some(0), Some(0), Some(0)]);
    let s = suppress(&tree, &[30, 3, 10, 17], &[30, 3, 10, 17], 5);
    assert_eq!(
        s,
        vec![None, Some(Reason::Primary), Some(Reason::Secondary), None]
    );
}

#[test]
fn two_small_children_totalling_under_min_group_need_a_third() {
    // 2 + 2 = 4 < 5 would be a derivable small group; the 9 is blanked too.
    let tree = Tree::from_parents(vec![None, Some(0), Some(0), Some(0), Some(0)]);
    let s = suppress(&tree, &[33, 2, 2, 9, 20], &[33, 2, 2, 9, 20], 5);
    assert_eq!(s[3], Some(Reason::Secondary));
    assert_eq!(s[4], None);
}
