//! Coding frames and interview scores.

use lyhord::error::{Error, InterviewError};
use lyhord::interviews::frame::{
    code_counts_frame, cooccurrence_frame, score_interviews_frame, ScoreOptions, SegmentColumns,
};
use lyhord::interviews::score::{balance_score, Evidence};
use lyhord::interviews::CodingFrame;
use polars::prelude::*;
use proptest::prelude::*;

fn close(actual: f64, expected: f64, tol: f64) {
    assert!(
        (actual - expected).abs() <= tol,
        "{actual} differs from {expected} by more than {tol}"
    );
}

fn frame() -> CodingFrame {
    CodingFrame::builtin("epl-interviews").unwrap()
}

fn cols(by: &[&str]) -> SegmentColumns {
    SegmentColumns {
        interview: "interview".into(),
        code: "code".into(),
        coder: Some("coder".into()),
        rating: Some("rating".into()),
        by: by.iter().map(|s| s.to_string()).collect(),
    }
}

fn opts(min_interviews: usize, confidence: f64) -> ScoreOptions {
    ScoreOptions {
        prior: 2.0,
        confidence,
        min_interviews,
    }
}

fn invalid_key(toml: &str) -> String {
    match CodingFrame::from_toml_str(toml, "test") {
        Err(InterviewError::Invalid { key, .. }) => key,
        other => panic!("expected an invalid key, got {other:?}"),
    }
}

#[test]
fn the_builtin_frame_loads_and_bad_frames_name_their_key() {
    let f = frame();
    assert_eq!(f.dimensions, ["engagement", "participation", "learning"]);
    assert!(f.code("del_betyg").unwrap().scale.is_some());
    let head = "id = \"t\"\nname = \"t\"\ndimensions = [\"learning\"]\n";
    let code = |body: &str| format!("{head}[[codes]]\nid = \"a\"\nlabel = \"a\"\n{body}\n");
    assert_eq!(
        invalid_key(&code("dimension = \"x\"")),
        "codes[0].dimension"
    );
    assert_eq!(invalid_key(&code("valence = \"+\"")), "codes[0].dimension");
    assert_eq!(invalid_key(&code("parent = \"nope\"")), "codes[0].parent");
    assert_eq!(invalid_key(&code("parent = \"a\"")), "codes[0].parent");
    assert_eq!(
        invalid_key(&code(
            "dimension = \"learning\"\nvalence = \"-\"\nscale = { min = 1, max = 5 }"
        )),
        "codes[0].scale"
    );
    assert_eq!(
        invalid_key(&code(
            "dimension = \"learning\"\nscale = { min = 5, max = 1 }"
        )),
        "codes[0].scale"
    );
    let twice = format!("{}[[codes]]\nid = \"a\"\nlabel = \"b\"\n", code(""));
    assert_eq!(invalid_key(&twice), "codes[1].id");
    // A frame survives a TOML round trip.
    assert_eq!(
        CodingFrame::from_toml_str(&f.to_toml(), "again").unwrap(),
        f
    );
}

#[test]
fn balance_score_is_the_beta_posterior_mean_and_quantiles() {
    // 6 positive, 2 negative, prior 2: Beta(8, 4). Reference: scipy.stats.beta.mean(8, 4),
    // beta.ppf(0.025, 8, 4), beta.ppf(0.975, 8, 4) (scipy 1.17.1), times 100.
    let e = Evidence {
        positive: 6.0,
        negative: 2.0,
        neutral: 3.0,
    };
    let b = balance_score(&e, 2.0, 0.95);
    close(b.score.unwrap(), 66.66666666666666, 1e-12);
    let (lo, hi) = b.interval.unwrap();
    close(lo, 39.02574404275788, 1e-8);
    close(hi, 89.07365561809019, 1e-8);
    // Nothing for or against: no score, with the reason.
    let none = balance_score(
        &Evidence {
            neutral: 4.0,
            ..Default::default()
        },
        2.0,
        0.95,
    );
    assert!(none.score.unwrap_err().contains("no positive or negative"));
}

/// One interview coded by two coders, plus a one-coder interview in another unit.
fn two_coder_segments() -> DataFrame {
    df!(
        "interview" => ["I1", "I1", "I1", "I1", "I1", "I1", "I1", "I1", "I2"],
        "enhet" => ["A", "A", "A", "A", "A", "A", "A", "A", "B"],
        "coder" => ["K1", "K1", "K1", "K1", "K2", "K2", "K2", "K2", "K1"],
        "segment" => [1, 2, 3, 4, 1, 2, 3, 4, 1],
        "code" => ["del_lyssnad", "del_inflytande", "del_overkord", "del_betyg",
                   "del_lyssnad", "del_overkord", "del_oinformerad", "del_betyg", "ovrigt"],
        "rating" => [None, None, None, Some(4.0), None, None, None, Some(4.0), None],
    )
    .unwrap()
}

