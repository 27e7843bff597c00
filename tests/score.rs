use lyhord::instrument::Instrument;
use lyhord::score::*;

fn recode_rows(inst: &Instrument, rows: &[Vec<Option<i64>>]) -> Vec<RecodedItem> {
    inst.items
        .iter()
        .enumerate()
        .map(|(j, item)| recode_item(inst, item, rows.iter().map(|r| r[j]), &item.id).unwrap())
        .collect()
}

fn some(v: &[i64]) -> Vec<Option<i64>> {
    v.iter().map(|&x| Some(x)).collect()
}

#[test]
fn hme_scores_match_hand_computation() {
    let hme = Instrument::builtin("hme").unwrap();
    // Row 1: complete. Motivation (3,3,3) → 50; Ledarskap (4,4,4) → 75; Styrning (5,5,5) → 100;
    // index = mean of nine items = (3·50 + 3·75 + 3·100) / 9 = 75.
    // Row 2: hme8 answered "vet ej" (6): Motivation (5,4,4) → (100+75+75)/3 = 83.33;
    // Ledarskap (3,5,4) → (50+100+75)/3 = 75; Styrning and the total need all answers → none.
    let rows = vec![
        some(&[3, 3, 3, 4, 4, 4, 5, 5, 5]),
        some(&[5, 4, 4, 3, 5, 4, 2, 6, 4]),
    ];
    let items = recode_rows(&hme, &rows);
    assert_eq!(items[7].counts.dont_know, 1);
    let s = score_respondents(&hme, &items).unwrap();
    assert_eq!(s.dimensions[0].1, vec![Some(50.0), Some(250.0 / 3.0)]);
    assert_eq!(s.dimensions[1].1, vec![Some(75.0), Some(75.0)]);
    assert_eq!(s.dimensions[2].1, vec![Some(100.0), None]);
    assert_eq!(s.index, ("hme".to_string(), vec![Some(75.0), None]));
}

#[test]
fn out_of_scale_value_names_column_row_and_value() {
    let hme = Instrument::builtin("hme").unwrap();
    let item = hme.item("hme3").unwrap();
    let err = recode_item(&hme, item, [Some(3), Some(7)], "hme3")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`hme3`")
            && err.contains("row 2")
            && err.contains("value 7")
            && err.contains("1–5"),
        "{err}"
    );
}

#[test]
fn epl_reverse_keys_and_minimum_answered() {
    let epl = Instrument::builtin("epl-staff").unwrap();
    let n = None;
    // Engagement items eng1..eng5 (eng4 reversed): 5, 5, 5, 1 (→5), 5 → 100.
    // Participation: three of five answered (min 3) → (4,4,4) → 75; learning 2 of 4 → (2,2) → 25.
    // Index = mean of the three dimensions = (100 + 75 + 25) / 3.
    let full = vec![
        Some(5),
        Some(5),
        Some(5),
        Some(1),
        Some(5),
        Some(4),
        Some(4),
        Some(4),
        n,
        n,
        Some(2),
        Some(2),
        n,
        n,
    ];
    // Second respondent: only two participation answers → no participation and no index.
    let short = vec![
        Some(5),
        Some(5),
        Some(5),
        Some(1),
        Some(5),
        Some(4),
        Some(4),
        n,
        n,
        n,
        Some(2),
        Some(2),
        n,
        n,
    ];
    let s = score_respondents(&epl, &recode_rows(&epl, &[full, short])).unwrap();
    assert_eq!(s.dimensions[0].1, vec![Some(100.0), Some(100.0)]);
    assert_eq!(s.dimensions[1].1, vec![Some(75.0), None]);
    assert_eq!(s.dimensions[2].1, vec![Some(25.0), Some(25.0)]);
    assert_eq!(s.index.1, vec![Some(200.0 / 3.0), None]);
}

#[test]
fn score_table_ignores_sentinels() {
    let hme = Instrument::builtin("hme").unwrap();
    let table = ScoreTable::new(&hme, hme.item("hme1").unwrap());
    assert_eq!(table.score(4), Some(75.0));
    assert_eq!(table.score(MISSING), None);
    assert_eq!(table.score(DONT_KNOW), None);
}

mod table_recode {
    use lyhord::instrument::Instrument;
    use lyhord::score::{recode_codes, recode_item};
    use polars::prelude::*;
    use proptest::prelude::*;

    proptest! {
        /// The table route gives exactly what classifying each answer gives: codes,
        /// reverse keying, "vet ej" and not-applicable codes, nulls and counts; an answer
        /// outside the scale is the same error, naming the same row.
        #[test]
        fn table_recode_equals_classifying_each_answer(
            answers in prop::collection::vec(prop::option::of(-2i64..12), 0..300),
            item in 0usize..14,
            chunks in 1usize..4,
        ) {
            let inst = Instrument::builtin("epl-staff").unwrap();
            let item = &inst.items[item % inst.items.len()];
            let mut codes = Int64Chunked::from_iter_options("q".into(), answers.iter().copied());
            // Several chunks, as a frame read in parts has.
            for _ in 1..chunks {
                let part = Int64Chunked::from_iter_options("q".into(), answers.iter().copied());
                codes.append(&part).unwrap();
            }
            let all: Vec<Option<i64>> = codes.iter().collect();
            let expected = recode_item(&inst, item, all.iter().copied(), "q");
            let got = recode_codes(&inst, item, &codes, "q");
            match (expected, got) {
                (Ok(a), Ok(b)) => {
                    prop_assert_eq!(a.codes, b.codes);
                    prop_assert_eq!(a.counts, b.counts);
                }
                (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
                (a, b) => prop_assert!(false, "{:?} vs {:?}", a.is_ok(), b.is_ok()),
            }
        }
    }
}
