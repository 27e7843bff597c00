use lyhord::design::interval::ShareInterval;
use lyhord::estimate::stats::*;
use lyhord::estimate::*;
use lyhord::instrument::Instrument;
use lyhord::publish::audit::{Audit, Layer};
use lyhord::publish::cells::{AtomMeasure, AtomValues, CellPolicy, Cells};
use lyhord::publish::engine::{protect, Blank, Pattern};
use lyhord::publish::groups::Hierarchy;
use lyhord::publish::publication::primary;
use lyhord::score::{recode_item, score_respondents, RecodedItem};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn t_critical_matches_r_qt() {
    // R: qt(0.975, 3) = 3.182446; qt(0.975, 30) = 2.042272.
    assert!(close(t_critical(0.95, 3.0).unwrap(), 3.182446, 1e-6));
    assert!(close(t_critical(0.95, 30.0).unwrap(), 2.042272, 1e-6));
    assert!(t_critical(1.5, 3.0)
        .unwrap_err()
        .to_string()
        .contains("`confidence`"));
}

/// UK Civil Service People Survey margin of error: 43 % positive of 120 answers from a
/// headcount of 200 is ±5.6 points, `1.959964 · √(0.43 · 0.57 / 120 · 80/199)` = 5.61626
/// (by hand). For 0/1 answers Σw²b² = Σw²ab = positives and Σw²a² = answers.
#[test]
fn people_survey_margin_of_43_percent_of_120_from_200() {
    let s = Shares {
        answers: 120,
        w_total: 120.0,
        w_positive: 51.6,
        w_neutral: 0.0,
        answering: 120,
        w2_pos2: 51.6,
        w2_pos_ans: 51.6,
        w2_ans2: 120.0,
    };
    let spec = FinishSpec {
        confidence: 0.95,
        convention: Convention::PeopleSurvey,
        share_interval: ShareInterval::Mean,
    };
    let e = finish(&Moments::default(), &s, Some(200.0), &spec).unwrap();
    let (low, high) = e.pct_positive_ci.unwrap();
    assert!(close(high - 43.0, 5.616264881241772, 1e-6));
    assert!(close(43.0 - low, 5.616264881241772, 1e-6));
    assert_eq!(format!("{:.1}", high - 43.0), "5.6");
    // R's convention on the same answers: 119 in the variance, 1 − n/N, t(119).
    let r = finish(
        &Moments::default(),
        &s,
        Some(200.0),
        &FinishSpec::survey(0.95),
    )
    .unwrap();
    let se = (0.43f64 * 0.57 / 119.0 * 0.4).sqrt() * 100.0;
    assert!(close(r.pct_positive_se.unwrap(), se, 1e-12));
}

#[test]
fn unweighted_estimate_with_fpc_matches_hand_computation() {
    // y = 0, 25, 50, 100: mean 43.75, sample SD = sqrt(5729.1667/3 · …) computed by hand:
    // deviations −43.75, −18.75, 6.25, 56.25 → SS = 1914.0625+351.5625+39.0625+3164.0625 = 5468.75
    // s² = 5468.75 / 3 = 1822.9167, s = 42.6956; SE = s/√4 · √(1 − 4/10) = 16.5359;
    // CI = 43.75 ± 3.182446 · SE.
    let mut m = Moments::default();
    for y in [0.0, 25.0, 50.0, 100.0] {
        m.add(y, 1.0);
    }
    let e = finish(
        &m,
        &Shares::default(),
        Some(10.0),
        &FinishSpec::survey(0.95),
    )
    .unwrap();
    let s = (5468.75f64 / 3.0).sqrt();
    let se = s / 2.0 * (0.6f64).sqrt();
    assert!(close(e.mean.unwrap(), 43.75, 1e-12));
    assert!(close(e.sd.unwrap(), s, 1e-9));
    assert!(close(e.se.unwrap(), se, 1e-9));
    assert!(close(e.ci_low.unwrap(), 43.75 - 3.182446305 * se, 1e-6));
    assert_eq!(e.pct_positive, None);
}

#[test]
fn weighted_se_matches_the_linearisation_formula_computed_directly() {
    // Independent computation of svymean's with-replacement SE (R survey, ids = ~1):
    // var = n/(n−1) · Σ w_i² (y_i − ȳ)² / (Σw)².
    let ys = [10.0, 20.0, 35.0, 80.0, 55.0];
    let ws = [1.0, 2.5, 0.5, 3.0, 1.5];
    let mut m = Moments::default();
    for (y, w) in ys.iter().zip(&ws) {
        m.add(*y, *w);
    }
    let sw: f64 = ws.iter().sum();
    let mean: f64 = ys.iter().zip(&ws).map(|(y, w)| y * w).sum::<f64>() / sw;
    let ss: f64 = ys
        .iter()
        .zip(&ws)
        .map(|(y, w)| w * w * (y - mean).powi(2))
        .sum();
    let se = (5.0 / 4.0 * ss).sqrt() / sw;
    let e = finish(&m, &Shares::default(), None, &FinishSpec::survey(0.95)).unwrap();
    assert!(close(e.mean.unwrap(), mean, 1e-12));
    assert!(close(e.se.unwrap(), se, 1e-12));
}

#[test]
fn merged_moments_equal_moments_of_the_union() {
    let (mut a, mut b, mut all) = (Moments::default(), Moments::default(), Moments::default());
    for (i, y) in [3.0, 7.0, 11.0, 50.0, 75.0].iter().enumerate() {
        if i % 2 == 0 {
            a.add(*y, 2.0)
        } else {
            b.add(*y, 2.0)
        }
        all.add(*y, 2.0);
    }
    a.merge(&b);
    assert_eq!(a, all);
}

