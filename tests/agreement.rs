//! Intercoder agreement against published and independently computed values. The source of
//! every number is written beside it.

use lyhord::agreement::frame::{agreement_frame, presence_frame, AgreementOptions};
use lyhord::agreement::{agreement, Estimate, Level, Ratings, Request, SeMethod, Weights};
use polars::prelude::*;

/// Ratings from a coders × units matrix as printed in the sources (`None` = not coded).
fn ratings(by_coder: &[Vec<Option<f64>>]) -> Ratings {
    let coders = by_coder.len();
    let units = by_coder[0].len();
    let mut values: Vec<f64> = by_coder.iter().flatten().flatten().copied().collect();
    values.sort_by(f64::total_cmp);
    values.dedup();
    let index = |v: f64| values.iter().position(|&c| c == v).unwrap() as u32;
    let cells = (0..units)
        .flat_map(|u| by_coder.iter().map(move |c| c[u]))
        .map(|v| v.map(index))
        .collect();
    Ratings {
        units,
        coders,
        cells,
        values: values.clone(),
    }
}

fn request(level: Level, weights: &[Weights]) -> Request {
    Request {
        level,
        weights: weights.to_vec(),
        se_method: SeMethod::Analytic,
        n_boot: 0,
        confidence: 0.95,
        seed: 1,
        statistics: None,
    }
}

fn get(est: &[Estimate], statistic: &str, weights: Option<Weights>) -> f64 {
    let e = est
        .iter()
        .find(|e| e.statistic == statistic && e.weights == weights)
        .unwrap_or_else(|| panic!("no {statistic} {weights:?}"));
    *e.value.as_ref().expect("defined")
}

fn close(actual: f64, expected: f64, tol: f64) {
    assert!(
        (actual - expected).abs() <= tol,
        "{actual} differs from {expected} by more than {tol}"
    );
}

const NA: Option<f64> = None;

/// Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers
/// × 12 units with missing values.
fn krippendorff_2011() -> Ratings {
    ratings(&[
        codes("1 2 3 3 2 1 4 1 2 . . ."),
        codes("1 2 3 3 2 2 4 1 2 5 . 3"),
        codes(". 3 3 3 2 3 4 2 2 5 1 ."),
        codes("1 2 3 3 2 4 4 1 2 5 1 ."),
    ])
}

/// One coder's ratings written as in the sources: numbers, `.` for not coded.
fn codes(line: &str) -> Vec<Option<f64>> {
    line.split_whitespace().map(|v| v.parse().ok()).collect()
}

#[test]
fn krippendorff_alpha_reproduces_the_2011_paper_at_every_level() {
    // Paper: nominal 0.743, ordinal 0.815, interval 0.849, ratio 0.797. Full precision from
    // the Python `krippendorff` package 0.9.0: krippendorff.alpha(reliability_data=…,
    // level_of_measurement=…).
    let r = krippendorff_2011();
    for (level, expected) in [
        (Level::Nominal, 0.743421052631579),
        (Level::Ordinal, 0.8153875037548814),
        (Level::Interval, 0.8491071428571428),
        (Level::Ratio, 0.7974027747116121),
    ] {
        let est = agreement(&r, &request(level, &[])).unwrap();
        close(get(&est, "krippendorff_alpha", None), expected, 1e-12);
    }
}

#[test]
fn gwet_family_matches_irrcac_on_the_2011_data() {
    // Python irrCAC 0.4.4 (port of R irrCAC by Gwet), CAC(df, weights=…).fleiss(),
    // .gwet(), .bp(), on the same 12 × 4 table (units as rows, NaN for missing).
    let r = krippendorff_2011();
    let all = [Weights::Unweighted, Weights::Linear, Weights::Quadratic];
    let est = agreement(&r, &request(Level::Nominal, &all)).unwrap();
    let u = Some(Weights::Unweighted);
    close(get(&est, "percent_agreement", u), 0.81818, 5e-6);
    close(get(&est, "fleiss_kappa", u), 0.76117, 5e-6);
    close(get(&est, "gwet_ac1", u), 0.77544, 5e-6);
    close(get(&est, "brennan_prediger", u), 0.77273, 5e-6);
    let l = Some(Weights::Linear);
    close(get(&est, "fleiss_kappa", l), 0.81794, 5e-6);
    close(get(&est, "gwet_ac2", l), 0.85874, 5e-6);
    close(get(&est, "brennan_prediger", l), 0.84848, 5e-6);
    let q = Some(Weights::Quadratic);
    close(get(&est, "fleiss_kappa", q), 0.86494, 5e-6);
    close(get(&est, "gwet_ac2", q), 0.914, 5e-6);
    close(get(&est, "brennan_prediger", q), 0.90152, 5e-6);
}

