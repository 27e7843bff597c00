//! Bindings of design-based estimation: raking and domain estimates.

use super::errors::{self, IntoPyResult};
use super::results::{frame_object, PyRakeOutcome};
use crate::datasets;
use crate::design::calibrate::{CalibrateOptions, Distance};
use crate::design::calibration::Calibration;
use crate::design::contrast::{design_chisq_frame, design_compare_frame, ChisqSpec, ContrastSpec};
use crate::design::estimate::Statistic;
use crate::design::frame::{
    calibrate_frame, calibration_with_numeric, design_estimate_frame, design_from_frame,
    nonresponse_frame, rake_frame, replicate_weights_frame, DesignColumns, EstimateSpec,
    MarginTable, NumericTotal, ReplicateColumns,
};
use crate::design::interval::ShareInterval;
use crate::design::prepared::PreparedDesign;
use crate::design::rake::RakeOptions;
use crate::design::replicate::ReplicateMethod;
use crate::design::{kish, Design, LonelyPsu};
use crate::estimate::stats::Convention;
use crate::followup::compare::Adjust;
use polars::prelude::*;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3_polars::PyDataFrame;

/// The raking keywords of `ly.rake`.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct RakeArgs {
    base: Option<String>,
    tolerance: f64,
    max_iterations: usize,
    floor: Option<f64>,
    cap: Option<f64>,
    name: String,
}

/// Rakes `data` to `margins` (columns, population table, its count column); `options` are
/// the keywords of [`RakeArgs`].
#[pyfunction]
#[pyo3(signature = (data, margins, **options))]
fn _rake(
    py: Python<'_>,
    data: PyDataFrame,
    margins: Vec<(Vec<String>, PyDataFrame, String)>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyRakeOutcome> {
    let args = errors::options::<RakeArgs>(py, options)?;
    let tables = margin_tables(margins);
    let opts = RakeOptions {
        tolerance: args.tolerance,
        max_iterations: args.max_iterations,
        floor: args.floor,
        cap: args.cap,
    };
    let (outcome, report) = py
        .detach(|| rake_frame(&data.0, args.base.as_deref(), &tables, &opts))
        .py_err()?;
    weights_outcome(
        py,
        outcome.weights,
        &args.name,
        report,
        (outcome.iterations, outcome.max_error, outcome.trimmed),
    )
}

/// The keywords of `ly.calibrate`.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct CalibrateArgs {
    base: Option<String>,
    method: String,
    bounds: Option<(f64, f64)>,
    population_size: Option<f64>,
    tolerance: f64,
    max_iterations: usize,
    name: String,
}

