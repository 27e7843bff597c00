//! Sampling designs, raking, trimming and calibrated variances (kernels). The R survey
//! reference values on the api data are in tests/python/test_design.py.

use lyhord::design::calibration::Calibration;
use lyhord::design::estimate::{domain_estimate, Statistic};
use lyhord::design::frame::{design_from_frame, DesignColumns};
use lyhord::design::rake::{rake, trim, Margin, RakeOptions};
use lyhord::design::{kish, LonelyPsu};
use lyhord::error::{DesignError, Error};
use lyhord::estimate::stats::Convention;
use polars::prelude::*;
use proptest::prelude::*;

fn close(actual: f64, expected: f64, tol: f64) {
    assert!(
        (actual - expected).abs() <= tol,
        "{actual} differs from {expected} by more than {tol}"
    );
}

fn design(
    df: &DataFrame,
    strata: Option<&str>,
    psu: Option<&str>,
    fpc: Option<&str>,
) -> lyhord::design::Design {
    design_from_frame(
        df,
        &DesignColumns {
            weights: Some("w".into()),
            strata: strata.map(String::from),
            psu: psu.map(String::from),
            fpc: fpc.map(String::from),
            lonely: LonelyPsu::Fail,
            replicates: None,
        },
    )
    .unwrap()
}

fn opts() -> RakeOptions {
    RakeOptions {
        tolerance: 1e-10,
        max_iterations: 500,
        floor: None,
        cap: None,
    }
}

#[test]
fn kish_design_effect_by_hand() {
    // Weights 1, 1, 2, 2: n Σw² / (Σw)² = 4 · 10 / 36; n_eff = 36 / 10.
    let (deff, n_eff) = kish(&[1.0, 1.0, 2.0, 2.0]);
    close(deff, 40.0 / 36.0, 1e-15);
    close(n_eff, 3.6, 1e-15);
}

#[test]
fn simple_random_sample_mean_has_the_textbook_variance() {
    // y = 2, 4, 6, 8 drawn from N = 10, equal weights 2.5: Var(ȳ) = (1 − n/N) s² / n
    // = 0.6 · (20/3) / 4 = 1 (Cochran 1977, eq. 2.8).
    let df = df!("y" => [2.0, 4.0, 6.0, 8.0], "w" => [2.5; 4], "N" => [10.0; 4]).unwrap();
    let d = design(&df, None, None, Some("N"));
    let y: Vec<Option<f64>> = [2.0, 4.0, 6.0, 8.0].map(Some).to_vec();
    let e = domain_estimate(
        &d,
        None,
        &y,
        &[true; 4],
        Statistic::Mean,
        Convention::Survey,
    )
    .unwrap()
    .unwrap();
    close(e.estimate, 5.0, 1e-12);
    close(e.se, 1.0, 1e-12);
    // The total 2.5 · 20 = 50 with Var = N² Var(ȳ) = 100.
    let t = domain_estimate(
        &d,
        None,
        &y,
        &[true; 4],
        Statistic::Total,
        Convention::Survey,
    )
    .unwrap()
    .unwrap();
    close(t.estimate, 50.0, 1e-12);
    close(t.se, 10.0, 1e-12);
}

#[test]
fn one_margin_calibration_centres_within_cells() {
    // Post-strata A (rows 0–2) and B (rows 3–5), equal design weights 1, population 6 and
    // 6, so calibrated weights 2. Residuals of u = (y − ȳ)/Σw within cells: Σ w e per
    // row is 2 (y − ȳ_cell)/12, and the SRS-with-replacement variance of those is, by hand,
    // n/(n−1) Σ (z − z̄)² with z̄ = 0.
    let y = [1.0, 2.0, 3.0, 10.0, 12.0, 14.0];
    let df = df!("w" => [2.0; 6]).unwrap();
    let d = design(&df, None, None, None);
    let cal = Calibration::new(vec![1.0; 6], vec![vec![0, 0, 0, 1, 1, 1]], &[2]).unwrap();
    let values: Vec<Option<f64>> = y.map(Some).to_vec();
    let e = domain_estimate(
        &d,
        Some(&cal),
        &values,
        &[true; 6],
        Statistic::Mean,
        Convention::Survey,
    )
    .unwrap()
    .unwrap();
    let z: Vec<f64> = [-1.0, 0.0, 1.0, -2.0, 0.0, 2.0]
        .iter()
        .map(|r| 2.0 * r / 12.0)
        .collect();
    let expected = 6.0 / 5.0 * z.iter().map(|v| v * v).sum::<f64>();
    close(e.estimate, 7.0, 1e-12);
    close(e.se, expected.sqrt(), 1e-12);
}

