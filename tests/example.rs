//! The Exempelkommun generator: the properties the issue promises, checked on the data set
//! everything else uses (default seed), plus determinism and parameter errors.

use lyhord::datasets::{headcount_frame, staff_frame, staff_frame_scaled};
use lyhord::example::{self, changed_units, DEFAULT_SEED, STAFF_ITEMS};
use lyhord::instrument::Instrument;
use lyhord::score::frame::score_frame;
use polars::prelude::*;
use std::collections::HashMap;

fn wave(year: i32) -> DataFrame {
    staff_frame(year, DEFAULT_SEED).expect("the documented data set generates")
}

fn respondents_per_unit(df: &DataFrame) -> HashMap<String, u32> {
    let mut out = HashMap::new();
    for enhet in df.column("enhet").unwrap().str().unwrap().iter().flatten() {
        *out.entry(enhet.to_string()).or_default() += 1;
    }
    out
}

#[test]
fn organisation_has_five_forvaltningar_120_enheter_and_about_6000_employees() {
    let units = example::organisation(2025, DEFAULT_SEED).unwrap();
    assert_eq!(units.len(), 120);
    let forvaltningar: std::collections::BTreeSet<_> =
        units.iter().map(|u| u.forvaltning.as_str()).collect();
    assert_eq!(forvaltningar.len(), 5);
    assert!(forvaltningar.contains("Barn- och utbildningsförvaltningen"));
    let employees: u32 = units.iter().map(|u| u.headcount).sum();
    assert!(
        (5_700..=6_300).contains(&employees),
        "{employees} employees"
    );
    let names: std::collections::BTreeSet<_> = units.iter().map(|u| u.enhet.as_str()).collect();
    assert_eq!(
        names.len(),
        120,
        "enhet names are unique across förvaltningar"
    );
}

#[test]
fn response_rate_is_70_to_85_percent_and_some_units_have_fewer_than_five() {
    for year in example::YEARS {
        let df = wave(year);
        let units = example::organisation(year, DEFAULT_SEED).unwrap();
        let employees: u32 = units.iter().map(|u| u.headcount).sum();
        let rate = df.height() as f64 / employees as f64;
        assert!(
            (0.70..=0.85).contains(&rate),
            "{year}: response rate {rate}"
        );
        let per_unit = respondents_per_unit(&df);
        for u in &units {
            let answered = per_unit.get(&u.enhet).copied().unwrap_or(0);
            assert!(
                answered <= u.headcount,
                "{}: {answered} > {}",
                u.enhet,
                u.headcount
            );
        }
        let small = units
            .iter()
            .filter(|u| per_unit.get(&u.enhet).copied().unwrap_or(0) < 5)
            .count();
        assert!(
            small >= 6,
            "{year}: only {small} units below five respondents"
        );
    }
}

fn item_codes(df: &DataFrame, item: &str) -> Vec<Option<i64>> {
    df.column(item).unwrap().i64().unwrap().iter().collect()
}

