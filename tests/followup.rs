//! Wave comparison kernels against independently computed values.

use lyhord::estimate::stats::Convention;
use lyhord::followup::compare::*;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

/// Reference: SciPy 1.17.1, `scipy.stats.ttest_ind_from_stats(70.0, 15.0, 40, 76.5, 12.0, 45,
/// equal_var=False)` → statistic −2.1880437405968083 (earlier − later), p 0.03179823099842812;
/// Welch–Satterthwaite df 74.59648851063116 and SE 2.9706901555025893 by hand,
/// `scipy.stats.t.ppf(0.975, df)` = 1.9922787934130222.
#[test]
fn welch_change_matches_scipy_ttest_ind_from_stats() {
    let earlier = Cell {
        n: 40.0,
        mean: 70.0,
        sd: 15.0,
        se: 15.0 / 40f64.sqrt(),
    };
    let later = Cell {
        n: 45.0,
        mean: 76.5,
        sd: 12.0,
        se: 12.0 / 45f64.sqrt(),
    };
    let c = mean_change(&earlier, &later, 0.95);
    assert!(close(c.change, 6.5, 1e-12));
    assert!(close(c.statistic.unwrap(), 2.1880437405968083, 1e-12));
    assert!(close(c.p_value.unwrap(), 0.03179823099842812, 1e-10));
    assert!(close(c.df.unwrap(), 74.59648851063116, 1e-9));
    assert!(close(c.se.unwrap(), 2.9706901555025893, 1e-12));
    let half = 1.9922787934130222 * 2.9706901555025893;
    assert!(close(c.ci_low.unwrap(), 6.5 - half, 1e-8));
    // Cohen's d: pooled SD √((39·225 + 44·144)/83) = 13.4925…
    let pooled = ((39.0 * 225.0 + 44.0 * 144.0) / 83.0f64).sqrt();
    assert!(close(c.effect_size.unwrap(), 6.5 / pooled, 1e-12));
}

/// Under R's convention without a population a share is the mean of a 0/1 answer: the
/// change test is Welch's t on the answers. Reference: SciPy 1.17.1,
/// `scipy.stats.ttest_ind(b, a, equal_var=False)` with `a` = 30 ones and 20 zeros, `b` = 42
/// ones and 18 zeros → statistic 1.0873881956019937, p 0.2794393891624527, df
/// 101.55315915542481.
#[test]
fn share_change_under_survey_convention_is_welch_on_the_answers() {
    let a = Share {
        p: 0.6,
        n: 50.0,
        population: None,
        se: None,
    };
    let b = Share {
        p: 0.7,
        n: 60.0,
        ..a
    };
    let c = share_change(&a, &b, 0.95, Convention::Survey);
    assert!(close(c.statistic.unwrap(), 1.0873881956019937, 1e-12));
    assert!(close(c.p_value.unwrap(), 0.2794393891624527, 1e-12));
    assert!(close(c.df.unwrap(), 101.55315915542481, 1e-9));
    // The People Survey's convention on the same shares: p(1−p)/n and the normal.
    let z = share_change(&a, &b, 0.95, Convention::PeopleSurvey);
    let se = (0.24 / 50.0 + 0.21 / 60.0f64).sqrt();
    assert!(close(z.se.unwrap(), se, 1e-15) && z.df.is_none());
}

/// People Survey-style margin with finite-population correction, by hand:
/// p₁ = 0.60 of n₁ = 50 from N₁ = 60, p₂ = 0.70 of n₂ = 55 from N₂ = 60;
/// SE = √(0.24/50 · 10/59 + 0.21/55 · 5/59) = 0.033721418303331925, z = 2.9654743196290543,
/// p = 2·(1 − Φ(z)) = 0.0030221657574044246 (scipy.stats.norm.sf).
#[test]
fn share_change_with_fpc_matches_hand_computation() {
    let e = Share {
        p: 0.6,
        n: 50.0,
        population: Some(60.0),
        se: None,
    };
    let l = Share {
        p: 0.7,
        n: 55.0,
        population: Some(60.0),
        se: None,
    };
    let c = share_change(&e, &l, 0.95, Convention::PeopleSurvey);
    assert!(close(c.se.unwrap(), 0.033721418303331925, 1e-15));
    assert!(close(c.statistic.unwrap(), 2.9654743196290543, 1e-12));
    assert!(close(c.p_value.unwrap(), 0.0030221657574044246, 1e-12));
    assert!(close(
        c.ci_high.unwrap(),
        0.1 + 1.959963984540054 * 0.033721418303331925,
        1e-9
    ));
    // A census (n = N) has no sampling error at all.
    let census = Share {
        p: 0.6,
        n: 60.0,
        population: Some(60.0),
        se: None,
    };
    let other = Share {
        p: 0.7,
        n: 60.0,
        population: Some(60.0),
        se: None,
    };
    assert!(
        share_change(&census, &other, 0.95, Convention::PeopleSurvey)
            .p_value
            .is_none()
    );
}