fn analytic<'a>(est: &'a [Estimate], statistic: &str, weights: Option<Weights>) -> &'a Estimate {
    est.iter()
        .find(|e| e.statistic == statistic && e.weights == weights)
        .unwrap_or_else(|| panic!("no {statistic} {weights:?}"))
}

#[test]
fn analytic_standard_errors_match_irrcac_on_the_2011_data() {
    // R irrCAC (Gwet), functions of agree.coeff3.raw.r sourced from github.com/kgwet/irrCAC
    // with the 5-digit rounding of coeff.val/coeff.se taken out: pa.coeff.raw,
    // gwet.ac1.raw, fleiss.kappa.raw, conger.kappa.raw, bp.coeff.raw, krippen.alpha.raw on
    // the 12 × 4 table (units as rows, NA for missing), weights = "unweighted" /
    // "linear" / "quadratic". p is irrCAC's one-sided 1 − pt(coef/se, n − 1); ours is
    // two-sided, so twice it.
    let r = krippendorff_2011();
    let all = [Weights::Unweighted, Weights::Linear, Weights::Quadratic];
    let est = agreement(&r, &request(Level::Nominal, &all)).unwrap();
    let expected = [
        (
            Weights::Unweighted,
            "percent_agreement",
            0.818181818181818,
            0.125608959946865,
            None,
        ),
        (
            Weights::Unweighted,
            "gwet_ac1",
            0.775444068126995,
            0.142949950640765,
            Some(0.000104360492031663),
        ),
        (
            Weights::Unweighted,
            "fleiss_kappa",
            0.761169275422411,
            0.153019203469492,
            Some(0.000209586519265281),
        ),
        (
            Weights::Unweighted,
            "conger_kappa",
            0.762066893651112,
            0.150108795069851,
            Some(0.000178392139136063),
        ),
        (
            Weights::Unweighted,
            "brennan_prediger",
            0.772727272727273,
            0.144716619899483,
            Some(0.000118780434812171),
        ),
        (
            Weights::Linear,
            "percent_agreement",
            0.939393939393939,
            0.0936791026411015,
            None,
        ),
        (
            Weights::Linear,
            "gwet_ac2",
            0.858739136432611,
            0.117329021881364,
            Some(7.53015426624426e-06),
        ),
        (
            Weights::Linear,
            "fleiss_kappa",
            0.81794476709731,
            0.148504355499451,
            Some(9.20196291229747e-05),
        ),
        (
            Weights::Linear,
            "conger_kappa",
            0.813137032842582,
            0.145868196929064,
            Some(8.32725255501821e-05),
        ),
        (
            Weights::Linear,
            "brennan_prediger",
            0.848484848484849,
            0.123356124494103,
            Some(1.33127858661375e-05),
        ),
        (
            Weights::Quadratic,
            "percent_agreement",
            0.975378787878788,
            0.0906162783195465,
            None,
        ),
        (
            Weights::Quadratic,
            "gwet_ac2",
            0.914000723551605,
            0.10396224464506,
            Some(1.31721923291028e-06),
        ),
        (
            Weights::Quadratic,
            "fleiss_kappa",
            0.864935064935065,
            0.146033610756912,
            Some(4.98804066036973e-05),
        ),
        (
            Weights::Quadratic,
            "conger_kappa",
            0.857168224091625,
            0.1443607913584,
            Some(4.88222708507902e-05),
        ),
        (
            Weights::Quadratic,
            "brennan_prediger",
            0.901515151515151,
            0.110894374973973,
            Some(2.80273986263957e-06),
        ),
    ];
    for (w, statistic, value, se, one_sided_p) in expected {
        let e = analytic(&est, statistic, Some(w));
        close(*e.value.as_ref().unwrap(), value, 1e-13);
        close(e.se.unwrap(), se, 1e-13);
        assert_eq!(e.df, Some(11.0));
        match one_sided_p {
            Some(p) => close(e.p_value.unwrap(), 2.0 * p, 1e-12),
            None => assert_eq!(e.p_value, None, "{statistic}: no test of p_a = 0"),
        }
    }
    // Interval: coef ± qt(0.975, 11)·se, upper end at most 1 (irrCAC): AC1 [0.46081, 1].
    let ac1 = analytic(&est, "gwet_ac1", Some(Weights::Unweighted));
    let (lo, hi) = ac1.ci.unwrap();
    close(lo, 0.460813348130838, 1e-12);
    assert_eq!(hi, 1.0);
    // With two or more coders Cohen's κ and Scott's π are not defined: null with a pointer.
    let cohen = analytic(&est, "cohen_kappa", Some(Weights::Unweighted));
    assert!(cohen.value.as_ref().unwrap_err().contains("conger_kappa"));
    assert_eq!((cohen.se, cohen.z), (None, None));
}

