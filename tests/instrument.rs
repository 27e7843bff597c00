use lyhord::instrument::*;

#[test]
fn builtins_load_with_their_published_structure() {
    let hme = Instrument::builtin("hme").unwrap();
    // SKR HME: 9 statements in three sub-indices of three, reported as Kolada U00200–U00203.
    assert_eq!(hme.items.len(), 9);
    assert_eq!(
        hme.dimensions
            .iter()
            .map(|d| d.id.as_str())
            .collect::<Vec<_>>(),
        ["motivation", "ledarskap", "styrning"]
    );
    assert_eq!(hme.index.kolada.as_deref(), Some("U00200"));
    assert_eq!(hme.dimensions[2].kolada.as_deref(), Some("U00203"));
    let epl = Instrument::builtin("epl-staff").unwrap();
    assert!(epl.items.iter().filter(|i| i.reverse).count() >= 1);
    assert_eq!(epl.index.rule, IndexBasis::MeanOfDimensions);
    let uk = Instrument::builtin("uk-engagement").unwrap();
    assert_eq!(uk.index_items().len(), 5);
    assert_eq!(uk.min_group, 10);
}

#[test]
fn builtin_names_ignore_case() {
    let hme = Instrument::builtin("hme").unwrap();
    assert_eq!(Instrument::builtin("HME").unwrap(), hme);
    assert_eq!(Instrument::builtin(" Hme ").unwrap(), hme);
    assert_eq!(Instrument::builtin("EPL-Staff").unwrap().id, "epl-staff");
}

#[test]
fn unknown_builtin_lists_the_available_ones() {
    let err = Instrument::builtin("hmee").unwrap_err().to_string();
    assert!(
        err.contains("hmee") && err.contains("hme, epl-staff, epl-citizen, uk-engagement, enps"),
        "{err}"
    );
}

fn hme_text() -> String {
    include_str!("../src/instrument/builtin/hme.toml").to_string()
}

#[test]
fn dimension_referring_to_missing_item_names_the_key() {
    let text = hme_text().replace(
        r#"items = ["hme1", "hme2", "hme3"]"#,
        r#"items = ["hme1", "hme99", "hme3"]"#,
    );
    let err = Instrument::from_toml_str(&text, "x.toml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("dimensions[0].items[1]") && err.contains("hme99"),
        "{err}"
    );
}

#[test]
fn unknown_key_is_reported_with_its_name() {
    let text = hme_text().replace("min_group = 5", "min_grupp = 5");
    let err = Instrument::from_toml_str(&text, "local.toml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("local.toml") && err.contains("min_grupp"),
        "{err}"
    );
}

#[test]
fn dont_know_code_on_the_scale_is_refused() {
    let text = hme_text().replace("dont_know = [6]", "dont_know = [3]");
    let err = Instrument::from_toml_str(&text, "x")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("scale.dont_know") && err.contains("code 3"),
        "{err}"
    );
}

#[test]
fn min_answered_above_item_count_is_refused() {
    let text = include_str!("../src/instrument/builtin/epl-staff.toml")
        .replace("min_answered = 2", "min_answered = 5");
    let err = Instrument::from_toml_str(&text, "x")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("dimensions[2].min_answered") && err.contains("only 4"),
        "{err}"
    );
}

#[test]
fn toml_and_json_round_trip() {
    for name in Instrument::builtin_names() {
        let inst = Instrument::builtin(name).unwrap();
        assert_eq!(
            Instrument::from_toml_str(&inst.to_toml(), "rt").unwrap(),
            inst
        );
        assert_eq!(Instrument::from_json(&inst.to_json()).unwrap(), inst);
    }
}

#[test]
fn linear_scores_follow_the_published_mappings() {
    let hme = Instrument::builtin("hme").unwrap();
    // HME: (x − 1) · 25.
    let got: Vec<f64> = (1..=5).map(|c| hme.score_code(&hme.scale, c)).collect();
    assert_eq!(got, [0.0, 25.0, 50.0, 75.0, 100.0]);
    // SCB citizen survey: 1–10 mapped as (x − 1) · 100/9, so 10 → 100 and 4 → 33.33.
    let scb = Scale {
        min: 1,
        max: 10,
        positive: vec![8, 9, 10],
        ..hme.scale.clone()
    };
    assert!((hme.score_code(&scb, 4) - 100.0 / 3.0).abs() < 1e-12);
    assert_eq!(hme.score_code(&scb, 10), 100.0);
}

#[test]
fn classify_applies_reverse_keys_and_special_codes() {
    let epl = Instrument::builtin("epl-staff").unwrap();
    let eng4 = epl.item("eng4").unwrap();
    assert_eq!(epl.classify(eng4, Some(1)), Some(Answer::Valid(5)));
    assert_eq!(epl.classify(eng4, Some(6)), Some(Answer::DontKnow));
    assert_eq!(epl.classify(eng4, None), Some(Answer::Missing));
    assert_eq!(epl.classify(eng4, Some(7)), None);
}
