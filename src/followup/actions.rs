//! Did an action work? Difference in differences over units' published means, and the
//! smallest change a unit could detect before acting.
//!
//! Every unit contributes one change: its mean after the action minus its mean in the last
//! wave before it (the same waves for the action's units and their comparison units). The
//! effect is the treated units' change minus what the comparison units' changes predict,
//! adjusted for the units' earlier level and size (a unit that scored low tends to rise by
//! itself). One change per unit makes every variance below clustered by unit.

use crate::error::FollowupError;
use crate::estimate::stats::{two_sided_p, two_sided_quantile};
use crate::reliability::linalg::{dot, mat_mul, quadratic_form, spd_inverse};
use statrs::distribution::{ContinuousCDF, Normal};

/// One unit's change between the base wave and the wave(s) after the action.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitChange {
    pub treated: bool,
    /// Mean after minus mean in the base wave (0–100 points).
    pub change: f64,
    /// What the comparison is adjusted for (e.g. the base-wave mean, log size).
    pub covariates: Vec<f64>,
    /// Sampling variance of `change` from the published SEs (with the finite-population
    /// correction of a census: zero when everyone answered).
    pub sampling_var: f64,
}

/// An effect with its uncertainty.
#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    pub estimate: f64,
    pub se: f64,
    pub df: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub p: f64,
}

/// The action's average effect on its units (the `treated` rows).
///
/// OLS of the changes on `1, treated, covariates` (centred); the effect is the `treated`
/// coefficient. Its variance is HC2 (Bell & McCaffrey 2002), which without covariates is
/// exactly Welch's s²_T/n_T + s²_C/n_C; with one change per unit it is the cluster-robust
/// variance by unit. The interval uses t with the Bell–McCaffrey degrees of freedom
/// (Imbens & Kolesár 2016), which keeps coverage near nominal with few treated units where
/// HC1 with t(N − K) does not.
pub fn pooled_effect(units: &[UnitChange], confidence: f64) -> Result<Effect, FollowupError> {
    let treated = units.iter().filter(|u| u.treated).count();
    let k = 2 + covariate_count(units)?;
    if treated < 2 || units.len() - treated < 2 || units.len() < k + 2 {
        return Err(param(
            "units",
            format!(
                "a pooled effect needs at least 2 units with the action, 2 without and {} in \
                 all; got {treated} and {}",
                k + 2,
                units.len() - treated
            ),
        ));
    }
    let x = design(units, true);
    let y: Vec<f64> = units.iter().map(|u| u.change).collect();
    let fit = ols(&x, &y, k)?;
    let tau = 1;
    // a_i: the weight of unit i's change in the estimate, (X'X)⁻¹ x_i at the effect.
    let a: Vec<f64> = (0..units.len())
        .map(|i| dot(&fit.inverse[tau * k..(tau + 1) * k], &x[i * k..(i + 1) * k]))
        .collect();
    let leverage: Vec<f64> = (0..units.len())
        .map(|i| quadratic_form(&fit.inverse, &x[i * k..(i + 1) * k]))
        .collect();
    if leverage.iter().any(|&h| h > 1.0 - 1e-10) {
        return Err(param(
            "units",
            "a unit's change alone determines the fit (a covariate that only it has); \
             leave the covariate out"
                .into(),
        ));
    }
    let w: Vec<f64> = a
        .iter()
        .zip(&leverage)
        .map(|(a, h)| a * a / (1.0 - h))
        .collect();
    let variance: f64 = w.iter().zip(&fit.residuals).map(|(w, e)| w * e * e).sum();
    let df = bell_mccaffrey_df(&x, &fit.inverse, &w, &leverage, k);
    finish(fit.beta[tau], variance, df, confidence)
}

