//! Calibration of weights to population totals of auxiliary variables (Deville & Särndal
//! 1992): `w_i = d_i g(x_iᵀλ)` with `Σ w_i x_i = T`, solved by Newton's method on λ as R
//! `survey::calibrate` (`grake`) does. Distances:
//! * linear (GREG): `g(u) = 1 + u`, one step; with bounds `[L, U]` truncated to them and
//!   iterated (R `calfun = "linear", bounds = c(L, U)`);
//! * raking: `g(u) = exp(u)` (the multiplicative weights of raking, for numeric totals too);
//! * logit: `g(u) = (L(U−1) + U(1−L)e^{Au}) / (U − 1 + (1−L)e^{Au})`, `A = (U−L)/((1−L)(U−1))`,
//!   which keeps every `g` within `(L, U)` (R `calfun = "logit"`).
//!
//! Standard errors of estimates from the weights use [`super::calibration::Calibration`]
//! on the same model (residuals from the auxiliary variables).

use super::calibration::{cholesky, solve, Model};
use crate::error::DesignError;

/// The distance function of a calibration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distance {
    Linear,
    Raking,
    Logit,
}

crate::choice!(Distance, "method", {
    Linear => "linear",
    Raking => "raking",
    Logit => "logit",
});

#[derive(Debug, Clone, Copy)]
pub struct CalibrateOptions {
    pub distance: Distance,
    /// Bounds `(L, U)` of `g = w / d`.
    pub bounds: Option<(f64, f64)>,
    /// Largest accepted relative difference between achieved and population totals.
    pub tolerance: f64,
    pub max_iterations: usize,
}

#[derive(Debug, Clone)]
pub struct Calibrated {
    pub weights: Vec<f64>,
    pub iterations: usize,
    pub max_error: f64,
    /// Rows whose `g` sits at a bound (within 1e-9).
    pub at_bound: usize,
}

fn parameter(name: &str, message: String) -> DesignError {
    DesignError::Parameter {
        parameter: name.into(),
        message,
    }
}

/// Checks the options against each other: logit needs bounds around 1, raking takes none.
pub fn check_options(opts: &CalibrateOptions) -> Result<(), DesignError> {
    match (opts.distance, opts.bounds) {
        (Distance::Logit, None) => Err(parameter(
            "bounds",
            "method=\"logit\" needs bounds=(L, U) with L < 1 < U, e.g. (0.5, 3)".into(),
        )),
        (Distance::Raking, Some(_)) => Err(parameter(
            "bounds",
            "method=\"raking\" has no bounds; use method=\"logit\" or \"linear\" with bounds, or ly.rake(cap=..., floor=...)".into(),
        )),
        (_, Some((l, u))) if !(l < 1.0 && 1.0 < u && l > 0.0) => Err(parameter(
            "bounds",
            format!("need 0 < L < 1 < U (a weight of 0 would drop a respondent), got ({l}, {u})"),
        )),
        _ => Ok(()),
    }
}

/// `g(u)` and `g'(u)`.
fn ratio(distance: Distance, bounds: Option<(f64, f64)>, u: f64) -> (f64, f64) {
    match (distance, bounds) {
        (Distance::Linear, None) => (1.0 + u, 1.0),
        (Distance::Linear, Some((l, h))) => {
            let g = 1.0 + u;
            if g <= l {
                (l, 0.0)
            } else if g >= h {
                (h, 0.0)
            } else {
                (g, 1.0)
            }
        }
        (Distance::Raking, _) => (u.exp(), u.exp()),
        (Distance::Logit, bounds) => {
            let (l, h) = bounds.unwrap_or((0.0, f64::INFINITY));
            let a = (h - l) / ((1.0 - l) * (h - 1.0));
            let e = (a * u).exp();
            if !e.is_finite() {
                return (h, 0.0);
            }
            let den = h - 1.0 + (1.0 - l) * e;
            let num = l * (h - 1.0) + h * (1.0 - l) * e;
            let g = num / den;
            let dg = (h * (1.0 - l) * a * e * den - num * (1.0 - l) * a * e) / (den * den);
            (g, dg)
        }
    }
}

