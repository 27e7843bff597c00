//! Scoring as polars expression plugins, so it runs inside the user's own `with_columns`,
//! `group_by`, lazy and streaming queries. Row-local: each call scores the rows it is given.

use crate::instrument::Instrument;
use crate::score::{recode_codes, score_respondents};
use polars::prelude::*;
use pyo3_polars::derive::polars_expr;
use serde::Deserialize;

#[derive(Deserialize)]
struct ScoreKwargs {
    /// The instrument as JSON (`Instrument.to_json()`).
    instrument: String,
    /// A dimension id or the index id.
    measure: String,
}

fn compute_err(e: impl std::fmt::Display) -> PolarsError {
    PolarsError::ComputeError(e.to_string().into())
}

/// Inputs are the instrument's item columns, in instrument order.
#[polars_expr(output_type=Float64)]
fn lyhord_score(inputs: &[Series], kwargs: ScoreKwargs) -> PolarsResult<Series> {
    let inst = Instrument::from_json(&kwargs.instrument).map_err(compute_err)?;
    if inputs.len() != inst.items.len() {
        return Err(compute_err(format!(
            "expected {} item columns for instrument {}, got {}",
            inst.items.len(),
            inst.id,
            inputs.len()
        )));
    }
    let mut recoded = Vec::with_capacity(inputs.len());
    for (item, s) in inst.items.iter().zip(inputs) {
        let codes = s.cast(&DataType::Int64)?;
        recoded.push(recode_codes(&inst, item, codes.i64()?, s.name()).map_err(compute_err)?);
    }
    let scores = score_respondents(&inst, &recoded).map_err(compute_err)?;
    let Some((_, values)) = std::iter::once(scores.index)
        .chain(scores.dimensions)
        .find(|(id, _)| *id == kwargs.measure)
    else {
        return Err(compute_err(crate::error::InstrumentError::UnknownMeasure {
            instrument: inst.id.clone(),
            measure: kwargs.measure.clone(),
            known: inst
                .measures()
                .iter()
                .filter(|(_, k)| *k != crate::instrument::MeasureKind::Item)
                .map(|(id, _)| *id)
                .collect::<Vec<_>>()
                .join(", "),
        }));
    };
    Ok(
        Float64Chunked::from_iter_options(kwargs.measure.as_str().into(), values.into_iter())
            .into_series(),
    )
}