/// One treated unit's effect: its change minus what the comparison units' changes predict
/// at its level and size.
///
/// The variance is that of a new unit's change around the prediction, split into what the
/// unit's own answers carry (its `sampling_var`, zero for a unit where everyone answered)
/// and what any unit's change varies by from year to year (σ²_η: the comparison units'
/// residual variance less their mean sampling variance, method of moments, not below
/// zero), plus the prediction's own variance: σ²_η + v_u + x_u'(X'X)⁻¹x_u·σ²_e, with
/// t(n_C − K). With a single unit the effect cannot be told apart from that unit's other
/// changes of the year; the interval says so by being wide.
pub fn unit_effect(
    unit: &UnitChange,
    comparisons: &[UnitChange],
    confidence: f64,
) -> Result<Effect, FollowupError> {
    let k = 1 + covariate_count(comparisons)?;
    if unit.covariates.len() + 1 != k {
        return Err(param(
            "covariates",
            "the unit and its comparisons have different covariates".into(),
        ));
    }
    if comparisons.len() < k + 2 {
        return Err(param(
            "units",
            format!(
                "a unit's effect needs at least {} comparison units; got {}",
                k + 2,
                comparisons.len()
            ),
        ));
    }
    let x = design(comparisons, false);
    let y: Vec<f64> = comparisons.iter().map(|u| u.change).collect();
    let fit = ols(&x, &y, k)?;
    let residual_df = (comparisons.len() - k) as f64;
    let sigma2: f64 = fit.residuals.iter().map(|e| e * e).sum::<f64>() / residual_df;
    let mean_sampling =
        comparisons.iter().map(|u| u.sampling_var).sum::<f64>() / comparisons.len() as f64;
    let shock = (sigma2 - mean_sampling).max(0.0);
    // The comparisons' design is centred at their covariate means; so is the unit.
    let means = covariate_means(comparisons);
    let xu: Vec<f64> = std::iter::once(1.0)
        .chain(unit.covariates.iter().zip(&means).map(|(c, m)| c - m))
        .collect();
    let prediction = dot(&fit.beta, &xu);
    let variance = shock + unit.sampling_var + quadratic_form(&fit.inverse, &xu) * sigma2;
    finish(unit.change - prediction, variance, residual_df, confidence)
}

/// One action started in different waves (staggered cohorts): the cohorts' effects
/// averaged with the given weights (their numbers of units). The cohorts share comparison
/// units, so their estimates are positively correlated by an amount not estimated here;
/// the variance takes them as perfectly correlated, (Σ wᵢ SEᵢ)², an upper bound, with the
/// smallest of their degrees of freedom: a conservative interval.
pub fn combined_effect(
    cohorts: &[(Effect, f64)],
    confidence: f64,
) -> Result<Effect, FollowupError> {
    let total: f64 = cohorts.iter().map(|(_, w)| w).sum();
    // Written so that a NaN weight fails too.
    let usable = |w: f64| w.is_finite() && w >= 0.0;
    if cohorts.len() < 2
        || !usable(total)
        || total == 0.0
        || !cohorts.iter().all(|(_, w)| usable(*w))
    {
        return Err(param(
            "cohorts",
            "combining needs at least two cohorts with positive weights".into(),
        ));
    }
    let estimate = cohorts.iter().map(|(e, w)| w * e.estimate).sum::<f64>() / total;
    let se = cohorts.iter().map(|(e, w)| w * e.se).sum::<f64>() / total;
    let df = cohorts
        .iter()
        .map(|(e, _)| e.df)
        .fold(f64::INFINITY, f64::min);
    finish(estimate, se * se, df, confidence)
}