/// Holm by hand on p = (0.01, 0.04, 0.03, 0.005): sorted 0.005·4 = 0.02, 0.01·3 = 0.03,
/// 0.03·2 = 0.06, max(0.04·1, 0.06) = 0.06 (R `p.adjust(p, "holm")` gives the same).
/// Benjamini–Hochberg: `scipy.stats.false_discovery_control(p)` = (0.02, 0.04, 0.04, 0.02).
#[test]
fn holm_and_benjamini_hochberg_match_reference_values() {
    let p = [0.01, 0.04, 0.03, 0.005];
    let holm = Adjust::Holm.apply(&p);
    for (a, b) in holm.iter().zip([0.03, 0.06, 0.06, 0.02]) {
        assert!(close(*a, b, 1e-15), "{holm:?}");
    }
    let bh = Adjust::BenjaminiHochberg.apply(&p);
    for (a, b) in bh.iter().zip([0.02, 0.04, 0.04, 0.02]) {
        assert!(close(*a, b, 1e-15), "{bh:?}");
    }
    assert!("bonferroni".parse::<Adjust>().is_err());
}

#[test]
fn pooled_cells_equal_the_cell_of_the_union() {
    // Units {1, 2, 3} and {5, 7}: union {1, 2, 3, 5, 7}, mean 3.6, sd √(23.2/4) = 2.4083… (squares 6.76 + 2.56 + 0.36 + 1.96 + 11.56)
    let a = Cell {
        n: 3.0,
        mean: 2.0,
        sd: 1.0,
        se: 0.0,
    };
    let b = Cell {
        n: 2.0,
        mean: 6.0,
        sd: 2f64.sqrt(),
        se: 0.0,
    };
    let pooled = pool_cells(&[(a, None), (b, None)], Convention::Survey);
    assert!(close(pooled.mean, 3.6, 1e-12));
    assert!(close(pooled.sd, (23.2f64 / 4.0).sqrt(), 1e-12));
    assert!(close(pooled.se, pooled.sd / 5f64.sqrt(), 1e-12));
}

#[test]
fn degenerate_waves_give_a_reason_not_nan() {
    let one = Cell {
        n: 1.0,
        mean: 50.0,
        sd: 0.0,
        se: 0.0,
    };
    let many = Cell {
        n: 10.0,
        mean: 60.0,
        sd: 5.0,
        se: 1.5,
    };
    let c = mean_change(&one, &many, 0.95);
    assert!(c.p_value.is_none() && c.note.unwrap().contains("fewer than 2"));
    let flat = Cell {
        n: 10.0,
        mean: 50.0,
        sd: 0.0,
        se: 0.0,
    };
    let c = mean_change(&flat, &flat, 0.95);
    assert!(c.p_value.is_none() && c.note.unwrap().contains("SE 0"));
    // a missing SE (NaN from a hand-made table) gave a panic: now no test, and says why
    let no_se = Cell {
        se: f64::NAN,
        ..many
    };
    let c = mean_change(&no_se, &many, 0.95);
    assert_eq!(c.change, 0.0);
    assert!(c.p_value.is_none() && c.note.unwrap().contains("no standard error"));
}

mod targets {
    use lyhord::followup::targets::{target_status, Direction, Point};

    fn points() -> Vec<Point> {
        // 60, 62, 64 in 2023–2025 (SE 1, 1, 2): the weighted line is exactly 2 per year
        // (Σw(x−x̄)² = 1 by hand, so the slope SE is 1), reaching 68 in 2027.
        vec![
            Point {
                year: 2025.0,
                mean: 64.0,
                se: 2.0,
            },
            Point {
                year: 2023.0,
                mean: 60.0,
                se: 1.0,
            },
            Point {
                year: 2024.0,
                mean: 62.0,
                se: 1.0,
            },
        ]
    }