#[test]
fn krippendorff_alpha_se_matches_irrcac_at_nominal_interval_and_ordinal_level() {
    // irrCAC krippen.alpha.raw (as above): weights "unweighted" for nominal, "quadratic"
    // for interval (codes 1–5 equally spaced), and for ordinal the custom matrix
    // 1 − δ²/max δ² with Krippendorff's ordinal δ² from the pairable values' marginals:
    // nc <- sapply(1:5, function(k) sum(pair == k, na.rm = TRUE)), pair the units with ≥ 2
    // ratings, d2[c, k] = (sum(nc[c:k]) − (nc[c] + nc[k])/2)².
    let r = krippendorff_2011();
    for (level, value, se) in [
        (Level::Nominal, 0.743421052631579, 0.145478717222199),
        (Level::Interval, 0.849107142857144, 0.129051199944227),
        (Level::Ordinal, 0.815387503754882, 0.142254353842663),
    ] {
        let est = agreement(&r, &request(level, &[])).unwrap();
        let e = analytic(&est, "krippendorff_alpha", None);
        close(*e.value.as_ref().unwrap(), value, 1e-12);
        close(e.se.unwrap(), se, 1e-12);
    }
}

#[test]
fn cohen_and_scott_with_missing_ratings_take_chance_from_every_rating_as_irrcac() {
    // Coders A and B of the 2011 data without the unit neither rated (11 units; A misses
    // two). irrCAC conger.kappa.raw (= Cohen's κ for two coders, each coder's marginals
    // from all units they rated) and fleiss.kappa.raw (= Scott's π) on the 11 × 2 table.
    let r = ratings(&[
        codes("1 2 3 3 2 1 4 1 2 . ."),
        codes("1 2 3 3 2 2 4 1 2 5 3"),
    ]);
    let est = agreement(
        &r,
        &request(Level::Nominal, &[Weights::Unweighted, Weights::Quadratic]),
    )
    .unwrap();
    for (w, cohen, cohen_se, scott, scott_se) in [
        (
            Weights::Unweighted,
            0.851351351351351,
            0.19116533586994,
            0.853066180935033,
            0.191398722125251,
        ),
        (
            Weights::Quadratic,
            0.955823293172691,
            0.141730953052477,
            0.961199294532628,
            0.141690574597284,
        ),
    ] {
        let c = analytic(&est, "cohen_kappa", Some(w));
        close(*c.value.as_ref().unwrap(), cohen, 1e-13);
        close(c.se.unwrap(), cohen_se, 1e-13);
        let s = analytic(&est, "scott_pi", Some(w));
        close(*s.value.as_ref().unwrap(), scott, 1e-13);
        close(s.se.unwrap(), scott_se, 1e-13);
        // Conger's κ and Fleiss' κ are their many-coder names.
        assert_eq!(analytic(&est, "conger_kappa", Some(w)).value, c.value);
        assert_eq!(analytic(&est, "fleiss_kappa", Some(w)).value, s.value);
    }
}