/// Calibrates `data` to `margins` (as `_rake`'s) and numeric `totals` (column, total);
/// `options` are the keywords of [`CalibrateArgs`].
#[pyfunction]
#[pyo3(signature = (data, margins, totals, **options))]
fn _calibrate(
    py: Python<'_>,
    data: PyDataFrame,
    margins: Vec<(Vec<String>, PyDataFrame, String)>,
    totals: Vec<(String, f64)>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyRakeOutcome> {
    let args = errors::options::<CalibrateArgs>(py, options)?;
    let tables = margin_tables(margins);
    let numeric: Vec<NumericTotal> = totals
        .into_iter()
        .map(|(column, total)| NumericTotal { column, total })
        .collect();
    let opts = CalibrateOptions {
        distance: args.method.parse::<Distance>().py_err()?,
        bounds: args.bounds,
        tolerance: args.tolerance,
        max_iterations: args.max_iterations,
    };
    let (outcome, report) = py
        .detach(|| {
            calibrate_frame(
                &data.0,
                args.base.as_deref(),
                &tables,
                &numeric,
                args.population_size,
                &opts,
            )
        })
        .py_err()?;
    weights_outcome(
        py,
        outcome.weights,
        &args.name,
        report,
        (outcome.iterations, outcome.max_error, outcome.at_bound),
    )
}

/// Nonresponse adjustment of `data`'s design weights (`base`) by the classes of `classes`;
/// `responded` is the response indicator column.
#[pyfunction]
#[pyo3(signature = (data, responded, classes, base, name))]
fn _adjust_nonresponse(
    py: Python<'_>,
    data: PyDataFrame,
    responded: String,
    classes: Vec<String>,
    base: Option<String>,
    name: String,
) -> PyResult<PyRakeOutcome> {
    let (weights, report) = py
        .detach(|| nonresponse_frame(&data.0, base.as_deref(), &responded, &classes))
        .py_err()?;
    weights_outcome(py, weights, &name, report, (0, 0.0, 0))
}

/// The population tables of `_rake` and `_calibrate`.
fn margin_tables(margins: Vec<(Vec<String>, PyDataFrame, String)>) -> Vec<MarginTable> {
    margins
        .into_iter()
        .map(|(columns, population, count)| MarginTable {
            columns,
            population: population.0,
            count,
        })
        .collect()
}

/// New weights as the Python result: the weight column, the report, (iterations, largest
/// relative error, weights at a bound) and Kish's design effect.
fn weights_outcome(
    py: Python<'_>,
    new_weights: Vec<f64>,
    name: &str,
    report: DataFrame,
    (iterations, max_error, trimmed): (usize, f64, usize),
) -> PyResult<PyRakeOutcome> {
    let (deff, n_eff) = kish(&new_weights);
    let weights = DataFrame::new(
        new_weights.len(),
        vec![Column::new(name.into(), new_weights)],
    )
    .map_err(crate::Error::from)
    .py_err()?;
    Ok(PyRakeOutcome {
        weights: frame_object(py, weights)?,
        report: frame_object(py, report)?,
        iterations,
        max_error,
        trimmed,
        deff,
        n_eff,
    })
}

/// The design keywords of `ly.Design`, passed with every design-based function's own.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct DesignKeywords {
    weights: Option<String>,
    strata: Option<String>,
    psu: Option<String>,
    fpc: Option<String>,
    lonely_psu: String,
    /// Base weights and margin column groups of a calibrated design.
    calibration: Option<CalibrationSpec>,
    /// Replicate weight columns, method, scale, rscales, mse, Fay's ρ and df.
    replicates: Option<ReplicateSpec>,
    /// The design already coded on the data (`ly.Design.prepare`).
    #[pyo3(default)]
    prepared: Option<Py<PyPreparedDesign>>,
}

/// Replicate columns, method, scale, rscales, mse, Fay's ρ and degrees of freedom, as
/// `ly.Design` holds them.
type ReplicateSpec = (
    Vec<String>,
    String,
    Option<f64>,
    Option<Vec<f64>>,
    bool,
    Option<f64>,
    Option<f64>,
);

fn replicate_columns(spec: ReplicateSpec) -> PyResult<ReplicateColumns> {
    let (columns, method, scale, rscales, mse, rho, degrees) = spec;
    Ok(ReplicateColumns {
        columns,
        method: method.parse::<ReplicateMethod>().py_err()?,
        scale,
        rscales,
        mse,
        rho,
        df: degrees,
    })
}

impl DesignKeywords {
    fn read(self) -> PyResult<(DesignColumns, Option<CalibrationSpec>)> {
        Ok(self.request()?.columns)
    }

    /// The design's columns with the prepared design, if one was passed.
    fn request(self) -> PyResult<DesignRequest> {
        let prepared = self.prepared;
        let cols = DesignColumns {
            weights: self.weights,
            strata: self.strata,
            psu: self.psu,
            fpc: self.fpc,
            lonely: self.lonely_psu.parse::<LonelyPsu>().py_err()?,
            replicates: self.replicates.map(replicate_columns).transpose()?,
        };
        Ok(DesignRequest {
            columns: (cols, self.calibration),
            prepared,
        })
    }
}

/// What a design-based call was given: the design's columns, and the design already coded
/// on the data when it was prepared.
struct DesignRequest {
    columns: (DesignColumns, Option<CalibrationSpec>),
    prepared: Option<Py<PyPreparedDesign>>,
}

impl DesignRequest {
    /// The design over `df`'s rows: the prepared one (after checking that `df` holds the
    /// rows it was prepared on), or coded from `df` now.
    fn design_of(&self, df: &DataFrame) -> Result<DesignOf<'_>, crate::error::Error> {
        if let Some(prepared) = &self.prepared {
            let prepared = &prepared.get().inner;
            prepared.check(df)?;
            return Ok(DesignOf::Prepared(prepared));
        }
        let (cols, calibration) = &self.columns;
        let (design, calibration) = design_of(df, cols, calibration.as_ref())?;
        Ok(DesignOf::Coded(Box::new((design, calibration))))
    }
}

