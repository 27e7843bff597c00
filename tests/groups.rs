//! Typed keys through the publication layer's groups and table builder: an integer key
//! stays an integer, sorts as a number and keeps a null key as a group of its own; two
//! tables are matched on keys of one dtype.

use lyhord::error::{DataError, Error};
use lyhord::publish::groups::{align_keys, group_rows, key_texts, key_value_text};
use lyhord::publish::table::Table;
use polars::prelude::*;

fn district() -> DataFrame {
    df!("district" => [Some(10i32), None, Some(9), Some(10), Some(9)]).unwrap()
}

#[test]
fn groups_sort_numbers_as_numbers_and_nulls_last() {
    let groups = group_rows(&district(), &["district".into()]).unwrap();
    let keys: Vec<Option<i32>> = groups
        .keys
        .column("district")
        .unwrap()
        .i32()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(keys, [Some(9), Some(10), None]);
    assert_eq!(groups.group_of_row, [1, 2, 0, 1, 0]);
}

#[test]
fn the_table_builder_keeps_key_dtypes_and_its_vocabulary() {
    let groups = group_rows(&district(), &["district".into()]).unwrap();
    // A total (no key) and each group with its size.
    let rows: Vec<(Option<usize>, u64)> = std::iter::once((None, 5))
        .chain(
            groups
                .rows()
                .iter()
                .enumerate()
                .map(|(g, r)| (Some(g), r.len() as u64)),
        )
        .collect();
    let out = Table::new(&rows)
        .level(|r| r.0.is_some() as u32)
        .keys(&groups.keys, |r| r.0)
        .unwrap()
        .count("n", |r| Some(r.1))
        .suppressed(|r| r.1 < 2)
        .finish()
        .unwrap();
    let schema: Vec<(String, DataType)> = out
        .schema()
        .iter()
        .map(|(n, d)| (n.to_string(), d.clone()))
        .collect();
    assert_eq!(
        schema,
        [
            ("level".to_string(), DataType::UInt32),
            ("district".to_string(), DataType::Int32),
            ("n".to_string(), DataType::UInt64),
            ("suppressed".to_string(), DataType::Boolean),
        ]
    );
    let keys: Vec<Option<i32>> = out
        .column("district")
        .unwrap()
        .i32()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(keys, [None, Some(9), Some(10), None]);
    let n: Vec<Option<u64>> = out.column("n").unwrap().u64().unwrap().iter().collect();
    assert_eq!(n, [Some(5), Some(2), Some(2), Some(1)]);
    let blank: Vec<Option<bool>> = out
        .column("suppressed")
        .unwrap()
        .bool()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(blank, [Some(false), Some(false), Some(false), Some(true)]);
}

#[test]
fn keys_are_aligned_across_integer_widths_but_not_text_against_numbers() {
    let wide = df!("district" => [Some(9i64), None]).unwrap();
    let (a, b) = align_keys(
        (&district(), "earlier"),
        (&wide, "later"),
        &["district".into()],
    )
    .unwrap();
    assert_eq!(a.column("district").unwrap().dtype(), &DataType::Int64);
    assert_eq!(b.column("district").unwrap().dtype(), &DataType::Int64);
    assert_eq!(
        key_texts(&b).unwrap(),
        [vec![Some("9".to_string())], vec![None]]
    );
    let text = df!("district" => ["9"]).unwrap();
    let err = align_keys(
        (&district(), "earlier"),
        (&text, "later"),
        &["district".into()],
    )
    .unwrap_err();
    assert_eq!(
        err,
        Error::Data(DataError::KeyDtype {
            column: "district".into(),
            left: "earlier".into(),
            left_dtype: "i32".into(),
            right: "later".into(),
            right_dtype: "str".into(),
        })
    );
}

#[test]
fn a_value_given_as_text_is_read_as_the_key_column_dtype() {
    let column = district().column("district").unwrap().clone();
    assert_eq!(key_value_text("09", &column, "unit_map").unwrap(), "9");
    let err = key_value_text("Nine", &column, "unit_map").unwrap_err();
    assert!(err.to_string().contains("unit_map value `Nine`"), "{err}");
    assert!(
        err.to_string().contains("key column `district` (i32)"),
        "{err}"
    );
}