/// Two coders from a 3 × 3 contingency table (rows coder A, columns coder B).
fn from_table(table: &[[usize; 3]; 3]) -> Ratings {
    let (mut a, mut b) = (vec![], vec![]);
    for (i, row) in table.iter().enumerate() {
        for (j, &n) in row.iter().enumerate() {
            for _ in 0..n {
                a.push(Some(i as f64 + 1.0));
                b.push(Some(j as f64 + 1.0));
            }
        }
    }
    ratings(&[a, b])
}

#[test]
fn two_coder_coefficients_match_irrcac_cont3x3abstractors() {
    // R irrCAC dataset cont3x3abstractors (Gwet 2014, table 3.1): kappa2.table(),
    // gwet.ac1.table(), bp.coeff.raw() and krippen.alpha.raw() with unweighted, linear and
    // quadratic weights (values from Python irrCAC 0.4.4).
    let r = from_table(&[[13, 0, 0], [0, 20, 7], [0, 4, 56]]);
    let all = [Weights::Unweighted, Weights::Linear, Weights::Quadratic];
    let est = agreement(&r, &request(Level::Nominal, &all)).unwrap();
    let expected = [
        (Weights::Unweighted, 0.79641, 0.84933, 0.835),
        (Weights::Linear, 0.8429, 0.90002, 0.87625),
        (Weights::Quadratic, 0.89216, 0.94024, 0.9175),
    ];
    for (w, cohen, gwet, bp) in expected {
        close(get(&est, "cohen_kappa", Some(w)), cohen, 5e-6);
        let name = if w == Weights::Unweighted {
            "gwet_ac1"
        } else {
            "gwet_ac2"
        };
        close(get(&est, name, Some(w)), gwet, 5e-6);
        close(get(&est, "brennan_prediger", Some(w)), bp, 5e-6);
    }
    close(get(&est, "krippendorff_alpha", None), 0.79726, 5e-6);
}

#[test]
fn krippendorff_weighted_variants_equal_interval_alpha_on_equally_spaced_codes() {
    // irrCAC krippen.alpha.raw(weights="quadratic") on cont3x3abstractors = 0.89265, which is
    // Krippendorff's interval α for codes 1, 2, 3 (quadratic weights = squared differences).
    let r = from_table(&[[13, 0, 0], [0, 20, 7], [0, 4, 56]]);
    let est = agreement(&r, &request(Level::Interval, &[])).unwrap();
    close(get(&est, "krippendorff_alpha", None), 0.89265, 5e-6);
}

#[test]
fn cohen_kappa_of_the_2x2_textbook_table_is_0_40() {
    // Wikipedia "Cohen's kappa", worked example: [[20, 5], [10, 15]] gives κ = 0.40.
    let (mut a, mut b) = (vec![], vec![]);
    for (x, y, n) in [
        (1.0, 1.0, 20),
        (1.0, 2.0, 5),
        (2.0, 1.0, 10),
        (2.0, 2.0, 15),
    ] {
        for _ in 0..n {
            a.push(Some(x));
            b.push(Some(y));
        }
    }
    let est = agreement(
        &ratings(&[a, b]),
        &request(Level::Nominal, &[Weights::Unweighted]),
    )
    .unwrap();
    close(
        get(&est, "cohen_kappa", Some(Weights::Unweighted)),
        0.40,
        1e-12,
    );
    close(
        get(&est, "percent_agreement", Some(Weights::Unweighted)),
        0.70,
        1e-12,
    );
}

#[test]
fn krippendorff_two_coder_binary_and_nominal_examples() {
    // Krippendorff (2011) section A (binary, 2 coders × 10 units): α = 0.095; section B
    // (nominal, 2 coders × 12 units, categories a–e): α = 0.692. Full precision from the
    // `krippendorff` package.
    let bits = |s: &str| {
        s.chars()
            .map(|c| Some(f64::from(c.to_digit(10).unwrap())))
            .collect::<Vec<_>>()
    };
    let r = ratings(&[bits("0100000010"), bits("1110010000")]);
    let est = agreement(&r, &request(Level::Nominal, &[])).unwrap();
    close(
        get(&est, "krippendorff_alpha", None),
        0.0952380952380952,
        1e-12,
    );

    let letters = |s: &str| {
        s.chars()
            .map(|c| Some(f64::from(c as u8 - b'a')))
            .collect::<Vec<_>>()
    };
    let r = ratings(&[letters("aabbdcccedda"), letters("babbbccceddd")]);
    let est = agreement(&r, &request(Level::Nominal, &[])).unwrap();
    close(
        get(&est, "krippendorff_alpha", None),
        0.6919642857142857,
        1e-12,
    );
}