/// A design and its calibration, prepared earlier or coded for this call.
enum DesignOf<'a> {
    Prepared(&'a PreparedDesign),
    Coded(Box<(Design, Option<Calibration>)>),
}

impl DesignOf<'_> {
    fn design(&self) -> &Design {
        match self {
            DesignOf::Prepared(p) => &p.design,
            DesignOf::Coded(coded) => &coded.0,
        }
    }

    fn calibration(&self) -> Option<&Calibration> {
        match self {
            DesignOf::Prepared(p) => p.calibration.as_ref(),
            DesignOf::Coded(coded) => coded.1.as_ref(),
        }
    }
}

/// A design coded once on its data (`ly.Design.prepare`), like R's `svydesign` object.
#[pyclass(name = "_PreparedDesign", module = "lyhord._lyhord", frozen)]
pub struct PyPreparedDesign {
    inner: PreparedDesign,
}

#[pymethods]
impl PyPreparedDesign {
    /// Rows of the data the design was prepared on.
    #[getter]
    fn height(&self) -> usize {
        self.inner.height()
    }
}

/// Every column a design and its calibration read.
fn design_column_names(cols: &DesignColumns, calibration: Option<&CalibrationSpec>) -> Vec<String> {
    let mut names: Vec<String> = [&cols.weights, &cols.strata, &cols.psu, &cols.fpc]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    if let Some(r) = &cols.replicates {
        names.extend(r.columns.iter().cloned());
    }
    if let Some((base, margins, numeric)) = calibration {
        names.extend(base.iter().cloned());
        names.extend(margins.iter().flatten().cloned());
        names.extend(numeric.iter().cloned());
    }
    names
}

/// Codes the design (and calibration) of `options` on `data` once, for repeated estimates.
#[pyfunction]
#[pyo3(signature = (data, **options))]
fn _prepare_design(
    py: Python<'_>,
    data: PyDataFrame,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyPreparedDesign> {
    let (cols, calibration) = errors::options::<DesignKeywords>(py, options)?.read()?;
    let df = data.0;
    let inner = py
        .detach(|| {
            let (design, coded) = design_of(&df, &cols, calibration.as_ref())?;
            let names = design_column_names(&cols, calibration.as_ref());
            PreparedDesign::new(&df, design, coded, &names)
        })
        .py_err()?;
    Ok(PyPreparedDesign { inner })
}

/// The estimate keywords of `ly.design_estimate` (and `ly.design_compare`).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct DesignArgs {
    variables: Vec<String>,
    by: Vec<String>,
    statistic: String,
    confidence: f64,
    min_group: usize,
    ci_method: Option<String>,
    convention: String,
    quantile: f64,
}

impl DesignArgs {
    fn spec(self) -> PyResult<EstimateSpec> {
        Ok(EstimateSpec {
            variables: self.variables,
            by: self.by,
            statistic: self.statistic.parse::<Statistic>().py_err()?,
            confidence: self.confidence,
            min_group: self.min_group,
            ci_method: self
                .ci_method
                .map(|m| m.parse::<ShareInterval>())
                .transpose()
                .py_err()?,
            convention: self.convention.parse::<Convention>().py_err()?,
            quantile: self.quantile,
        })
    }
}

/// Base weights, margin column groups and numeric columns of a calibrated design.
type CalibrationSpec = (Option<String>, Vec<Vec<String>>, Vec<String>);

/// The keywords `ly.design_compare` adds to [`DesignArgs`].
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct ContrastArgs {
    reference: Option<String>,
    adjust: String,
}

/// Comparisons between domains under a design; `options` are the keywords of
/// [`DesignKeywords`], [`DesignArgs`] and [`ContrastArgs`].
#[pyfunction]
#[pyo3(signature = (data, **options))]
fn _design_compare(
    py: Python<'_>,
    data: PyDataFrame,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyDataFrame> {
    let args = errors::options::<ContrastArgs>(py, options)?;
    let contrast = ContrastSpec {
        reference: args.reference,
        adjust: args.adjust.parse::<Adjust>().py_err()?,
    };
    let request = errors::options::<DesignKeywords>(py, options)?.request()?;
    let spec = errors::options::<DesignArgs>(py, options)?.spec()?;
    let df = data.0;
    let out = py
        .detach(|| {
            let design = request.design_of(&df)?;
            design_compare_frame(&df, design.design(), design.calibration(), &spec, &contrast)
        })
        .py_err()?;
    Ok(PyDataFrame(out))
}

/// The keywords of `ly.design_chisq` besides the design's.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct ChisqArgs {
    row: String,
    column: String,
    min_group: usize,
}

