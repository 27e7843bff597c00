//! Fit measures of a factor model from its χ² and the χ² of the baseline (independence)
//! model, as R lavaan's `fitMeasures` computes them: p-value, CFI, TLI, RMSEA with its 90 %
//! interval. Shared by the dimension check (one group) and the invariance models.

use statrs::distribution::{ChiSquared, ContinuousCDF};
use statrs::function::gamma::{gamma_lr, ln_gamma};

/// χ² and what follows from it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChisqFit {
    pub chisq: f64,
    pub df: usize,
    /// NaN on zero degrees of freedom.
    pub p_value: f64,
    pub cfi: f64,
    /// `None` on zero degrees of freedom.
    pub tli: Option<f64>,
    pub rmsea: Option<f64>,
    pub rmsea_ci: Option<(f64, f64)>,
}

/// `CFI = 1 − max(χ² − df, 0) / max(χ²₀ − df₀, χ² − df, 0)`,
/// `TLI = (χ²₀/df₀ − χ²/df) / (χ²₀/df₀ − 1)`,
/// `RMSEA = √max(χ²/(N·df) − 1/N, 0) · √G` (lavaan's multi-group form; G = 1 is the usual one).
pub fn chisq_fit(
    chisq: f64,
    df: usize,
    baseline_chisq: f64,
    baseline_df: usize,
    n: u64,
    groups: usize,
) -> ChisqFit {
    let (dff, nf) = (df as f64, n as f64);
    let (chisq0, df0) = (baseline_chisq, baseline_df as f64);
    let p_value = if df == 0 {
        f64::NAN
    } else {
        ChiSquared::new(dff).map_or(f64::NAN, |c| c.sf(chisq))
    };
    let d1 = (chisq - dff).max(0.0);
    let d0 = (chisq0 - df0).max(d1);
    let cfi = if d0 > 0.0 { 1.0 - d1 / d0 } else { 1.0 };
    let tli = (df > 0).then(|| ((chisq0 / df0) - (chisq / dff)) / ((chisq0 / df0) - 1.0));
    let root_g = (groups as f64).sqrt();
    let rmsea = (df > 0).then(|| (chisq / nf / dff - 1.0 / nf).max(0.0).sqrt() * root_g);
    let rmsea_ci = (df > 0).then(|| {
        let (lo, hi) = noncentrality_interval(chisq, dff, nf);
        (
            (lo / (nf * dff)).sqrt() * root_g,
            (hi / (nf * dff)).sqrt() * root_g,
        )
    });
    ChisqFit {
        chisq,
        df,
        p_value,
        cfi,
        tli,
        rmsea,
        rmsea_ci,
    }
}

/// P(X ≤ x) for a non-central χ² with `k` degrees of freedom and non-centrality λ: the
/// Poisson(λ/2) mixture of central χ²(k + 2j), summed outwards from its largest weight.
pub fn noncentral_chisq_cdf(x: f64, k: f64, lambda: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let half = lambda / 2.0;
    let term = |j: f64| {
        let log_w = if half > 0.0 {
            -half + j * half.ln() - ln_gamma(j + 1.0)
        } else if j == 0.0 {
            0.0
        } else {
            f64::NEG_INFINITY
        };
        (log_w.exp(), gamma_lr(k / 2.0 + j, x / 2.0))
    };
    let mode = half.floor();
    let mut sum = 0.0;
    let mut j = mode;
    loop {
        let (w, c) = term(j);
        sum += w * c;
        if (w < 1e-17 && j > mode) || j > mode + 1e7 {
            break;
        }
        j += 1.0;
    }
    let mut j = mode - 1.0;
    while j >= 0.0 {
        let (w, c) = term(j);
        sum += w * c;
        if w < 1e-17 {
            break;
        }
        j -= 1.0;
    }
    sum.min(1.0)
}

/// The 90 % interval of the non-centrality behind an observed χ² (as lavaan's RMSEA
/// interval): λ_low solves P(χ² ≤ x | λ) = 0.95, λ_high solves it = 0.05 (0 when even λ = 0
/// gives less), searched up to max(N, 4x) as lavaan does.
pub fn noncentrality_interval(x: f64, df: f64, n: f64) -> (f64, f64) {
    let solve = |target: f64, upper: f64| {
        if noncentral_chisq_cdf(x, df, 0.0) < target {
            return 0.0;
        }
        let (mut lo, mut hi) = (0.0, upper);
        while noncentral_chisq_cdf(x, df, hi) > target {
            hi *= 2.0;
        }
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if noncentral_chisq_cdf(x, df, mid) > target {
                lo = mid;
            } else {
                hi = mid;
            }
            if hi - lo <= 1e-12 * hi.max(1.0) {
                break;
            }
        }
        0.5 * (lo + hi)
    };
    (solve(0.95, x.max(1.0)), solve(0.05, n.max(4.0 * x)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noncentral_chisq_agrees_with_r() {
        // R 4.2: pchisq(60, 48, ncp = 10), pchisq(3, 5), pchisq(2500, 2000, ncp = 400),
        // pchisq(115.85, 48, ncp = 60).
        let cases = [
            (60.0, 48.0, 10.0, 0.592_906_456_926_483),
            (3.0, 5.0, 0.0, 0.300_014_164_121_372),
            (2500.0, 2000.0, 400.0, 0.908_024_451_347_596),
            (115.85, 48.0, 60.0, 0.680_200_825_880_485),
        ];
        for (x, k, ncp, want) in cases {
            let got = noncentral_chisq_cdf(x, k, ncp);
            assert!(
                (got - want).abs() < 1e-11,
                "pchisq({x}, {k}, ncp = {ncp}) = {got}"
            );
        }
    }
}
