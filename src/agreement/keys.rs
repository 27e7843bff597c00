//! Dense numbering of unit and coder ids and of rating values, in one or two passes over
//! the column (no per-row allocation): the agreement kernels then work on small integers.

use crate::error::{AgreementError, Error};
use crate::publish::groups::rank_table;
use polars::prelude::*;
use std::collections::HashMap;

/// The distinct keys in sorted order; text is only made for the ones a message names.
pub enum Labels {
    Ints(Vec<i64>),
    Text(Vec<String>),
}

impl Labels {
    pub fn len(&self) -> usize {
        match self {
            Labels::Ints(v) => v.len(),
            Labels::Text(v) => v.len(),
        }
    }

    pub fn get(&self, id: u32) -> String {
        match self {
            Labels::Ints(v) => v[id as usize].to_string(),
            Labels::Text(v) => v[id as usize].clone(),
        }
    }
}

/// Ids `0..labels.len()` for each row, numbered in sorted order of the key.
pub struct DenseKeys {
    pub id: Vec<u32>,
    pub labels: Labels,
}

/// A span of integers this much larger than the row count is numbered by sorting instead
/// of a lookup table.
const TABLE_SLACK: i64 = 4;

fn empty_key(role: &str, name: &str, row: usize) -> Error {
    AgreementError::EmptyKey {
        role: role.into(),
        column: name.into(),
        row,
    }
    .into()
}

pub fn dense_keys(col: &Column, role: &str) -> Result<DenseKeys, Error> {
    let name = col.name().to_string();
    if let Some(row) = first_null(col) {
        return Err(empty_key(role, &name, row));
    }
    if col.dtype().is_integer() {
        let ints = col.cast(&DataType::Int64)?;
        let ints = ints.i64()?.rechunk();
        let v = ints.cont_slice()?;
        let (id, distinct) = dense_ints(v);
        return Ok(DenseKeys {
            id,
            labels: Labels::Ints(distinct),
        });
    }
    let text = col.cast(&DataType::String)?;
    let text = text.str()?;
    let mut first: HashMap<&str, u32> = HashMap::new();
    let raw: Vec<u32> = text
        .iter()
        .map(|s| {
            let s = s.unwrap_or_default();
            let next = first.len() as u32;
            *first.entry(s).or_insert(next)
        })
        .collect();
    let mut seen: Vec<(&str, u32)> = first.into_iter().collect();
    seen.sort_unstable();
    let mut rank = vec![0u32; seen.len()];
    for (r, (_, i)) in seen.iter().enumerate() {
        rank[*i as usize] = r as u32;
    }
    Ok(DenseKeys {
        id: raw.into_iter().map(|i| rank[i as usize]).collect(),
        labels: Labels::Text(seen.into_iter().map(|(s, _)| s.to_string()).collect()),
    })
}

fn first_null(col: &Column) -> Option<usize> {
    if col.null_count() == 0 {
        return None;
    }
    let mask = col.is_null();
    let row = mask.iter().position(|b| b == Some(true));
    row
}

/// Each value's position among the distinct values, and the distinct values ascending.
fn dense_ints(v: &[i64]) -> (Vec<u32>, Vec<i64>) {
    let Some((lo, hi)) = min_max(v) else {
        return (vec![], vec![]);
    };
    let span = hi.saturating_sub(lo).saturating_add(1);
    if span <= TABLE_SLACK * v.len() as i64 + 1024 {
        let (table, distinct) = rank_table(v.iter().copied(), lo, span as usize);
        // Every id from lo to hi present (units numbered 1..n): the rank is the offset,
        // with no lookup.
        let id = if distinct.len() as i64 == span {
            v.iter().map(|&x| (x - lo) as u32).collect()
        } else {
            v.iter().map(|&x| table[(x - lo) as usize]).collect()
        };
        return (id, distinct);
    }
    let mut distinct = v.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let id = v
        .iter()
        .map(|x| distinct.binary_search(x).unwrap_or_default() as u32)
        .collect();
    (id, distinct)
}

/// The smallest and largest of `v` in one pass (two passes of `min` and `max` were a tenth
/// of an α-only call).
fn min_max(v: &[i64]) -> Option<(i64, i64)> {
    let first = *v.first()?;
    Some(
        v.iter()
            .fold((first, first), |(lo, hi), &x| (lo.min(x), hi.max(x))),
    )
}

/// Each row's category (`None` = no rating) and each category's value, ascending.
pub type RatingCodes = (Vec<Option<u32>>, Vec<f64>);

/// Widest range of integer codes numbered through a table (rating scales are small).
const MAX_CODE_SPAN: i64 = 1 << 20;

/// Rating codes of an integer column: each row's category (null = not rated) and the
/// categories' values ascending. `None` when the codes span too wide a range for a table.
pub fn dense_int_values(col: &Column) -> Result<Option<RatingCodes>, Error> {
    let ints = col.cast(&DataType::Int64)?;
    let ints = ints.i64()?;
    let bounds = if ints.null_count() == 0 {
        min_max(ints.rechunk().cont_slice()?)
    } else {
        ints.min().zip(ints.max())
    };
    let Some((lo, hi)) = bounds else {
        return Ok(Some((vec![None; ints.len()], vec![])));
    };
    if hi.saturating_sub(lo) >= MAX_CODE_SPAN {
        return Ok(None);
    }
    let span = (hi - lo + 1) as usize;
    if ints.null_count() == 0 {
        // No validity to check: straight over the values.
        let ints = ints.rechunk();
        let v = ints.cont_slice()?;
        let (table, distinct) = rank_table(v.iter().copied(), lo, span);
        let category = v.iter().map(|&x| Some(table[(x - lo) as usize])).collect();
        return Ok(Some((
            category,
            distinct.iter().map(|&v| v as f64).collect(),
        )));
    }
    let (table, distinct) = rank_table(ints.iter().flatten(), lo, span);
    let category = ints
        .iter()
        .map(|v| v.map(|x| table[(x - lo) as usize]))
        .collect();
    Ok(Some((
        category,
        distinct.iter().map(|&v| v as f64).collect(),
    )))
}

/// Distinct finite values of `x` in ascending order and each row's position among them.
pub fn dense_values(x: &[Option<f64>]) -> RatingCodes {
    let mut values: Vec<f64> = x.iter().flatten().copied().collect();
    values.sort_by(f64::total_cmp);
    values.dedup();
    let category = x
        .iter()
        .map(|v| v.map(|v| values.partition_point(|&c| c < v) as u32))
        .collect();
    (category, values)
}