/// Wikipedia "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories;
/// κ = 0.210 (P̄ = 0.378, P̄e = 0.213). Raters are exchangeable, so each subject's ratings
/// are spread over the first 14 rater columns; `idle` more coders rate nothing.
fn wikipedia_fleiss(idle: usize) -> Ratings {
    let table = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ];
    let mut by_coder = vec![vec![]; 14 + idle];
    for row in table {
        let codes = row
            .iter()
            .enumerate()
            .flat_map(|(k, &n)| std::iter::repeat_n(Some(k as f64 + 1.0), n))
            .chain(std::iter::repeat_n(NA, idle));
        for (coder, code) in codes.enumerate() {
            by_coder[coder].push(code);
        }
    }
    ratings(&by_coder)
}

#[test]
fn fleiss_kappa_of_the_wikipedia_table_is_0_210() {
    let est = agreement(
        &wikipedia_fleiss(0),
        &request(Level::Nominal, &[Weights::Unweighted]),
    )
    .unwrap();
    let u = Some(Weights::Unweighted);
    close(get(&est, "fleiss_kappa", u), 0.20993070442195522, 1e-12);
    close(get(&est, "percent_agreement", u), 0.378021978021978, 1e-12);
}

#[test]
fn fleiss_kappa_is_unchanged_by_coders_who_rated_nothing_even_when_rows_cannot_be_packed() {
    // 16 idle coders make 30 coders × 5 categories, too wide to pack a unit's row into 64
    // bits (6^30 > 2^64), so this exercises the slice-keyed path; the counts per unit, and
    // so κ, are unchanged.
    let est = agreement(
        &wikipedia_fleiss(16),
        &request(Level::Nominal, &[Weights::Unweighted]),
    )
    .unwrap();
    close(
        get(&est, "fleiss_kappa", Some(Weights::Unweighted)),
        0.20993070442195522,
        1e-12,
    );
}

#[test]
fn degenerate_data_give_a_reason_not_nan() {
    // One category used by both coders: observed agreement is 1, κ-type coefficients and α
    // are undefined, and the estimate says why.
    let r = ratings(&[vec![Some(1.0); 5], vec![Some(1.0); 5]]);
    let est = agreement(&r, &request(Level::Nominal, &[Weights::Unweighted])).unwrap();
    close(
        get(&est, "percent_agreement", Some(Weights::Unweighted)),
        1.0,
        0.0,
    );
    for e in est.iter().filter(|e| e.statistic != "percent_agreement") {
        let why = e.value.as_ref().expect_err("undefined");
        assert!(
            why.contains("one category") || why.contains("same category"),
            "{why}"
        );
    }
    // No overlap: two coders who never coded the same unit.
    let r = ratings(&[
        vec![Some(1.0), Some(2.0), NA, NA],
        vec![NA, NA, Some(1.0), Some(2.0)],
    ]);
    let est = agreement(&r, &request(Level::Nominal, &[Weights::Unweighted])).unwrap();
    assert!(est.iter().all(|e| e.value.is_err()));
    assert!(est
        .iter()
        .filter(|e| e.statistic != "cohen_kappa")
        .all(|e| e.value.as_ref().unwrap_err().contains("two or more coders")));
}

fn long_frame() -> DataFrame {
    // The 2011 data in long form, rows deliberately not sorted.
    let r = krippendorff_2011();
    let (mut unit, mut coder, mut value) = (vec![], vec![], vec![]);
    for u in (0..r.units).rev() {
        for c in 0..r.coders {
            if let Some(k) = r.cells[u * r.coders + c] {
                unit.push(format!("u{u:02}"));
                coder.push(["A", "B", "C", "D"][c]);
                value.push(r.values[k as usize] as i64);
            }
        }
    }
    df!("unit" => unit, "coder" => coder, "value" => value).unwrap()
}

