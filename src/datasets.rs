//! The example municipality as polars DataFrames (the generator itself is in `example`).

use crate::error::Error;
use crate::example::{self, StaffWave};
use polars::prelude::*;

/// One staff-survey wave of Exempelkommun: id, year, unit and background columns, then the
/// item columns (Int64, null = no answer, 6 = "vet ej" where the item allows it).
pub fn staff_frame(year: i32, seed: u64) -> Result<DataFrame, Error> {
    wave_frame(example::staff_wave(year, seed)?)
}

/// A wave of `n` respondents drawn over the same organisation, for benchmarks.
pub fn staff_frame_scaled(year: i32, seed: u64, n: usize) -> Result<DataFrame, Error> {
    wave_frame(example::staff_wave_scaled(year, seed, n)?)
}

fn wave_frame(wave: StaffWave) -> Result<DataFrame, Error> {
    let height = wave.respondent_id.len();
    let text = |name: &str, values: Vec<String>| Column::new(name.into(), values);
    let mut cols = vec![
        text("respondent_id", wave.respondent_id),
        Column::new_scalar(
            "year".into(),
            Scalar::new(DataType::Int32, AnyValue::Int32(wave.year)),
            height,
        ),
        text("forvaltning", wave.forvaltning),
        text("enhet", wave.enhet),
        text("kon", wave.kon),
        text("aldersgrupp", wave.aldersgrupp),
    ];
    for (id, values) in wave.items {
        cols.push(
            Int64Chunked::from_iter_options(id.as_str().into(), values.into_iter()).into_column(),
        );
    }
    Ok(DataFrame::new(height, cols)?)
}

/// Headcount per unit (förvaltning, enhet) for a wave: the population behind the answers.
pub fn headcount_frame(year: i32, seed: u64) -> Result<DataFrame, Error> {
    let units = example::organisation(year, seed)?;
    let height = units.len();
    Ok(DataFrame::new(
        height,
        vec![
            Column::new(
                "forvaltning".into(),
                units
                    .iter()
                    .map(|u| u.forvaltning.as_str())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "enhet".into(),
                units.iter().map(|u| u.enhet.as_str()).collect::<Vec<_>>(),
            ),
            Column::new_scalar(
                "year".into(),
                Scalar::new(DataType::Int32, AnyValue::Int32(year)),
                height,
            ),
            Column::new(
                "headcount".into(),
                units.iter().map(|u| u.headcount as i64).collect::<Vec<_>>(),
            ),
        ],
    )?)
}

/// The example coded interviews (2025): one row per coder × segment × code.
pub fn interview_frame(seed: u64) -> Result<DataFrame, Error> {
    let rows = example::interviews::interviews(seed);
    let height = rows.len();
    let text = |name: &str, f: &dyn Fn(&example::interviews::Coding) -> String| {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<_>>())
    };
    Ok(DataFrame::new(
        height,
        vec![
            text("interview", &|r| r.interview.clone()),
            text("forvaltning", &|r| r.forvaltning.to_string()),
            text("enhet", &|r| r.enhet.to_string()),
            text("role", &|r| r.role.to_string()),
            Column::new(
                "segment".into(),
                rows.iter().map(|r| r.segment).collect::<Vec<_>>(),
            ),
            text("coder", &|r| r.coder.to_string()),
            text("code", &|r| r.code.to_string()),
            Column::new(
                "rating".into(),
                rows.iter().map(|r| r.rating).collect::<Vec<_>>(),
            ),
        ],
    )?)
}

/// The example citizen survey (2025): one row per respondent with district, age group, sex,
/// the design weight and the district's population (for the FPC), then the `epl-citizen`
/// items (Int64 1–10, 11 = "vet ej", null = no answer).
pub fn citizen_frame(seed: u64) -> Result<DataFrame, Error> {
    use example::citizens::{respondents, AGE_GROUPS, CITIZEN_ITEMS, DISTRICTS, SEXES};
    let rows = respondents(seed);
    let height = rows.len();
    let mut cols = vec![
        Column::new(
            "respondent_id".into(),
            rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        ),
        Column::new(
            "district".into(),
            rows.iter()
                .map(|r| DISTRICTS[r.district])
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "age_group".into(),
            rows.iter().map(|r| AGE_GROUPS[r.age]).collect::<Vec<_>>(),
        ),
        Column::new(
            "sex".into(),
            rows.iter().map(|r| SEXES[r.sex]).collect::<Vec<_>>(),
        ),
        Column::new(
            "design_weight".into(),
            rows.iter().map(|r| r.design_weight).collect::<Vec<_>>(),
        ),
        Column::new(
            "district_population".into(),
            rows.iter()
                .map(|r| r.district_population as i64)
                .collect::<Vec<_>>(),
        ),
    ];
    let items = CITIZEN_ITEMS.iter().flat_map(|(_, items)| items.iter());
    for (k, id) in items.enumerate() {
        let values = rows.iter().map(|r| r.answers[k].map(|v| v as i64));
        cols.push(Int64Chunked::from_iter_options((*id).into(), values).into_column());
    }
    Ok(DataFrame::new(height, cols)?)
}

/// The Exempelkommun population (2025) by district × age group × sex, for weighting.
pub fn citizen_population_frame() -> Result<DataFrame, Error> {
    use example::citizens::{population, AGE_GROUPS, DISTRICTS, SEXES};
    let cells = population();
    Ok(DataFrame::new(
        cells.len(),
        vec![
            Column::new(
                "district".into(),
                cells
                    .iter()
                    .map(|c| DISTRICTS[c.district])
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "age_group".into(),
                cells.iter().map(|c| AGE_GROUPS[c.age]).collect::<Vec<_>>(),
            ),
            Column::new(
                "sex".into(),
                cells.iter().map(|c| SEXES[c.sex]).collect::<Vec<_>>(),
            ),
            Column::new(
                "population".into(),
                cells
                    .iter()
                    .map(|c| c.population as i64)
                    .collect::<Vec<_>>(),
            ),
        ],
    )?)
}
