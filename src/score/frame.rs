//! The polars edge of scoring: item columns in, score columns appended.

use super::{recode_codes, score_respondents, RecodedItem, Scores};
use crate::error::{DataError, Error};
use crate::instrument::Instrument;
use polars::prelude::*;

/// Reads one item column as integer codes, refusing text and fractional numbers.
pub fn item_codes(df: &DataFrame, column: &str, instrument: &str) -> Result<Int64Chunked, Error> {
    let col = df.column(column).map_err(|_| DataError::MissingColumn {
        column: column.to_string(),
        instrument: instrument.to_string(),
        present: present_columns(df),
    })?;
    let series = col.as_materialized_series();
    let dtype = series.dtype();
    if dtype.is_integer() || dtype == &DataType::Null || dtype == &DataType::Boolean {
        return Ok(series.cast(&DataType::Int64)?.i64()?.clone());
    }
    if dtype.is_float() {
        let floats = series.cast(&DataType::Float64)?;
        let floats = floats.f64()?;
        if let Some((row, v)) = floats.iter().enumerate().find_map(|(row, v)| {
            v.filter(|x| x.fract() != 0.0 || !x.is_finite())
                .map(|x| (row, x))
        }) {
            return Err(DataError::BadColumn {
                column: column.to_string(),
                message: format!(
                    "row {}: value {v} is not a whole answer code; answers must be integer codes",
                    row + 1
                ),
            }
            .into());
        }
        return Ok(floats.cast(&DataType::Int64)?.i64()?.clone());
    }
    let hint = if dtype == &DataType::String {
        "; text answers such as \"Stämmer mycket bra\" must first be mapped to codes (lyhord.read_export maps labels through the instrument)".to_string()
    } else {
        String::new()
    };
    Err(DataError::NotNumeric {
        column: column.to_string(),
        dtype: dtype.to_string(),
        hint,
    }
    .into())
}

pub fn present_columns(df: &DataFrame) -> String {
    df.get_column_names()
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Classifies every item column of the instrument (columns named by item id).
/// Items are independent, so large frames are recoded on several threads.
pub fn recode_frame(df: &DataFrame, inst: &Instrument) -> Result<Vec<RecodedItem>, Error> {
    let threads = crate::parallel::threads_for(df.height());
    crate::parallel::map_in_order(&inst.items, threads, |item| {
        let codes = item_codes(df, &item.id, &inst.id)?;
        Ok(recode_codes(inst, item, &codes, &item.id)?)
    })
    .into_iter()
    .collect()
}

/// Scores respondents and returns the input columns plus one Float64 column per dimension
/// and one for the index (null where too few answers). The input frame is not modified.
pub fn score_frame(df: &DataFrame, inst: &Instrument) -> Result<DataFrame, Error> {
    let scores = score_respondents(inst, &recode_frame(df, inst)?)?;
    append_scores(df, scores)
}

fn append_scores(df: &DataFrame, scores: Scores) -> Result<DataFrame, Error> {
    let mut out = df.clone();
    let Scores { dimensions, index } = scores;
    for (name, values) in dimensions.into_iter().chain(std::iter::once(index)) {
        if df.column(&name).is_ok() {
            return Err(DataError::ColumnClash { column: name }.into());
        }
        // Values and validity at once (the per-cell builder was 3 % of score + estimate).
        let valid = polars_arrow::bitmap::Bitmap::from_iter(values.iter().map(Option::is_some));
        let values = values.iter().map(|v| v.unwrap_or(0.0)).collect();
        let series = Float64Chunked::from_vec_validity(name.as_str().into(), values, Some(valid))
            .into_series();
        out.with_column(series.into_column())?;
    }
    Ok(out)
}
