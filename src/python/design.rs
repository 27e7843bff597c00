//! Bindings of design-based estimation: raking and domain estimates.

use super::errors::{to_pyerr, IntoPyResult};
use crate::datasets;
use crate::design::estimate::Statistic;
use crate::design::frame::{
    calibration_from_frame, design_estimate_frame, design_from_frame, rake_frame, DesignColumns,
    EstimateSpec, MarginTable,
};
use crate::design::rake::RakeOptions;
use crate::design::{kish, LonelyPsu};
use crate::error::DesignError;
use polars::prelude::*;
use pyo3::prelude::*;
use pyo3_polars::PyDataFrame;

fn parameter(parameter: &str, message: String) -> PyErr {
    to_pyerr(
        DesignError::Parameter {
            parameter: parameter.into(),
            message,
        }
        .into(),
    )
}

fn lonely(value: &str) -> PyResult<LonelyPsu> {
    match value {
        "fail" => Ok(LonelyPsu::Fail),
        "adjust" => Ok(LonelyPsu::Adjust),
        "certainty" => Ok(LonelyPsu::Certainty),
        other => Err(parameter(
            "lonely_psu",
            format!("must be \"fail\", \"adjust\" or \"certainty\", got \"{other}\""),
        )),
    }
}

/// Raking summary handed to Python: iterations, max error, trimmed, Kish deff, n_eff.
type RakeSummary = (usize, f64, usize, f64, f64);

#[pyfunction]
#[pyo3(signature = (data, base, margins, tolerance, max_iterations, floor, cap, name))]
#[allow(clippy::too_many_arguments)]
fn _rake(
    py: Python<'_>,
    data: PyDataFrame,
    base: Option<String>,
    margins: Vec<(Vec<String>, PyDataFrame, String)>,
    tolerance: f64,
    max_iterations: usize,
    floor: Option<f64>,
    cap: Option<f64>,
    name: String,
) -> PyResult<(PyDataFrame, PyDataFrame, RakeSummary)> {
    let tables: Vec<MarginTable> = margins
        .into_iter()
        .map(|(columns, population, count)| MarginTable {
            columns,
            population: population.0,
            count,
        })
        .collect();
    let opts = RakeOptions {
        tolerance,
        max_iterations,
        floor,
        cap,
    };
    let (outcome, report) = py
        .detach(|| rake_frame(&data.0, base.as_deref(), &tables, &opts))
        .py_err()?;
    let (deff, n_eff) = kish(&outcome.weights);
    let summary = (
        outcome.iterations,
        outcome.max_error,
        outcome.trimmed,
        deff,
        n_eff,
    );
    let weights = DataFrame::new(
        outcome.weights.len(),
        vec![Column::new(name.into(), outcome.weights)],
    )
    .map_err(crate::Error::from)
    .py_err()?;
    Ok((PyDataFrame(weights), PyDataFrame(report), summary))
}

/// Base weights and margin column groups of a calibrated design.
type CalibrationSpec = (Option<String>, Vec<Vec<String>>);

#[pyfunction]
#[pyo3(signature = (data, weights, strata, psu, fpc, lonely_psu, calibration, variables, by, statistic, confidence, min_group))]
#[allow(clippy::too_many_arguments)]
fn _design_estimate(
    py: Python<'_>,
    data: PyDataFrame,
    weights: Option<String>,
    strata: Option<String>,
    psu: Option<String>,
    fpc: Option<String>,
    lonely_psu: &str,
    calibration: Option<CalibrationSpec>,
    variables: Vec<String>,
    by: Vec<String>,
    statistic: &str,
    confidence: f64,
    min_group: usize,
) -> PyResult<PyDataFrame> {
    let cols = DesignColumns {
        weights,
        strata,
        psu,
        fpc,
        lonely: lonely(lonely_psu)?,
    };
    let statistic = Statistic::parse(statistic).ok_or_else(|| {
        parameter(
            "statistic",
            format!("must be \"mean\", \"total\" or \"proportion\", got \"{statistic}\""),
        )
    })?;
    let spec = EstimateSpec {
        variables,
        by,
        statistic,
        confidence,
        min_group,
    };
    let df = data.0;
    let out = py
        .detach(|| {
            let design = design_from_frame(&df, &cols)?;
            let calibration = match &calibration {
                Some((base, margins)) => {
                    Some(calibration_from_frame(&df, base.as_deref(), margins)?)
                }
                None => None,
            };
            design_estimate_frame(&df, &design, calibration.as_ref(), &spec)
        })
        .py_err()?;
    Ok(PyDataFrame(out))
}

#[pyfunction]
fn _citizen_data(seed: u64) -> PyResult<PyDataFrame> {
    Ok(PyDataFrame(datasets::citizen_frame(seed).py_err()?))
}

#[pyfunction]
fn _citizen_population() -> PyResult<PyDataFrame> {
    Ok(PyDataFrame(datasets::citizen_population_frame().py_err()?))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_rake, m)?)?;
    m.add_function(wrap_pyfunction!(_design_estimate, m)?)?;
    m.add_function(wrap_pyfunction!(_citizen_data, m)?)?;
    m.add_function(wrap_pyfunction!(_citizen_population, m)?)
}