fn options(level: Level, n_boot: usize) -> AgreementOptions {
    AgreementOptions {
        unit: "unit".into(),
        coder: "coder".into(),
        value: "value".into(),
        by: vec![],
        level,
        categories: None,
        weights: None,
        se_method: if n_boot > 0 {
            SeMethod::Bootstrap
        } else {
            SeMethod::Analytic
        },
        n_boot,
        confidence: 0.95,
        seed: 7,
        statistics: None,
    }
}

fn frame_value(out: &DataFrame, statistic: &str, weights: Option<&str>) -> Option<f64> {
    let stats = out.column("statistic").unwrap().str().unwrap().clone();
    let w = out.column("weights").unwrap().str().unwrap().clone();
    let v = out.column("value").unwrap().f64().unwrap().clone();
    (0..out.height())
        .find(|&i| stats.get(i) == Some(statistic) && w.get(i) == weights)
        .and_then(|i| v.get(i))
}

#[test]
fn long_frame_gives_the_same_values_with_counts_and_bootstrap_interval() {
    let out = agreement_frame(&long_frame(), &options(Level::Ordinal, 500)).unwrap();
    close(
        frame_value(&out, "krippendorff_alpha", None).unwrap(),
        0.8153875037548814,
        1e-12,
    );
    close(
        frame_value(&out, "gwet_ac2", Some("quadratic")).unwrap(),
        0.914,
        5e-6,
    );
    let row = out
        .clone()
        .lazy()
        .filter(col("statistic").eq(lit("krippendorff_alpha")))
        .collect()
        .unwrap();
    let n = |c: &str| row.column(c).unwrap().u64().unwrap().get(0).unwrap();
    assert_eq!(
        (n("n_units"), n("n_pairable"), n("n_coders"), n("n_ratings")),
        (12, 11, 4, 41)
    );
    let lo = row.column("ci_low").unwrap().f64().unwrap().get(0).unwrap();
    let hi = row
        .column("ci_high")
        .unwrap()
        .f64()
        .unwrap()
        .get(0)
        .unwrap();
    assert!(lo < 0.8153875 && 0.8153875 < hi && hi <= 1.0, "{lo} {hi}");
    // Cohen's κ needs two coders: null with the reason.
    let note = out.column("note").unwrap().str().unwrap().clone();
    let stats = out.column("statistic").unwrap().str().unwrap().clone();
    let i = (0..out.height())
        .find(|&i| stats.get(i) == Some("cohen_kappa"))
        .unwrap();
    assert!(note.get(i).unwrap().contains("exactly two coders"));
}

#[test]
fn each_group_gets_the_values_of_its_own_ratings() {
    // Group "a" holds the 2011 data; group "b" the same data under other unit ids, minus
    // coder D. Per group the values equal those of the group's ratings taken alone.
    let whole = long_frame();
    let without_d = whole
        .clone()
        .lazy()
        .filter(col("coder").neq(lit("D")))
        .collect()
        .unwrap();
    let renamed = without_d
        .clone()
        .lazy()
        .with_column((lit("x") + col("unit")).alias("unit"))
        .collect()
        .unwrap();
    let tag = |df: DataFrame, g: &str| df.lazy().with_column(lit(g).alias("g"));
    let both = concat(
        [tag(whole.clone(), "a"), tag(renamed, "b")],
        UnionArgs::default(),
    )
    .unwrap()
    .collect()
    .unwrap();
    let mut opts = options(Level::Ordinal, 0);
    opts.by = vec!["g".into()];
    let grouped = agreement_frame(&both, &opts).unwrap();
    for (g, alone) in [("a", whole), ("b", without_d)] {
        let part = grouped
            .clone()
            .lazy()
            .filter(col("g").eq(lit(g)))
            .drop(cols(["g"]))
            .collect()
            .unwrap();
        let expected = agreement_frame(&alone, &options(Level::Ordinal, 0)).unwrap();
        assert!(
            part.equals_missing(&expected),
            "group {g}:\n{part}\n{expected}"
        );
    }
}

#[test]
fn reordering_rows_changes_nothing_not_even_the_bootstrap() {
    let df = long_frame();
    let shuffled = df
        .clone()
        .lazy()
        .sort(["coder", "value"], Default::default())
        .collect()
        .unwrap();
    let a = agreement_frame(&df, &options(Level::Interval, 200)).unwrap();
    let b = agreement_frame(&shuffled, &options(Level::Interval, 200)).unwrap();
    assert!(a.equals_missing(&b));
}