fn row_value(df: &DataFrame, column: &str, filter: Expr) -> Option<f64> {
    let r = df.clone().lazy().filter(filter).collect().unwrap();
    assert_eq!(r.height(), 1, "{r}");
    r.column(column).unwrap().f64().unwrap().get(0)
}

#[test]
fn each_interview_counts_once_however_many_coders_coded_it() {
    // K1: +, +, −; K2: +, −, − → 1.5 for and 1.5 against after halving; both rate
    // participation 4 on 1–5 → 0.75 for and 0.25 against. Beta(2.25 + 2, 1.75 + 2):
    // scipy.stats.beta.mean(4.25, 3.75) = 0.53125, beta.ppf(0.05 / 0.95, 4.25, 3.75) =
    // 0.25246782702830444 / 0.8006329865922649 (90 % interval).
    let out = score_interviews_frame(
        &two_coder_segments(),
        &frame(),
        &cols(&["enhet"]),
        &opts(1, 0.90),
        false,
    )
    .unwrap();
    let participation = col("interview")
        .eq(lit("I1"))
        .and(col("dimension").eq(lit("participation")));
    close(
        row_value(&out, "positive", participation.clone()).unwrap(),
        2.25,
        1e-12,
    );
    close(
        row_value(&out, "negative", participation.clone()).unwrap(),
        1.75,
        1e-12,
    );
    close(
        row_value(&out, "score", participation.clone()).unwrap(),
        53.125,
        1e-10,
    );
    close(
        row_value(&out, "ci_low", participation.clone()).unwrap(),
        25.246782702830444,
        1e-6,
    );
    close(
        row_value(&out, "ci_high", participation).unwrap(),
        80.06329865922649,
        1e-6,
    );
    // The "ovrigt" coding is not lost: counted as neutral outside the EPL dimensions.
    let outside = col("interview")
        .eq(lit("I2"))
        .and(col("dimension").is_null());
    close(
        row_value(&out, "neutral", outside.clone()).unwrap(),
        1.0,
        0.0,
    );
    assert_eq!(row_value(&out, "score", outside), None);
}

#[test]
fn units_with_too_few_interviews_are_blanked_with_the_reason() {
    let out = score_interviews_frame(
        &two_coder_segments(),
        &frame(),
        &cols(&["enhet"]),
        &opts(2, 0.95),
        true,
    )
    .unwrap();
    let supp = out.column("suppressed").unwrap().bool().unwrap();
    assert!(
        supp.iter().all(|s| s == Some(true)),
        "both units have one interview"
    );
    for c in [
        "score", "ci_low", "ci_high", "positive", "negative", "neutral",
    ] {
        assert_eq!(out.column(c).unwrap().null_count(), out.height(), "{c}");
    }
    // Bare blanks: no reason, no counts.
    for c in ["note", "n_interviews", "n_coders"] {
        assert_eq!(out.column(c).unwrap().null_count(), out.height(), "{c}");
    }
}

#[test]
fn bad_segments_name_row_and_column() {
    let mut df = two_coder_segments();
    let codes = ["del_lyssnad", "okand", "x", "x", "x", "x", "x", "x", "x"];
    df.replace("code", Column::new("code".into(), codes))
        .unwrap();
    let err = score_interviews_frame(&df, &frame(), &cols(&[]), &opts(1, 0.95), false)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("column `code`, row 1") && err.contains("`okand`"),
        "{err}"
    );
    let mut df = two_coder_segments();
    let ratings = [
        None,
        None,
        None,
        Some(7.0),
        None,
        None,
        None,
        Some(4.0),
        None,
    ];
    df.replace("rating", Column::new("rating".into(), ratings))
        .unwrap();
    let err = score_interviews_frame(&df, &frame(), &cols(&[]), &opts(1, 0.95), false)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("row 3") && err.contains("outside its scale 1–5"),
        "{err}"
    );
    let mut df = two_coder_segments();
    let units = ["A", "A", "Z", "A", "A", "A", "A", "A", "B"];
    df.replace("enhet", Column::new("enhet".into(), units))
        .unwrap();
    let err =
        score_interviews_frame(&df, &frame(), &cols(&["enhet"]), &opts(1, 0.95), true).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Interview(InterviewError::Segment { row: 2, .. })
        ),
        "{err}"
    );
}