#[test]
fn missing_answers_are_3_to_8_percent_and_vet_ej_only_where_offered() {
    let df = wave(2025);
    let mut missing = 0usize;
    for item in STAFF_ITEMS {
        let codes = item_codes(&df, item);
        missing += codes.iter().filter(|c| c.is_none()).count();
        let dont_know = codes.iter().filter(|c| **c == Some(6)).count();
        let offers = ["hme7", "hme8", "hme9"].contains(&item)
            || item.starts_with("del")
            || item.starts_with("lar");
        if offers {
            let share = dont_know as f64 / codes.len() as f64;
            assert!((0.02..0.08).contains(&share), "{item}: vet ej {share}");
        } else {
            assert_eq!(dont_know, 0, "{item} has no vet ej option");
        }
        assert!(codes.iter().flatten().all(|c| (1..=6).contains(c)));
    }
    let share = missing as f64 / (df.height() * STAFF_ITEMS.len()) as f64;
    assert!((0.03..=0.08).contains(&share), "missing share {share}");
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

fn complete_pairs(df: &DataFrame, a: &str, b: &str) -> (Vec<f64>, Vec<f64>) {
    let ca = df.column(a).unwrap().f64().unwrap();
    let cb = df.column(b).unwrap().f64().unwrap();
    ca.iter()
        .zip(cb.iter())
        .filter_map(|(x, y)| Some((x?, y?)))
        .unzip()
}

#[test]
fn dimensions_correlate_like_a_real_staff_survey_and_reverse_items_run_backwards() {
    let inst = Instrument::builtin("epl-staff").unwrap();
    let scores = score_frame(&wave(2025), &inst).unwrap();
    for (a, b) in [
        ("engagement", "participation"),
        ("engagement", "learning"),
        ("participation", "learning"),
    ] {
        let (x, y) = complete_pairs(&scores, a, b);
        let r = pearson(&x, &y);
        assert!((0.4..0.75).contains(&r), "r({a}, {b}) = {r}");
    }
    // Raw eng4 is answered reversed, so it correlates negatively with raw eng1.
    let raw = wave(2025);
    let pairs: (Vec<f64>, Vec<f64>) = item_codes(&raw, "eng1")
        .into_iter()
        .zip(item_codes(&raw, "eng4"))
        .filter_map(|(x, y)| Some((x? as f64, y? as f64)))
        .unzip();
    assert!(pearson(&pairs.0, &pairs.1) < -0.3);
}

fn unit_means(df: &DataFrame, dimension: &str) -> HashMap<String, f64> {
    unit_means_of(df, "epl-staff", dimension)
}

fn unit_means_of(df: &DataFrame, instrument: &str, dimension: &str) -> HashMap<String, f64> {
    let inst = Instrument::builtin(instrument).unwrap();
    let scores = score_frame(df, &inst).unwrap();
    let means = scores
        .lazy()
        .group_by([col("enhet")])
        .agg([col(dimension).mean()])
        .collect()
        .unwrap();
    let names = means.column("enhet").unwrap().str().unwrap().clone();
    let values = means.column(dimension).unwrap().f64().unwrap().clone();
    names
        .iter()
        .flatten()
        .zip(values.iter())
        .filter_map(|(n, v)| Some((n.to_string(), v?)))
        .collect()
}

#[test]
fn changed_units_really_change_and_the_others_do_not() {
    let (before, after) = (wave(2024), wave(2025));
    for dimension in ["participation", "engagement"] {
        let (m24, m25) = (
            unit_means(&before, dimension),
            unit_means(&after, dimension),
        );
        let listed: Vec<_> = changed_units()
            .into_iter()
            .filter(|c| c.1 == dimension)
            .collect();
        assert!(listed.len() >= 5, "{dimension}: {} units", listed.len());
        let mut gap = 0.0;
        for (enhet, _, change) in &listed {
            let observed = m25[enhet] - m24[enhet];
            assert!(observed * change > 0.0, "{enhet}: {observed} vs {change}");
            gap += observed - change;
        }
        // Units of 30–120 respondents: the mean over the listed units is within ±3.5 points.
        let mean_gap = gap / listed.len() as f64;
        assert!(mean_gap.abs() < 3.5, "{dimension}: mean gap {mean_gap}");
        let sizes = respondents_per_unit(&after);
        let unchanged: Vec<f64> = m25
            .iter()
            .filter(|(e, _)| sizes[*e] >= 20 && !changed_units().iter().any(|c| &c.0 == *e))
            .filter_map(|(e, v)| Some(v - m24.get(e)?))
            .collect();
        let drift = unchanged.iter().sum::<f64>() / unchanged.len() as f64;
        assert!(
            drift.abs() < 1.5,
            "{dimension}: unchanged units drift {drift}"
        );
    }
}

/// The register's units exist where it says, none is a unit of `changed_units` (so the
/// actions are the only change from 2025 to 2026), and the leadership programme lifts
/// Ledarskap by about its planted 5.8 points more than elsewhere while the other action
/// changes nothing.
#[test]
fn the_action_register_is_consistent_and_its_effects_are_in_the_data() {
    let units = example::organisation(2026, DEFAULT_SEED).unwrap();
    let register = example::actions();
    for a in &register {
        assert!(
            units
                .iter()
                .any(|u| u.enhet == a.enhet && u.forvaltning == a.forvaltning),
            "{}",
            a.enhet
        );
        assert!(
            !changed_units().iter().any(|c| c.0 == a.enhet),
            "{}",
            a.enhet
        );
        assert!(
            a.start > "2025-01-01" && a.start < "2026-10-01",
            "{}",
            a.start
        );
    }
    let (before, after) = (wave(2025), wave(2026));
    let sizes = respondents_per_unit(&after);
    let change = |dimension: &str, action: Option<&str>| {
        let (m25, m26) = (
            unit_means_of(&before, "hme", dimension),
            unit_means_of(&after, "hme", dimension),
        );
        let took = |e: &str| {
            register
                .iter()
                .any(|a| a.enhet == e && action.is_none_or(|name| a.action == name))
        };
        let changes: Vec<f64> = m26
            .iter()
            .filter(|(e, _)| sizes[*e] >= 10 && took(e) == action.is_some())
            .filter_map(|(e, v)| Some(v - m25.get(e)?))
            .collect();
        changes.iter().sum::<f64>() / changes.len() as f64
    };
    let lift = change("ledarskap", Some("Ledarskapsutbildning")) - change("ledarskap", None);
    assert!((lift - 5.8).abs() < 3.0, "leadership programme: {lift}");
    let none = change("styrning", Some("Målbild på APT")) - change("styrning", None);
    assert!(none.abs() < 3.0, "goals at workplace meetings: {none}");
}

#[test]
fn the_same_seed_gives_the_same_data_and_another_seed_does_not() {
    let a = wave(2025);
    assert!(a.equals_missing(&wave(2025)));
    let b = staff_frame(2025, 7).unwrap();
    assert!(!a.equals_missing(&b));
    assert_eq!(
        a.get_column_names()[..6],
        [
            "respondent_id",
            "year",
            "forvaltning",
            "enhet",
            "kon",
            "aldersgrupp"
        ]
    );
}

#[test]
fn headcounts_cover_every_unit_with_answers() {
    let heads = headcount_frame(2025, DEFAULT_SEED).unwrap();
    assert_eq!(heads.height(), 120);
    let known: std::collections::HashSet<&str> = heads
        .column("enhet")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .collect();
    let answers = wave(2025);
    let answered = respondents_per_unit(&answers);
    assert!(answered.keys().all(|e| known.contains(e.as_str())));
}

#[test]
fn scaled_draw_has_the_requested_size_and_the_same_units() {
    let df = staff_frame_scaled(2025, DEFAULT_SEED, 20_000).unwrap();
    assert_eq!(df.height(), 20_000);
    assert_eq!(df.width(), 6 + STAFF_ITEMS.len());
    assert!(respondents_per_unit(&df).len() > 100);
}

#[test]
fn unknown_year_and_empty_draw_name_the_parameter() {
    let err = staff_frame(2022, DEFAULT_SEED).unwrap_err().to_string();
    assert!(
        err.contains("`year`") && err.contains("2023 to 2026") && err.contains("2022"),
        "{err}"
    );
    let err = staff_frame_scaled(2025, DEFAULT_SEED, 0)
        .unwrap_err()
        .to_string();
    assert!(err.contains("`n`"), "{err}");
}