/// The smallest true change of a group's mean between this wave and the next that a
/// two-sided test at `confidence` detects with probability `power`:
/// the δ solving Φ(δ/SE − z) + Φ(−δ/SE − z) = power, z = Φ⁻¹(1 − α/2), with
/// SE = sd·√((1 − n₁/N)/n₁ + (1 − n₂/N)/n₂) (the finite-population correction of a census
/// survey; `None` for N drops it). Bloom (1995): (z + Φ⁻¹(power))·SE when the far tail is
/// negligible.
pub fn detectable_change(
    sd: f64,
    n_now: f64,
    n_next: f64,
    headcount: Option<f64>,
    confidence: f64,
    power: f64,
) -> Result<f64, FollowupError> {
    if !(power > 0.0 && power < 1.0) {
        return Err(param(
            "power",
            format!("must be between 0 and 1, got {power}"),
        ));
    }
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(param(
            "confidence",
            format!("must be between 0 and 1 (e.g. 0.95), got {confidence}"),
        ));
    }
    let fpc = |n: f64| headcount.map_or(1.0, |big_n| (1.0 - n / big_n).max(0.0));
    let se = sd * (fpc(n_now) / n_now + fpc(n_next) / n_next).sqrt();
    if se == 0.0 {
        return Ok(0.0); // everyone answered both times: every change is measured exactly
    }
    let normal = Normal::standard();
    let z = normal.inverse_cdf(0.5 + confidence / 2.0);
    let power_at = |d: f64| normal.cdf(d - z) + normal.cdf(-d - z);
    if power <= power_at(0.0) {
        return Ok(0.0);
    }
    // Power rises in δ: bisect on δ/SE between 0 and a bound it exceeds.
    let (mut lo, mut hi) = (0.0, z + normal.inverse_cdf(power) + 1.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if power_at(mid) < power {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(0.5 * (lo + hi) * se)
}

fn param(parameter: &str, message: String) -> FollowupError {
    FollowupError::Parameter {
        parameter: parameter.into(),
        message,
    }
}

fn covariate_count(units: &[UnitChange]) -> Result<usize, FollowupError> {
    let k = units.first().map_or(0, |u| u.covariates.len());
    if units.iter().any(|u| u.covariates.len() != k) {
        return Err(param(
            "covariates",
            "every unit needs the same covariates".into(),
        ));
    }
    if units
        .iter()
        .any(|u| !u.change.is_finite() || u.covariates.iter().any(|c| !c.is_finite()))
    {
        return Err(param(
            "units",
            "a change or covariate is not a finite number".into(),
        ));
    }
    Ok(k)
}

/// Rows `1, [treated], covariates − their mean`, row-major.
fn design(units: &[UnitChange], with_treated: bool) -> Vec<f64> {
    let means = covariate_means(units);
    let mut x = Vec::new();
    for u in units {
        x.push(1.0);
        if with_treated {
            x.push(if u.treated { 1.0 } else { 0.0 });
        }
        x.extend(u.covariates.iter().zip(&means).map(|(c, m)| c - m));
    }
    x
}

fn covariate_means(units: &[UnitChange]) -> Vec<f64> {
    let p = units.first().map_or(0, |u| u.covariates.len());
    (0..p)
        .map(|j| units.iter().map(|u| u.covariates[j]).sum::<f64>() / units.len() as f64)
        .collect()
}

struct Fit {
    beta: Vec<f64>,
    inverse: Vec<f64>,
    residuals: Vec<f64>,
}

fn ols(x: &[f64], y: &[f64], k: usize) -> Result<Fit, FollowupError> {
    let n = y.len();
    let mut xtx = vec![0.0; k * k];
    let mut xty = vec![0.0; k];
    for i in 0..n {
        let row = &x[i * k..(i + 1) * k];
        for a in 0..k {
            xty[a] += row[a] * y[i];
            for b in 0..k {
                xtx[a * k + b] += row[a] * row[b];
            }
        }
    }
    let (inverse, _) = spd_inverse(&xtx, k).ok_or_else(|| {
        param(
            "covariates",
            "the units do not vary in a covariate (or two covariates say the same); \
             leave it out"
                .into(),
        )
    })?;
    let beta: Vec<f64> = (0..k)
        .map(|a| dot(&inverse[a * k..(a + 1) * k], &xty))
        .collect();
    let residuals = (0..n)
        .map(|i| y[i] - dot(&beta, &x[i * k..(i + 1) * k]))
        .collect();
    Ok(Fit {
        beta,
        inverse,
        residuals,
    })
}

/// Satterthwaite degrees of freedom of the HC2 variance eᵀWe (W = diag(w)) under the
/// homoskedastic working model, e = Mε: (tr MWM)² / tr((MWM)²). With h_ij = x_iᵀQx_j and
/// S = Σ w_i x_i x_iᵀ: tr MWM = Σ w_i(1 − h_ii), tr((MWM)²) = Σ w_i²(1 − 2h_ii) + tr(SQSQ);
/// O(N·K²) instead of the N×N matrices.
fn bell_mccaffrey_df(x: &[f64], q: &[f64], w: &[f64], leverage: &[f64], k: usize) -> f64 {
    let mut s = vec![0.0; k * k];
    for (i, wi) in w.iter().enumerate() {
        let row = &x[i * k..(i + 1) * k];
        for a in 0..k {
            for b in 0..k {
                s[a * k + b] += wi * row[a] * row[b];
            }
        }
    }
    let sq = mat_mul(&s, q, k);
    let tr_sqsq: f64 = (0..k)
        .flat_map(|a| (0..k).map(move |b| (a, b)))
        .map(|(a, b)| sq[a * k + b] * sq[b * k + a])
        .sum();
    let trace: f64 = w.iter().zip(leverage).map(|(w, h)| w * (1.0 - h)).sum();
    let trace_sq: f64 = w
        .iter()
        .zip(leverage)
        .map(|(w, h)| w * w * (1.0 - 2.0 * h))
        .sum::<f64>()
        + tr_sqsq;
    trace * trace / trace_sq
}

fn finish(estimate: f64, variance: f64, df: f64, confidence: f64) -> Result<Effect, FollowupError> {
    let q = two_sided_quantile(confidence, df).ok_or_else(|| {
        param(
            "confidence",
            format!("must be between 0 and 1 (e.g. 0.95), got {confidence}"),
        )
    })?;
    let se = variance.max(0.0).sqrt();
    Ok(Effect {
        estimate,
        se,
        df,
        ci_low: estimate - q * se,
        ci_high: estimate + q * se,
        p: if se > 0.0 {
            two_sided_p(estimate / se, df)
        } else {
            f64::NAN
        },
    })
}