#[test]
fn code_counts_of_groups_with_too_few_interviews_are_one_bare_row() {
    // Each unit of the two-coder example holds one interview.
    let df = two_coder_segments();
    let counts = code_counts_frame(&df, &frame(), &cols(&["enhet"]), 2).unwrap();
    let units = df.column("enhet").unwrap().n_unique().unwrap();
    assert_eq!(counts.height(), units, "{counts}");
    for c in ["code", "dimension", "valence", "n_codings", "n_interviews"] {
        assert_eq!(counts.column(c).unwrap().null_count(), units, "{c}");
    }
    let supp = counts.column("suppressed").unwrap().bool().unwrap();
    assert!(supp.iter().all(|s| s == Some(true)));
    let mut df = df;
    let seg = [1, 1, 3, 4, 1, 2, 3, 4, 1];
    df.replace("segment", Column::new("segment".into(), seg))
        .unwrap();
    let pairs = cooccurrence_frame(&df, &frame(), &cols(&["enhet"]), "segment", 2).unwrap();
    assert_eq!(pairs.height(), 0, "{pairs}");
}

#[test]
fn code_counts_and_cooccurrence() {
    let df = two_coder_segments();
    let counts = code_counts_frame(&df, &frame(), &cols(&["enhet"]), 1).unwrap();
    let n = |code: &str| {
        let r = counts
            .clone()
            .lazy()
            .filter(col("code").eq(lit(code)))
            .collect()
            .unwrap();
        r.column("n_codings")
            .unwrap()
            .u64()
            .unwrap()
            .get(0)
            .unwrap()
    };
    assert_eq!(
        (n("del_lyssnad"), n("del_overkord"), n("ovrigt")),
        (2, 2, 1)
    );
    // Two codes on one segment by one coder co-occur once.
    let mut df = df;
    let seg = [1, 1, 3, 4, 1, 2, 3, 4, 1];
    df.replace("segment", Column::new("segment".into(), seg))
        .unwrap();
    let pairs = cooccurrence_frame(&df, &frame(), &cols(&["enhet"]), "segment", 1).unwrap();
    assert_eq!(pairs.height(), 1, "{pairs}");
    let a = pairs
        .column("code_a")
        .unwrap()
        .str()
        .unwrap()
        .get(0)
        .unwrap()
        .to_string();
    let b = pairs
        .column("code_b")
        .unwrap()
        .str()
        .unwrap()
        .get(0)
        .unwrap()
        .to_string();
    assert_eq!((a.as_str(), b.as_str()), ("del_inflytande", "del_lyssnad"));
}

#[test]
fn example_interviews_score_in_range_and_suppress_small_units() {
    let df = lyhord::datasets::interview_frame(lyhord::example::DEFAULT_SEED).unwrap();
    let out =
        score_interviews_frame(&df, &frame(), &cols(&["enhet"]), &opts(3, 0.95), true).unwrap();
    let n = out.column("n_interviews").unwrap().u64().unwrap();
    let supp = out.column("suppressed").unwrap().bool().unwrap();
    let score = out.column("score").unwrap().f64().unwrap();
    let units = out.column("enhet").unwrap().str().unwrap();
    let per_unit = df
        .clone()
        .lazy()
        .group_by([col("enhet")])
        .agg([col("interview").n_unique().alias("k")])
        .collect()
        .unwrap();
    let k_of = |unit: &str| -> u32 {
        let at = per_unit
            .column("enhet")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .position(|u| u == Some(unit))
            .unwrap();
        per_unit
            .column("k")
            .unwrap()
            .u32()
            .unwrap()
            .get(at)
            .unwrap()
    };
    for i in 0..out.height() {
        // Units with fewer than 3 interviews are blanked, bare (no count shown).
        assert_eq!(supp.get(i).unwrap(), k_of(units.get(i).unwrap()) < 3);
        assert_eq!(n.get(i).is_none(), supp.get(i).unwrap());
        if let Some(s) = score.get(i) {
            assert!((0.0..=100.0).contains(&s));
        }
    }
    assert!(
        score.iter().flatten().count() > 10,
        "some units are published"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Scores stay within 0–100 and inside their own interval, whatever the evidence.
    #[test]
    fn scores_stay_in_range(p in 0.0f64..200.0, n in 0.0f64..200.0, prior in 0.1f64..10.0) {
        let b = balance_score(&Evidence { positive: p, negative: n, neutral: 0.0 }, prior, 0.95);
        if p + n > 0.0 {
            let s = b.score.unwrap();
            let (lo, hi) = b.interval.unwrap();
            prop_assert!((0.0..=100.0).contains(&lo) && lo <= s && s <= hi && hi <= 100.0);
        }
    }
}