#[test]
fn a_lonely_cluster_is_refused_by_name_or_adjusted() {
    let df = df!(
        "w" => [1.0; 5],
        "h" => ["a", "a", "b", "b", "b"],
        "c" => ["1", "1", "2", "3", "4"],
    )
    .unwrap();
    let d = design(&df, Some("h"), Some("c"), None);
    let y: Vec<Option<f64>> = [1.0, 2.0, 3.0, 4.0, 5.0].map(Some).to_vec();
    let err = domain_estimate(
        &d,
        None,
        &y,
        &[true; 5],
        Statistic::Mean,
        Convention::Survey,
    )
    .unwrap_err();
    assert_eq!(
        err,
        DesignError::LonelyPsu {
            stratum: "a".into()
        }
    );
    let mut adjusted = d.clone();
    adjusted.lonely = LonelyPsu::Adjust;
    let mut certain = d.clone();
    certain.lonely = LonelyPsu::Certainty;
    let se = |d: &lyhord::design::Design| {
        domain_estimate(d, None, &y, &[true; 5], Statistic::Mean, Convention::Survey)
            .unwrap()
            .unwrap()
            .se
    };
    assert!(se(&adjusted) > se(&certain));
}

#[test]
fn fpc_must_be_one_number_per_stratum() {
    let df = df!("w" => [1.0; 3], "N" => [10.0, 10.0, 12.0]).unwrap();
    let err = design_from_frame(
        &df,
        &DesignColumns {
            weights: Some("w".into()),
            strata: None,
            psu: None,
            fpc: Some("N".into()),
            lonely: LonelyPsu::Fail,
            replicates: None,
        },
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::Design(DesignError::Column { row: 2, .. })),
        "{err}"
    );
}

fn margin(name: &str, category: Vec<u32>, target: Vec<f64>) -> Margin {
    Margin {
        name: name.into(),
        labels: (0..target.len()).map(|k| format!("{name}{k}")).collect(),
        category,
        target,
    }
}

#[test]
fn raking_refuses_inconsistent_or_unreachable_margins() {
    let a = margin("age", vec![0, 1, 1], vec![50.0, 50.0]);
    let b = margin("sex", vec![0, 0, 1], vec![40.0, 70.0]);
    assert!(matches!(
        rake(&[1.0; 3], &[a.clone(), b], &opts()),
        Err(DesignError::InconsistentMargins { .. })
    ));
    let empty = margin("district", vec![0, 0, 1], vec![30.0, 30.0, 40.0]);
    let err = rake(&[1.0; 3], &[a, empty], &opts()).unwrap_err();
    assert_eq!(
        err,
        DesignError::EmptyCell {
            margin: "district".into(),
            category: "district2".into(),
            target: 40.0
        }
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Raking meets every margin to 1e-6 relative, and trimming keeps the total and the
    /// bounds.
    #[test]
    fn raking_meets_margins_and_trimming_keeps_bounds(
        rows in proptest::collection::vec((0u32..3, 0u32..2, 0.5f64..4.0), 30..200),
        shares_a in proptest::collection::vec(0.2f64..1.0, 3),
        shares_b in proptest::collection::vec(0.2f64..1.0, 2),
    ) {
        let a: Vec<u32> = rows.iter().map(|r| r.0).collect();
        let b: Vec<u32> = rows.iter().map(|r| r.1).collect();
        let base: Vec<f64> = rows.iter().map(|r| r.2).collect();
        // Every (a, b) cell holds a row: then any positive margins can be reached (with an
        // empty cell some margins cannot, e.g. when a's third category only meets b's
        // first, and raking rightly reports that it does not converge).
        prop_assume!((0..3).all(|i| (0..2).all(|j| a.iter().zip(&b).any(|(&x, &y)| x == i && y == j))));
        // Margins of a population of 10,000 with an arbitrary (positive) joint table.
        let total = 10_000.0;
        let sa: f64 = shares_a.iter().sum();
        let sb: f64 = shares_b.iter().sum();
        let ta: Vec<f64> = shares_a.iter().map(|s| total * s / sa).collect();
        let tb: Vec<f64> = shares_b.iter().map(|s| total * s / sb).collect();
        let margins = [margin("a", a, ta.clone()), margin("b", b, tb.clone())];
        let out = rake(&base, &margins, &opts()).unwrap();
        for (m, achieved) in margins.iter().zip(&out.achieved) {
            for (t, got) in m.target.iter().zip(achieved) {
                prop_assert!((got - t).abs() / t <= 1e-6);
            }
        }
        let mut w = out.weights.clone();
        let before: f64 = w.iter().sum();
        trim(&mut w, Some(0.5), Some(2.0));
        let after: f64 = w.iter().sum();
        prop_assert!((before - after).abs() <= 1e-9 * before);
        let mean = after / w.len() as f64;
        prop_assert!(w.iter().all(|&x| x <= 2.0 * mean * (1.0 + 1e-9) && x >= 0.5 * mean * (1.0 - 1e-9)));
    }
}
