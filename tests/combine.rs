//! The combined index: weighted mean of sources, propagated SE, disagreement flags.

use lyhord::combine::{combine, z_for, SourceValue};

fn source(name: &str, score: f64, se: f64, weight: f64) -> SourceValue {
    SourceValue {
        source: name.into(),
        score,
        se,
        weight,
    }
}

#[test]
fn weighted_mean_and_propagated_se_by_hand() {
    // Weights 3 : 1 → 0.75 · 72 + 0.25 · 48 = 66; SE = sqrt(0.75² · 2² + 0.25² · 8²) = 2.5.
    let z = z_for(0.95).unwrap();
    assert!(
        (z - 1.959963984540054).abs() < 1e-12,
        "scipy.stats.norm.ppf(0.975)"
    );
    let c = combine(
        &[
            source("staff", 72.0, 2.0, 3.0),
            source("interviews", 48.0, 8.0, 1.0),
        ],
        z,
    )
    .unwrap();
    assert!((c.score - 66.0).abs() < 1e-12);
    assert!((c.se - 2.5).abs() < 1e-12);
    assert!((c.ci_low - (66.0 - z * 2.5)).abs() < 1e-12);
    assert_eq!(c.sources, ["staff", "interviews"]);
    // |72 − 48| = 24 > 1.96 · sqrt(4 + 64) = 16.2: the sources disagree (z = 2.9).
    assert_eq!(
        c.disagreements,
        ["staff 72.0 vs interviews 48.0 (difference 24.0, z = 2.9)"]
    );
}

#[test]
fn close_sources_agree_and_nothing_gives_nothing() {
    let z = z_for(0.95).unwrap();
    let c = combine(
        &[
            source("staff", 70.0, 2.0, 1.0),
            source("citizens", 66.0, 1.5, 1.0),
        ],
        z,
    )
    .unwrap();
    // |4| < 1.96 · 2.5 = 4.9.
    assert!(c.disagreements.is_empty());
    assert!(combine(&[], z).is_none());
    assert!(z_for(1.0).is_err());
}