    #[test]
    fn met_on_track_and_off_track_by_hand() {
        let status = |target, direction| target_status(&points(), target, 2027.0, direction);
        let on = status(67.0, Direction::AtLeast);
        assert_eq!(on.status, "on track");
        assert!((on.slope.unwrap() - 2.0).abs() < 1e-12);
        assert!((on.slope_se.unwrap() - 1.0).abs() < 1e-12);
        assert!((on.projected.unwrap() - 68.0).abs() < 1e-12);
        assert_eq!(on.latest, Some(64.0));
        assert_eq!(status(69.0, Direction::AtLeast).status, "off track");
        assert_eq!(status(63.0, Direction::AtLeast).status, "met");
        // "At most 55 by 2027" for a rising measure: off track; at most 70: met already.
        assert_eq!(status(55.0, Direction::AtMost).status, "off track");
        assert_eq!(status(70.0, Direction::AtMost).status, "met");
    }

    #[test]
    fn one_year_has_no_trend_and_none_has_no_estimate() {
        let one = [Point {
            year: 2025.0,
            mean: 50.0,
            se: 1.0,
        }];
        assert_eq!(
            target_status(&one, 60.0, 2027.0, Direction::AtLeast).status,
            "no trend"
        );
        assert_eq!(
            target_status(&one, 40.0, 2027.0, Direction::AtLeast).status,
            "met"
        );
        assert_eq!(
            target_status(&[], 40.0, 2027.0, Direction::AtLeast).status,
            "no published estimate"
        );
    }
}

// ---- action effects (`followup::actions`)

mod actions {
    use lyhord::followup::actions::*;
    use proptest::prelude::*;

    fn unit(treated: bool, change: f64, covariates: Vec<f64>, sampling_var: f64) -> UnitChange {
        UnitChange {
            treated,
            change,
            covariates,
            sampling_var,
        }
    }

    /// The hand panel of tests/python/test_action_effects_reference.py: units A–C took the
    /// action (changes 6, 3, 9; sampling variances 1.5² + 2², …), D–H did not (1, −2, 3,
    /// 0, 3).
    fn hand_panel() -> Vec<UnitChange> {
        let treated = [(6.0, 6.25), (3.0, 2.65), (9.0, 7.24)];
        let others = [
            (1.0, 2.0),
            (-2.0, 2.08),
            (3.0, 2.02),
            (0.0, 2.44),
            (3.0, 1.0),
        ];
        treated
            .iter()
            .map(|&(c, v)| unit(true, c, vec![], v))
            .chain(others.iter().map(|&(c, v)| unit(false, c, vec![], v)))
            .collect()
    }

    /// By hand: 6 − 1 = 5; Welch's SE √(9/3 + 4.5/5) = √3.9 (HC2 without covariates);
    /// Bell–McCaffrey df (tr MWM)²/tr((MWM)²) = 256/59 (M, W written out by hand; also a
    /// dense numpy computation in the Python reference test).
    #[test]
    fn pooled_effect_without_covariates_is_welch() {
        let e = pooled_effect(&hand_panel(), 0.95).unwrap();
        assert!((e.estimate - 5.0).abs() < 1e-12);
        assert!((e.se - 3.9f64.sqrt()).abs() < 1e-12);
        assert!((e.df - 256.0 / 59.0).abs() < 1e-10, "{}", e.df);
    }

    /// By hand: prediction = the comparisons' mean change 1, effect 6 − 1 = 5; variance =
    /// shock (4.5 − mean sampling variance 1.908 = 2.592) + A's own 6.25 + the prediction's
    /// 4.5/5 = 0.9, so 9.742, with t(5 − 1).
    #[test]
    fn unit_effect_splits_the_variance_by_hand() {
        let panel = hand_panel();
        let e = unit_effect(&panel[0], &panel[3..], 0.95).unwrap();
        assert!((e.estimate - 5.0).abs() < 1e-12);
        assert!((e.se * e.se - 9.742).abs() < 1e-12, "{}", e.se * e.se);
        assert_eq!(e.df, 4.0);
    }