#[test]
fn a_coder_rating_a_unit_twice_is_an_error_naming_both_rows() {
    let df = df!("unit" => ["s1", "s1", "s1"], "coder" => ["A", "B", "A"], "value" => [1, 2, 2])
        .unwrap();
    let err = agreement_frame(&df, &options(Level::Nominal, 0))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`s1`") && err.contains("`A`") && err.contains("rows 0 and 2"),
        "{err}"
    );
}

/// With more than 8 coders the check keeps a bit per unit × coder instead of a byte per
/// unit: the same error, and ten coders rating once each are no error.
#[test]
fn a_twice_rated_unit_is_found_among_many_coders() {
    let coders: Vec<String> = (0..10).map(|c| format!("c{c}")).collect();
    let mut coder: Vec<String> = coders.iter().chain(&coders).cloned().collect();
    let unit: Vec<&str> = (0..20).map(|i| if i < 10 { "s1" } else { "s2" }).collect();
    let value: Vec<i64> = (0..20).map(|i| 1 + i % 3).collect();
    let df = df!("unit" => &unit, "coder" => &coder, "value" => &value).unwrap();
    assert!(agreement_frame(&df, &options(Level::Nominal, 0)).is_ok());
    coder[19] = "c3".into();
    let df = df!("unit" => &unit, "coder" => &coder, "value" => &value).unwrap();
    let err = agreement_frame(&df, &options(Level::Nominal, 0))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`s2`") && err.contains("`c3`") && err.contains("rows 13 and 19"),
        "{err}"
    );
}

/// Large tables are packed in parts on several threads: a coder rating a unit in two
/// different parts is found as in one.
#[test]
fn a_twice_rated_unit_is_found_across_the_parts_of_a_large_table() {
    let units = 60_000i64;
    let mut unit: Vec<i64> = (0..2 * units).map(|i| i % units).collect();
    let mut coder: Vec<i64> = (0..2 * units).map(|i| i / units).collect();
    let value: Vec<i64> = (0..2 * units)
        .map(|i| 1 + (i * 7 + i / units) % 5)
        .collect();
    let df = df!("unit" => &unit, "coder" => &coder, "value" => &value).unwrap();
    // Reversed, each part holds other rows: the same table.
    let whole = agreement_frame(&df, &options(Level::Ordinal, 0)).unwrap();
    let reversed = df.reverse();
    let reversed = agreement_frame(&reversed, &options(Level::Ordinal, 0)).unwrap();
    assert!(whole.equals_missing(&reversed));
    let last = (2 * units - 1) as usize;
    (unit[last], coder[last]) = (0, 0);
    let df = df!("unit" => &unit, "coder" => &coder, "value" => &value).unwrap();
    let err = agreement_frame(&df, &options(Level::Ordinal, 0))
        .unwrap_err()
        .to_string();
    assert!(err.contains(&format!("rows 0 and {last}")), "{err}");
}

#[test]
fn text_categories_need_an_order_for_ordinal_data() {
    let df = df!("unit" => ["s1", "s1"], "coder" => ["A", "B"], "value" => ["låg", "hög"]).unwrap();
    let err = agreement_frame(&df, &options(Level::Ordinal, 0))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`value`") && err.contains("categories"),
        "{err}"
    );
    let mut opts = options(Level::Ordinal, 0);
    opts.categories = Some(vec!["låg".into(), "mellan".into()]);
    let err = agreement_frame(&df, &opts).unwrap_err().to_string();
    assert!(err.contains("row 1") && err.contains("\"hög\""), "{err}");
}

#[test]
fn one_coder_gives_nulls_with_a_reason() {
    let df = df!("unit" => ["s1", "s2"], "coder" => ["A", "A"], "value" => [1, 2]).unwrap();
    let out = agreement_frame(&df, &options(Level::Nominal, 10)).unwrap();
    assert_eq!(out.column("value").unwrap().null_count(), out.height());
    let note = out.column("note").unwrap().str().unwrap().clone();
    assert!(note.iter().all(|n| n.unwrap().contains("only 1 coder")));
}

