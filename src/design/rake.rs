//! Raking (iterative proportional fitting) of weights to population margins, with optional
//! trimming to bounds relative to the mean weight and redistribution of what is cut.
//! Post-stratification is raking to one margin (the joint cells), reached in one step.

use crate::error::DesignError;

/// A population margin: each row's category and the population count per category.
#[derive(Debug, Clone)]
pub struct Margin {
    pub name: String,
    pub labels: Vec<String>,
    /// Category index of each sample row.
    pub category: Vec<u32>,
    pub target: Vec<f64>,
}

#[derive(Debug, Clone, Copy)]
pub struct RakeOptions {
    /// Largest relative difference between achieved and target margin counts accepted.
    pub tolerance: f64,
    /// Most sweeps over the margins (each trimming round included).
    pub max_iterations: usize,
    /// Bounds for the weights, as multiples of the mean weight.
    pub floor: Option<f64>,
    pub cap: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct RakeOutcome {
    pub weights: Vec<f64>,
    pub iterations: usize,
    /// Largest relative margin error at the end.
    pub max_error: f64,
    /// Rows whose weight sits at a bound.
    pub trimmed: usize,
    /// Per margin, the achieved weighted count per category.
    pub achieved: Vec<Vec<f64>>,
}

pub fn totals(weights: &[f64], m: &Margin) -> Vec<f64> {
    let mut t = vec![0.0; m.target.len()];
    for (&c, &w) in m.category.iter().zip(weights) {
        t[c as usize] += w;
    }
    t
}

/// Every category with a population needs respondents and vice versa, and the margins
/// must describe the same population.
pub fn check_margins(base: &[f64], margins: &[Margin]) -> Result<(), DesignError> {
    let mut first_total: Option<(String, f64)> = None;
    for m in margins {
        let have = totals(base, m);
        for (k, (&t, &h)) in m.target.iter().zip(&have).enumerate() {
            if !(t.is_finite() && t >= 0.0) {
                return Err(DesignError::Margin {
                    margin: m.name.clone(),
                    message: format!("the population count of `{}` is {t}", m.labels[k]),
                });
            }
            if t > 0.0 && h == 0.0 {
                return Err(DesignError::EmptyCell {
                    margin: m.name.clone(),
                    category: m.labels[k].clone(),
                    target: t,
                });
            }
            if t == 0.0 && h > 0.0 {
                return Err(DesignError::Margin {
                    margin: m.name.clone(),
                    message: format!(
                        "`{}` has respondents but a population count of 0; correct the population table",
                        m.labels[k]
                    ),
                });
            }
        }
        let total: f64 = m.target.iter().sum();
        match &first_total {
            None => first_total = Some((m.name.clone(), total)),
            Some((name, t0)) if (total - t0).abs() > 1e-6 * t0.abs().max(1.0) => {
                return Err(DesignError::InconsistentMargins {
                    first: name.clone(),
                    first_total: *t0,
                    other: m.name.clone(),
                    other_total: total,
                })
            }
            Some(_) => {}
        }
    }
    Ok(())
}

fn max_relative_error(weights: &[f64], margins: &[Margin]) -> (f64, Vec<Vec<f64>>) {
    let achieved: Vec<Vec<f64>> = margins.iter().map(|m| totals(weights, m)).collect();
    let error = margins
        .iter()
        .zip(&achieved)
        .flat_map(|(m, a)| m.target.iter().zip(a))
        .filter(|(t, _)| **t > 0.0)
        .map(|(t, a)| (a - t).abs() / t)
        .fold(0.0, f64::max);
    (error, achieved)
}

fn sweep(weights: &mut [f64], margins: &[Margin]) {
    for m in margins {
        let have = totals(weights, m);
        let factor: Vec<f64> = m
            .target
            .iter()
            .zip(&have)
            .map(|(t, h)| if *h > 0.0 { t / h } else { 1.0 })
            .collect();
        for (w, &c) in weights.iter_mut().zip(&m.category) {
            *w *= factor[c as usize];
        }
    }
}

/// Clamps weights to `[floor, cap] × mean` and spreads what was cut (or added) over the
/// free weights in proportion to them, so the total is kept; repeats until no free
/// weight crosses a bound. Returns how many weights sit at a bound.
pub fn trim(weights: &mut [f64], floor: Option<f64>, cap: Option<f64>) -> usize {
    let n = weights.len();
    let total: f64 = weights.iter().sum();
    let mean = total / n as f64;
    let (lo, hi) = (
        floor.map_or(0.0, |f| f * mean),
        cap.map_or(f64::INFINITY, |c| c * mean),
    );
    let mut fixed = vec![false; n];
    for _ in 0..n {
        let mut changed = false;
        for (w, f) in weights.iter_mut().zip(fixed.iter_mut()) {
            if !*f && (*w > hi || *w < lo) {
                *w = w.clamp(lo, hi);
                *f = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
        let at_bounds: f64 = weights
            .iter()
            .zip(&fixed)
            .filter(|(_, f)| **f)
            .map(|(w, _)| w)
            .sum();
        let free: f64 = weights
            .iter()
            .zip(&fixed)
            .filter(|(_, f)| !**f)
            .map(|(w, _)| w)
            .sum();
        if free <= 0.0 {
            break;
        }
        let scale = (total - at_bounds) / free;
        for (w, f) in weights.iter_mut().zip(&fixed) {
            if !*f {
                *w *= scale;
            }
        }
    }
    fixed.iter().filter(|f| **f).count()
}

fn within_bounds(weights: &[f64], floor: Option<f64>, cap: Option<f64>) -> bool {
    let mean = weights.iter().sum::<f64>() / weights.len() as f64;
    let slack = 1e-9;
    weights.iter().all(|&w| {
        cap.is_none_or(|c| w <= c * mean * (1.0 + slack))
            && floor.is_none_or(|f| w >= f * mean * (1.0 - slack))
    })
}

/// Weights within a relative 1e-6 of a bound.
fn at_bounds(weights: &[f64], floor: Option<f64>, cap: Option<f64>) -> usize {
    let mean = weights.iter().sum::<f64>() / weights.len() as f64;
    let near = |w: f64, b: f64| (w - b).abs() <= 1e-6 * b;
    weights
        .iter()
        .filter(|&&w| {
            cap.is_some_and(|c| near(w, c * mean)) || floor.is_some_and(|f| near(w, f * mean))
        })
        .count()
}

/// Rakes `base` weights to `margins`. Without bounds, sweeps until every margin is met to
/// `tolerance`; with bounds, alternates raking and trimming until both hold.
pub fn rake(
    base: &[f64],
    margins: &[Margin],
    opts: &RakeOptions,
) -> Result<RakeOutcome, DesignError> {
    check_options(opts)?;
    check_margins(base, margins)?;
    let mut weights = base.to_vec();
    let bounded = opts.floor.is_some() || opts.cap.is_some();
    for iteration in 1..=opts.max_iterations {
        sweep(&mut weights, margins);
        let (error, achieved) = max_relative_error(&weights, margins);
        if error <= opts.tolerance {
            if !bounded || within_bounds(&weights, opts.floor, opts.cap) {
                let trimmed = at_bounds(&weights, opts.floor, opts.cap);
                return Ok(RakeOutcome {
                    weights,
                    iterations: iteration,
                    max_error: error,
                    trimmed,
                    achieved,
                });
            }
            trim(&mut weights, opts.floor, opts.cap);
        }
    }
    let (error, _) = max_relative_error(&weights, margins);
    Err(DesignError::NotConverged {
        iterations: opts.max_iterations,
        max_error: error,
        bounded,
    })
}

fn check_options(opts: &RakeOptions) -> Result<(), DesignError> {
    let bad = |parameter: &str, message: String| DesignError::Parameter {
        parameter: parameter.into(),
        message,
    };
    if !(opts.tolerance > 0.0 && opts.tolerance < 1.0) {
        return Err(bad(
            "tolerance",
            format!("must be in (0, 1), got {}", opts.tolerance),
        ));
    }
    if opts.max_iterations == 0 {
        return Err(bad("max_iterations", "must be at least 1".into()));
    }
    if let Some(c) = opts.cap {
        if !(c > 1.0 && c.is_finite()) {
            return Err(bad(
                "cap",
                format!("must be a multiple of the mean weight above 1, got {c}"),
            ));
        }
    }
    if let Some(f) = opts.floor {
        if !(f > 0.0 && f < 1.0) {
            return Err(bad(
                "floor",
                format!("must be a fraction of the mean weight in (0, 1), got {f}"),
            ));
        }
    }
    Ok(())
}