    #[test]
    fn too_few_units_and_a_constant_covariate_are_errors_that_say_why() {
        let panel = hand_panel();
        let err = pooled_effect(&panel[2..], 0.95).unwrap_err().to_string();
        assert!(err.contains("at least 2 units with the action"), "{err}");
        let flat: Vec<UnitChange> = panel
            .iter()
            .map(|u| unit(u.treated, u.change, vec![70.0], 0.0))
            .collect();
        let err = pooled_effect(&flat, 0.95).unwrap_err().to_string();
        assert!(err.contains("do not vary in a covariate"), "{err}");
    }

    /// By hand: weights 4 and 6 → estimate (4·2 + 6·5)/10 = 3.8, SE (4·1 + 6·2)/10 = 1.6
    /// (perfect correlation), df min(8, 12) = 8.
    #[test]
    fn combined_cohorts_are_weighted_and_conservative() {
        let effect = |estimate: f64, se: f64, df: f64| Effect {
            estimate,
            se,
            df,
            ci_low: 0.0,
            ci_high: 0.0,
            p: 0.0,
        };
        let e = combined_effect(
            &[(effect(2.0, 1.0, 8.0), 4.0), (effect(5.0, 2.0, 12.0), 6.0)],
            0.95,
        )
        .unwrap();
        assert!((e.estimate - 3.8).abs() < 1e-12 && (e.se - 1.6).abs() < 1e-12);
        assert_eq!(e.df, 8.0);
        assert!(combined_effect(&[(effect(2.0, 1.0, 8.0), 4.0)], 0.95).is_err());
    }

    /// Bloom (1995): δ ≈ (z₀.₉₇₅ + z₀.₈)·SE = 2.8015852·20·√(2/50) = 11.20634 when the
    /// far tail (Φ(−4.76) ≈ 1e-6) is left out; the exact root lies just below it.
    #[test]
    fn detectable_change_is_blooms_with_the_far_tail() {
        let d = detectable_change(20.0, 50.0, 50.0, None, 0.95, 0.8).unwrap();
        assert!(d < 11.206_34 && d > 11.2063 - 1e-4, "{d}");
        // A census (everyone answers both times) measures any change exactly.
        assert_eq!(
            detectable_change(20.0, 50.0, 50.0, Some(50.0), 0.95, 0.8).unwrap(),
            0.0
        );
        // The finite-population correction shrinks it: √(1 − 50/100).
        let half = detectable_change(20.0, 50.0, 50.0, Some(100.0), 0.95, 0.8).unwrap();
        assert!((half - d * 0.5f64.sqrt()).abs() < 1e-9);
        assert!(detectable_change(20.0, 50.0, 50.0, None, 0.95, 1.2).is_err());
    }

    fn panels() -> impl Strategy<Value = Vec<UnitChange>> {
        prop::collection::vec((-20.0..20.0f64, 40.0..90.0f64, 1.0..5.0f64), 8..40).prop_map(
            |rows| {
                rows.into_iter()
                    .enumerate()
                    .map(|(i, (c, level, size))| unit(i % 3 == 0, c, vec![level, size], 1.0))
                    .collect()
            },
        )
    }

    proptest! {
        /// What every unit shares cancels; what only the action's units got is the effect,
        /// exactly, whatever the covariates; the uncertainty is the same either way.
        #[test]
        fn shifts_move_the_effect_as_a_difference_in_differences(
            units in panels(), common in -10.0..10.0f64, extra in -10.0..10.0f64
        ) {
            let Ok(base) = pooled_effect(&units, 0.95) else { return Ok(()) };
            let shifted: Vec<UnitChange> = units
                .iter()
                .map(|u| unit(u.treated, u.change + common + if u.treated { extra } else { 0.0 },
                              u.covariates.clone(), u.sampling_var))
                .collect();
            let moved = pooled_effect(&shifted, 0.95).unwrap();
            prop_assert!((moved.estimate - base.estimate - extra).abs() < 1e-8);
            prop_assert!((moved.se - base.se).abs() < 1e-8 * (1.0 + base.se));
            prop_assert!((moved.df - base.df).abs() < 1e-6 * base.df);
            prop_assert!(base.ci_low <= base.estimate && base.estimate <= base.ci_high);
        }
    }
}