#[test]
fn code_presence_gives_one_yes_no_rating_per_code_unit_and_coder() {
    let seg = df!(
        "interview" => ["i1", "i1", "i1", "i2"],
        "coder" => ["A", "A", "B", "A"],
        "code" => ["x", "y", "x", "y"]
    )
    .unwrap();
    let p = presence_frame(
        &seg,
        "interview",
        "coder",
        "code",
        Some(vec!["x".into(), "y".into(), "z".into()]),
    )
    .unwrap();
    // 3 codes × 3 (interview, coder) pairs.
    assert_eq!(p.height(), 9);
    let present: Vec<i32> = p
        .column("present")
        .unwrap()
        .i32()
        .unwrap()
        .into_no_null_iter()
        .collect();
    // Order: code, then (interview, coder): (i1,A) (i1,B) (i2,A).
    assert_eq!(present, vec![1, 1, 0, 1, 0, 1, 0, 0, 0]);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Up to 30 units × 2–5 coders, codes 1–4, some cells not coded.
    fn any_ratings() -> impl Strategy<Value = Vec<Vec<Option<f64>>>> {
        (2usize..=5, 2usize..=30).prop_flat_map(|(coders, units)| {
            proptest::collection::vec(
                proptest::collection::vec(
                    prop_oneof![1 => Just(None), 4 => (1u8..=4).prop_map(|v| Some(f64::from(v)))],
                    units,
                ),
                coders,
            )
        })
    }

    fn all_values(r: &Ratings, level: Level) -> Vec<(String, Option<f64>)> {
        let req = Request {
            level,
            weights: vec![Weights::Unweighted, Weights::Linear, Weights::Quadratic],
            se_method: SeMethod::Analytic,
            n_boot: 0,
            confidence: 0.95,
            seed: 3,
            statistics: None,
        };
        agreement(r, &req)
            .unwrap()
            .into_iter()
            .map(|e| (format!("{} {:?}", e.statistic, e.weights), e.value.ok()))
            .collect()
    }

    proptest! {
        #[test]
        fn coefficients_are_finite_and_at_most_one(data in any_ratings()) {
            for level in [Level::Nominal, Level::Ordinal, Level::Interval, Level::Ratio] {
                for (name, v) in all_values(&ratings(&data), level) {
                    if let Some(v) = v {
                        prop_assert!(v.is_finite() && v <= 1.0 + 1e-12, "{name} = {v}");
                        if name.starts_with("percent_agreement") {
                            prop_assert!(v >= -1e-12, "{name} = {v}");
                        }
                    }
                }
            }
        }

        #[test]
        fn analytic_intervals_are_finite_and_hold_the_value(data in any_ratings()) {
            let r = ratings(&data);
            let all = [Weights::Unweighted, Weights::Linear, Weights::Quadratic];
            for e in agreement(&r, &request(Level::Ordinal, &all)).unwrap() {
                let (Ok(v), Some(se)) = (&e.value, e.se) else { continue };
                prop_assert!(se.is_finite() && se >= 0.0, "{} se = {se}", e.statistic);
                if let Some((lo, hi)) = e.ci {
                    prop_assert!(lo <= *v + 1e-12 && *v <= hi + 1e-12, "{} {v} not in [{lo}, {hi}]", e.statistic);
                }
                if let Some(p) = e.p_value {
                    prop_assert!((0.0..=1.0).contains(&p), "{} p = {p}", e.statistic);
                }
            }
        }

        #[test]
        fn order_of_coders_and_units_changes_nothing(data in any_ratings(), rot in 0usize..30) {
            let mut shuffled: Vec<Vec<Option<f64>>> = data.iter().rev().cloned().collect();
            for row in &mut shuffled {
                let k = rot % row.len();
                row.rotate_left(k);
            }
            let a = all_values(&ratings(&data), Level::Ordinal);
            let b = all_values(&ratings(&shuffled), Level::Ordinal);
            for ((name, x), (_, y)) in a.iter().zip(&b) {
                match (x, y) {
                    (Some(x), Some(y)) => prop_assert!((x - y).abs() < 1e-9, "{name}: {x} vs {y}"),
                    (None, None) => {}
                    _ => prop_assert!(false, "{name}: {x:?} vs {y:?}"),
                }
            }
        }
    }
}