/// Weights `d g(x'λ)` whose totals of the model's columns meet `targets`.
pub fn calibrate(
    base: &[f64],
    model: &Model,
    targets: &[f64],
    opts: &CalibrateOptions,
) -> Result<Calibrated, DesignError> {
    check_options(opts)?;
    let p = model.columns();
    let rows = base.len();
    let mut lambda = vec![0.0; p];
    let mut state = evaluate(base, model, targets, opts, &lambda);
    for iteration in 1..=opts.max_iterations {
        if state.error <= opts.tolerance {
            check_positive(&state.weights, base)?;
            return Ok(Calibrated {
                at_bound: count_at_bounds(&state.weights, base, opts.bounds),
                weights: state.weights,
                iterations: iteration - 1,
                max_error: state.error,
            });
        }
        let jacobian = model.gram(rows, |i| state.slopes[i]);
        let gap: Vec<f64> = targets
            .iter()
            .zip(&state.achieved)
            .map(|(t, a)| t - a)
            .collect();
        let step = solve(&cholesky(jacobian, p), p, gap);
        // Newton's step, halved while it does not bring the totals closer (far from the
        // solution a bounded distance's full step can overshoot); the solution is the same.
        let mut scale = 1.0;
        loop {
            let trial: Vec<f64> = lambda
                .iter()
                .zip(&step)
                .map(|(l, s)| l + scale * s)
                .collect();
            let next = evaluate(base, model, targets, opts, &trial);
            if next.distance < state.distance || scale < 1e-6 {
                lambda = trial;
                state = next;
                break;
            }
            scale /= 2.0;
        }
    }
    if state.error <= opts.tolerance {
        check_positive(&state.weights, base)?;
        return Ok(Calibrated {
            at_bound: count_at_bounds(&state.weights, base, opts.bounds),
            weights: state.weights,
            iterations: opts.max_iterations,
            max_error: state.error,
        });
    }
    Err(parameter(
        "max_iterations",
        format!(
            "calibration did not converge in {} iterations (largest relative error {:.2e}); raise max_iterations, widen bounds, or check that the totals can be met",
            opts.max_iterations, state.error
        ),
    ))
}

/// Unbounded linear calibration (GREG) can give weights of 0 or below, which no estimate
/// can use: an error saying how to keep them positive. A row starting at 0 (out of a
/// replicate) stays 0 and is not counted.
fn check_positive(weights: &[f64], base: &[f64]) -> Result<(), DesignError> {
    let bad = weights
        .iter()
        .zip(base)
        .filter(|(w, d)| **d > 0.0 && (w.is_nan() || **w <= 0.0))
        .count();
    if bad == 0 {
        return Ok(());
    }
    Err(parameter(
        "method",
        format!(
            "the calibrated weights of {bad} respondents are 0 or negative; keep them positive with bounds=(L, U) (L > 0) or method=\"logit\" or \"raking\""
        ),
    ))
}

/// The weights at `λ` and how far their totals are from the targets.
struct State {
    weights: Vec<f64>,
    slopes: Vec<f64>,
    achieved: Vec<f64>,
    /// Largest relative difference from a target.
    error: f64,
    /// Sum of squared relative differences (what a step must lower).
    distance: f64,
}

fn evaluate(
    base: &[f64],
    model: &Model,
    targets: &[f64],
    opts: &CalibrateOptions,
    lambda: &[f64],
) -> State {
    let mut weights = vec![0.0; base.len()];
    let mut slopes = vec![0.0; base.len()];
    for (i, &d) in base.iter().enumerate() {
        let (g, dg) = ratio(opts.distance, opts.bounds, model.dot(lambda, i));
        weights[i] = d * g;
        slopes[i] = d * dg;
    }
    let achieved = totals(model, &weights);
    let relative: Vec<f64> = achieved
        .iter()
        .zip(targets)
        .map(|(a, t)| (a - t) / t.abs().max(1e-300))
        .collect();
    State {
        error: relative.iter().fold(0.0, |m, r| m.max(r.abs())),
        distance: relative.iter().map(|r| r * r).sum(),
        weights,
        slopes,
        achieved,
    }
}

/// `Σ w x` per model column.
pub fn totals(model: &Model, weights: &[f64]) -> Vec<f64> {
    let mut t = vec![0.0; model.columns()];
    for (i, &w) in weights.iter().enumerate() {
        model.features(i, |k, x| t[k] += w * x);
    }
    t
}

fn count_at_bounds(weights: &[f64], base: &[f64], bounds: Option<(f64, f64)>) -> usize {
    let Some((l, u)) = bounds else { return 0 };
    weights
        .iter()
        .zip(base)
        .filter(|(w, d)| {
            let g = *w / *d;
            (g - l).abs() < 1e-9 || (g - u).abs() < 1e-9
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logit_ratio_stays_within_its_bounds_and_is_1_at_0() {
        for u in [-50.0, -1.0, 0.0, 1.0, 50.0] {
            let (g, dg) = ratio(Distance::Logit, Some((0.5, 2.0)), u);
            assert!((0.5..=2.0).contains(&g) && dg >= 0.0);
        }
        let (g, dg) = ratio(Distance::Logit, Some((0.5, 2.0)), 0.0);
        assert!((g - 1.0).abs() < 1e-15 && (dg - 1.0).abs() < 1e-12);
    }
}
