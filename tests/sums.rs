//! Sums tables: estimates from them equal estimates from the answers, at the grouping they
//! were made with or a coarser one, whether summed at once, in batches, or merged.

use lyhord::datasets::staff_frame;
use lyhord::estimate::frame::{estimate_frame, EstimateOptions};
use lyhord::estimate::sums::{estimate_from_sums, merge_sums, sums_frame, SumsAccumulator};
use lyhord::example::DEFAULT_SEED;
use lyhord::instrument::Instrument;
use polars::prelude::*;

fn opts(by: &[&str]) -> EstimateOptions {
    EstimateOptions {
        by: by.iter().map(|s| s.to_string()).collect(),
        ..EstimateOptions::default()
    }
}

fn by(cols: &[&str]) -> Vec<String> {
    cols.iter().map(|s| s.to_string()).collect()
}

/// Largest absolute difference of a float column; counts and suppression must be equal.
fn assert_same(a: &DataFrame, b: &DataFrame) {
    assert_eq!(a.height(), b.height());
    for c in ["n", "n_respondents", "suppressed", "measure"] {
        assert!(
            a.column(c).unwrap().equals_missing(b.column(c).unwrap()),
            "{c}"
        );
    }
    for c in ["mean", "sd", "se", "pct_positive"] {
        let (x, y) = (
            a.column(c).unwrap().f64().unwrap(),
            b.column(c).unwrap().f64().unwrap(),
        );
        for (p, q) in x.iter().zip(y.iter()) {
            match (p, q) {
                (Some(p), Some(q)) => assert!((p - q).abs() < 1e-9, "{c}: {p} vs {q}"),
                (p, q) => assert_eq!(p.is_none(), q.is_none(), "{c}"),
            }
        }
    }
}

#[test]
fn estimates_from_sums_equal_estimates_from_answers_at_coarser_groupings() {
    let inst = Instrument::builtin("epl-staff").unwrap();
    let df = staff_frame(2025, DEFAULT_SEED).unwrap();
    let sums = sums_frame(&df, &inst, &by(&["forvaltning", "enhet"]), None).unwrap();
    for grouping in [&["forvaltning", "enhet"][..], &["forvaltning"], &[]] {
        let direct = estimate_frame(&df, &inst, &opts(grouping)).unwrap();
        let from_sums = estimate_from_sums(&sums, &inst, &opts(grouping)).unwrap();
        assert_same(&direct, &from_sums);
    }
}

#[test]
fn batches_and_merged_parts_give_the_sums_of_the_whole() {
    let inst = Instrument::builtin("hme").unwrap();
    let df = staff_frame(2024, DEFAULT_SEED).unwrap();
    let keys = by(&["forvaltning", "enhet"]);
    let whole = sums_frame(&df, &inst, &keys, None).unwrap();
    let mut acc = SumsAccumulator::new(inst.clone(), keys.clone(), None);
    let mut parts = Vec::new();
    for start in (0..df.height()).step_by(611) {
        let batch = df.slice(start as i64, 611);
        acc.add(&batch).unwrap();
        parts.push(sums_frame(&batch, &inst, &keys, None).unwrap());
    }
    let streamed = acc.finish(&df.clear()).unwrap();
    let mut stacked = parts[0].clone();
    for p in &parts[1..] {
        stacked.vstack_mut(p).unwrap();
    }
    let merged = merge_sums(&stacked).unwrap();
    for other in [&streamed, &merged] {
        assert_eq!(other.height(), whole.height());
        for c in ["n", "n_respondents", "answers"] {
            assert!(
                whole.column(c).unwrap().equals(other.column(c).unwrap()),
                "{c}"
            );
        }
        let a = whole.column("sum_wy2").unwrap().f64().unwrap();
        let b = other.column("sum_wy2").unwrap().f64().unwrap();
        for (p, q) in a.into_no_null_iter().zip(b.into_no_null_iter()) {
            assert!((p - q).abs() <= 1e-9 * p.abs().max(1.0));
        }
    }
}

#[test]
fn a_batch_error_names_the_row_of_the_whole_input() {
    let inst = Instrument::builtin("hme").unwrap();
    let df = df!("hme1" => [4i64, 4, 4, 9], "hme2" => [4i64; 4], "hme3" => [4i64; 4],
        "hme4" => [4i64; 4], "hme5" => [4i64; 4], "hme6" => [4i64; 4], "hme7" => [4i64; 4],
        "hme8" => [4i64; 4], "hme9" => [4i64; 4])
    .unwrap();
    let mut acc = SumsAccumulator::new(inst, Vec::new(), None);
    acc.add(&df.slice(0, 2)).unwrap();
    let err = acc.add(&df.slice(2, 2)).unwrap_err().to_string();
    assert!(err.contains("column `hme1`, row 4: value 9"), "{err}");
}