/// People Survey worked example: 100 respondents answering the five engagement items alike.
fn people_survey_group(shares_sa_to_sd: [usize; 5]) -> (Instrument, Vec<RecodedItem>) {
    let inst = Instrument::builtin("uk-engagement").unwrap();
    // Strongly agree = 5 … strongly disagree = 1.
    let codes: Vec<Option<i64>> = shares_sa_to_sd
        .iter()
        .enumerate()
        .flat_map(|(k, &count)| std::iter::repeat_n(Some(5 - k as i64), count))
        .collect();
    let items = inst
        .items
        .iter()
        .map(|item| recode_item(&inst, item, codes.iter().copied(), &item.id).unwrap())
        .collect();
    (inst, items)
}

#[test]
fn people_survey_worked_example_gives_49_and_63_at_50_percent_positive() {
    // UK Civil Service People Survey technical guide: distributions 10/40/10/16/24 % and
    // 22/28/34/12/6 % (strongly agree → strongly disagree) are both 50 % positive, but give
    // engagement indices 49 and 63. DESIGN.md quotes the second as 22/28/34/12/6, which sums
    // to 102 %; "strongly disagree" scores 0, so the published 63 = Σ share · score holds
    // either way, and with the shares summing to 100 % the last one is 4 %.
    for (dist, index) in [([10, 40, 10, 16, 24], 49.0), ([22, 28, 34, 12, 4], 63.0)] {
        let (inst, items) = people_survey_group(dist);
        let scores = score_respondents(&inst, &items).unwrap();
        let leaf = vec![0u32; 100];
        let stats = accumulate(&inst, &items, &scores, &leaf, 1, None);
        let h = Hierarchy {
            node_of_leaf: vec![vec![0]],
            nodes_per_level: vec![1],
        };
        let nothing_blank = Pattern::new(1, stats.measures.len());
        let rows = table(
            &stats.roll_up(&h),
            &[0],
            &nothing_blank,
            None,
            &FinishSpec::survey(0.95),
        )
        .unwrap();
        let idx = &rows[0];
        assert_eq!(stats.measures[0].0, "uk_engagement");
        assert!(
            close(idx.estimate.mean.unwrap(), index, 1e-9),
            "{:?}",
            idx.estimate
        );
        assert!(close(idx.estimate.pct_positive.unwrap(), 50.0, 1e-9));
        assert_eq!(idx.estimate.n, 100);
    }
}

#[test]
fn hierarchy_rolls_up_and_keeps_suppressed_children_in_parents() {
    // Two förvaltningar: A with leaves 0 (n=3) and 1 (n=12), B with leaf 2 (n=8).
    let h = Hierarchy {
        node_of_leaf: vec![vec![0, 0, 0], vec![0, 0, 1], vec![0, 1, 2]],
        nodes_per_level: vec![1, 2, 3],
    };
    let mut leaf = GroupStats::empty(
        vec![("x".into(), lyhord::instrument::MeasureKind::Index)],
        3,
    );
    for (g, n, y) in [(0usize, 3u64, 25.0), (1, 12, 50.0), (2, 8, 75.0)] {
        leaf.respondents[g] = n;
        for _ in 0..n {
            leaf.moments[g].add(y, 1.0);
        }
    }
    let nodes = leaf.roll_up(&h);
    assert_eq!(nodes.respondents, vec![23, 15, 8, 3, 12, 8]);
    // Cells over the leaves: B and its only enhet are one cell (the same respondents).
    let mut cells = Cells::default();
    let cell_of_node: Vec<usize> = h
        .leaves_of_nodes()
        .into_iter()
        .map(|atoms| cells.add(atoms))
        .collect();
    assert_eq!(cell_of_node, vec![0, 1, 2, 3, 4, 2]);
    let values = AtomValues {
        respondents: leaf.respondents.clone(),
        measures: vec![AtomMeasure {
            n: vec![3, 12, 8],
            sum: vec![0.75, 6.0, 6.0],
            answers: vec![3, 12, 8],
            positive: vec![0, 0, 8],
            neutral: vec![0, 12, 0],
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
        cells.len()
    ];
    let audit = Audit {
        cells: &cells,
        values: &values,
        policy: &policy,
    };
    let pattern = primary(&cells, &values, &policy);
    let protected = protect(&audit, pattern, &vec![false; cells.len()]);
    assert!(protected.unresolved.is_empty());
    let rows = table(
        &nodes,
        &cell_of_node,
        &protected.pattern,
        None,
        &FinishSpec::survey(0.95),
    )
    .unwrap();
    let blank: Vec<_> = rows.iter().map(|r| r.suppressed).collect();
    // Leaf 0 (n=3) primary; its only sibling (n=12) secondary so A − sibling reveals nothing;
    // B has a single child that equals it: both visible (nothing small).
    assert_eq!(blank, vec![false, false, false, true, true, false]);
    assert_eq!(protected.pattern.unit[3], Some(Blank::Primary));
    assert_eq!(protected.pattern.unit[4], Some(Blank::Secondary));
    // Blanked groups show no respondent count either.
    assert_eq!(rows[3].respondents, None);
    assert_eq!(rows[4].respondents, None);
    assert_eq!(rows[1].respondents, Some(15));
    // The attacker's interval for leaf 0: leaves 0 and 1 hold 15 together, each ≥ 1 ⇒ [1, 14].
    let check = audit.check(&protected.pattern, 3, Layer::Respondents);
    assert_eq!(
        (check.intervals[0].low, check.intervals[0].high),
        (1.0, 14.0)
    );
}

#[test]
fn bad_weights_name_column_and_row() {
    let err = check_weights(&[1.0, 0.0], "vikt").unwrap_err().to_string();
    assert!(err.contains("`vikt`") && err.contains("row 2"), "{err}");
}