/// Rao–Scott tests of independence under a design; `options` are the keywords of
/// [`DesignKeywords`] and [`ChisqArgs`].
#[pyfunction]
#[pyo3(signature = (data, **options))]
fn _design_chisq(
    py: Python<'_>,
    data: PyDataFrame,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyDataFrame> {
    let a = errors::options::<ChisqArgs>(py, options)?;
    let request = errors::options::<DesignKeywords>(py, options)?.request()?;
    let spec = ChisqSpec {
        row: a.row,
        column: a.column,
        min_group: a.min_group,
    };
    let df = data.0;
    let out = py
        .detach(|| {
            let design = request.design_of(&df)?;
            design_chisq_frame(&df, design.design(), design.calibration(), &spec)
        })
        .py_err()?;
    Ok(PyDataFrame(out))
}

/// The design and its calibration, read from the data.
fn design_of(
    df: &DataFrame,
    cols: &DesignColumns,
    calibration: Option<&CalibrationSpec>,
) -> Result<(Design, Option<Calibration>), crate::error::Error> {
    let design = design_from_frame(df, cols)?;
    let calibration = match calibration {
        Some((base, margins, numeric)) => Some(calibration_with_numeric(
            df,
            base.as_deref(),
            margins,
            numeric,
        )?),
        None => None,
    };
    Ok((design, calibration))
}

/// Domain estimates under a design; `options` are the keywords of [`DesignKeywords`] and
/// [`DesignArgs`].
#[pyfunction]
#[pyo3(signature = (data, **options))]
fn _design_estimate(
    py: Python<'_>,
    data: PyDataFrame,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyDataFrame> {
    let request = errors::options::<DesignKeywords>(py, options)?.request()?;
    let spec = errors::options::<DesignArgs>(py, options)?.spec()?;
    let df = data.0;
    let out = py
        .detach(|| {
            let design = request.design_of(&df)?;
            design_estimate_frame(&df, design.design(), design.calibration(), &spec)
        })
        .py_err()?;
    Ok(PyDataFrame(out))
}

/// The keywords of `ly.replicate_weights` besides the design's.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct ReplicateArgs {
    method: String,
    n_replicates: usize,
    fay_rho: f64,
    seed: u64,
    prefix: String,
}

/// Replicate weight columns for the design; returns them with their scale, rscales and
/// degrees of freedom.
#[pyfunction]
#[pyo3(signature = (data, **options))]
fn _replicate_weights(
    py: Python<'_>,
    data: PyDataFrame,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<(PyDataFrame, f64, Vec<f64>, f64)> {
    let a = errors::options::<ReplicateArgs>(py, options)?;
    let method = a.method.parse::<ReplicateMethod>().py_err()?;
    let (cols, _) = errors::options::<DesignKeywords>(py, options)?.read()?;
    let df = data.0;
    let (out, scale, rscales, degrees) = py
        .detach(|| {
            let design = design_from_frame(&df, &cols)?;
            replicate_weights_frame(
                &design,
                method,
                a.n_replicates,
                a.fay_rho,
                a.seed,
                &a.prefix,
            )
        })
        .py_err()?;
    Ok((PyDataFrame(out), scale, rscales, degrees))
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
    m.add_function(wrap_pyfunction!(_calibrate, m)?)?;
    m.add_function(wrap_pyfunction!(_adjust_nonresponse, m)?)?;
    m.add_class::<PyPreparedDesign>()?;
    m.add_function(wrap_pyfunction!(_prepare_design, m)?)?;
    m.add_function(wrap_pyfunction!(_design_estimate, m)?)?;
    m.add_function(wrap_pyfunction!(_design_compare, m)?)?;
    m.add_function(wrap_pyfunction!(_design_chisq, m)?)?;
    m.add_function(wrap_pyfunction!(_replicate_weights, m)?)?;
    m.add_function(wrap_pyfunction!(_citizen_data, m)?)?;
    m.add_function(wrap_pyfunction!(_citizen_population, m)?)
}
