//! Confirmatory check of an instrument's dimension structure: a correlated-factors model in
//! which every item loads on its own dimension only, fitted by maximum likelihood to the
//! item correlation matrix of complete respondents (as R `lavaan::cfa(std.lv = TRUE)`).
//!
//! Σ(θ) = Λ Φ Λᵀ + Ψ, factor variances fixed to 1; F = ln|Σ| + tr(R Σ⁻¹) − ln|R| − p,
//! minimised by BFGS with analytic gradients. Uniquenesses are free, as in lavaan: one
//! that runs to zero or below (a Heywood case) is kept and reported.

use super::fit::{chisq_fit, ChisqFit};
use super::linalg::spd_inverse;
use crate::error::ReliabilityError;

/// Fit of a simple-structure CFA.
#[derive(Debug, Clone, PartialEq)]
pub struct CfaFit {
    pub n: u64,
    /// Standardised loading of every item on its dimension.
    pub loadings: Vec<f64>,
    /// Standardised residual variance 1 − loading².
    pub uniqueness: Vec<f64>,
    /// Factor correlations, row-major m × m.
    pub factor_correlations: Vec<f64>,
    /// χ², df, p, CFI, TLI, RMSEA and its interval.
    pub chi: ChisqFit,
    pub srmr: f64,
    pub iterations: usize,
    pub notes: Vec<String>,
}

struct Model<'a> {
    r: &'a [f64],
    p: usize,
    m: usize,
    factor: &'a [usize],
}

impl Model<'_> {
    fn n_params(&self) -> usize {
        2 * self.p + self.m * (self.m - 1) / 2
    }

    /// (Λ as loadings per item, ψ, Φ) from θ = [λ (p), ψ (p), φ (lower triangle)].
    fn unpack(&self, theta: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let (p, m) = (self.p, self.m);
        let lambda = theta[..p].to_vec();
        let psi = theta[p..2 * p].to_vec();
        let mut phi = super::linalg::identity(m);
        let mut idx = 2 * p;
        for a in 0..m {
            for b in 0..a {
                phi[a * m + b] = theta[idx];
                phi[b * m + a] = theta[idx];
                idx += 1;
            }
        }
        (lambda, psi, phi)
    }

    fn sigma(&self, lambda: &[f64], psi: &[f64], phi: &[f64]) -> Vec<f64> {
        let (p, m) = (self.p, self.m);
        let mut s = vec![0.0; p * p];
        for i in 0..p {
            for j in 0..p {
                s[i * p + j] = lambda[i] * lambda[j] * phi[self.factor[i] * m + self.factor[j]];
            }
            s[i * p + i] += psi[i];
        }
        s
    }

    /// F and its gradient; `None` when Σ is not positive definite.
    fn value_grad(&self, theta: &[f64], log_det_r: f64) -> Option<(f64, Vec<f64>)> {
        let (p, m) = (self.p, self.m);
        let (lambda, psi, phi) = self.unpack(theta);
        let sigma = self.sigma(&lambda, &psi, &phi);
        let (inv, log_det) = spd_inverse(&sigma, p)?;
        // W = Σ⁻¹ R Σ⁻¹, G = Σ⁻¹ − W (dF = tr(G dΣ)).
        let mut ir = vec![0.0; p * p];
        for i in 0..p {
            for j in 0..p {
                ir[i * p + j] = (0..p).map(|k| inv[i * p + k] * self.r[k * p + j]).sum();
            }
        }
        let trace: f64 = (0..p).map(|i| ir[i * p + i]).sum();
        let f = log_det + trace - log_det_r - p as f64;
        let mut g = vec![0.0; p * p];
        for i in 0..p {
            for j in 0..p {
                let w: f64 = (0..p).map(|k| ir[i * p + k] * inv[k * p + j]).sum();
                g[i * p + j] = inv[i * p + j] - w;
            }
        }
        // (G Λ)_{i, a} with Λ sparse: Σ_j G_ij λ_j [factor j = a]
        let mut gl = vec![0.0; p * m];
        for i in 0..p {
            for j in 0..p {
                gl[i * m + self.factor[j]] += g[i * p + j] * lambda[j];
            }
        }
        let mut grad = vec![0.0; self.n_params()];
        for i in 0..p {
            // dF/dλ_i = 2 (G Λ Φ)_{i, f_i}
            let fi = self.factor[i];
            grad[i] = 2.0 * (0..m).map(|a| gl[i * m + a] * phi[a * m + fi]).sum::<f64>();
            grad[p + i] = g[i * p + i];
        }
        let mut idx = 2 * p;
        for a in 0..m {
            for b in 0..a {
                // dF/dφ_ab = 2 (Λᵀ G Λ)_ab
                let v: f64 = (0..p)
                    .filter(|&i| self.factor[i] == a)
                    .map(|i| lambda[i] * gl[i * m + b])
                    .sum();
                grad[idx] = 2.0 * v;
                idx += 1;
            }
        }
        Some((f, grad))
    }
}

/// Whether a correlated-factors model of `factor` (item → dimension) can be checked: positive
/// degrees of freedom (more correlations than loadings and factor correlations), two items
/// per dimension (three when it is the only one) and at least `q + 2` respondents for `q`
/// free parameters. Shared by the ML and the ordinal (WLSMV) check.
pub fn check_structure(
    factor: &[usize],
    dims: &[&str],
    n: u64,
    q: usize,
) -> Result<(), ReliabilityError> {
    let (p, m) = (factor.len(), dims.len());
    let scale = "dimension structure".to_string();
    if p * p.saturating_sub(1) / 2 <= p + m * m.saturating_sub(1) / 2 {
        return Err(ReliabilityError::TooFewItems {
            scale,
            k: p,
            needed: p + 1,
            what: format!(
                "a confirmatory check of {m} dimension(s) with positive degrees of freedom"
            ),
        });
    }
    for (a, d) in dims.iter().enumerate() {
        let size = factor.iter().filter(|&&f| f == a).count();
        if size < 2 || (m == 1 && size < 3) {
            return Err(ReliabilityError::TooFewItems {
                scale: format!("dimension `{d}`"),
                k: size,
                needed: if m == 1 { 3 } else { 2 },
                what: "a factor of its own".into(),
            });
        }
    }
    if n < q as u64 + 2 {
        return Err(ReliabilityError::TooFewRespondents {
            scale,
            n,
            needed: q as u64 + 2,
        });
    }
    Ok(())
}

/// Fits the model to a p × p correlation matrix `r` of `n` complete respondents; `factor[i]`
/// is item i's dimension (0..m). `names` / `dims` name items and dimensions in errors.
pub fn fit_cfa(
    r: &[f64],
    n: u64,
    factor: &[usize],
    names: &[&str],
    dims: &[&str],
) -> Result<CfaFit, ReliabilityError> {
    let p = factor.len();
    let m = dims.len();
    let scale = "dimension structure".to_string();
    let model = Model { r, p, m, factor };
    let q = model.n_params();
    check_structure(factor, dims, n, q)?;
    let moments = p * (p + 1) / 2;
    let (_, log_det_r) = spd_inverse(r, p).ok_or_else(|| ReliabilityError::Singular {
        scale: scale.clone(),
        items: names.join(", "),
    })?;
    // Start: loadings 0.7, uniquenesses 0.51, factor correlations 0.3.
    let mut theta = vec![0.0; q];
    for i in 0..p {
        theta[i] = 0.7;
        theta[p + i] = 0.51;
    }
    for t in theta.iter_mut().skip(2 * p) {
        *t = 0.3;
    }
    let minimum = super::optimise::bfgs(|t| model.value_grad(t, log_det_r), theta, 2000)
        .ok_or_else(|| ReliabilityError::Undefined {
            scale: scale.clone(),
            message: "the starting values of the factor model give no positive definite covariance matrix".into(),
        })?;
    if !minimum.converged {
        return Err(ReliabilityError::Undefined {
            scale,
            message: format!(
                "the factor model did not converge ({} iterations); the structure does not fit these answers",
                minimum.iterations
            ),
        });
    }
    let (theta, f, iterations) = (minimum.theta, minimum.value, minimum.iterations);
    let (lambda, psi, phi) = model.unpack(&theta);
    let sigma = model.sigma(&lambda, &psi, &phi);
    let mut notes = Vec::new();
    let loadings: Vec<f64> = (0..p)
        .map(|i| lambda[i] / sigma[i * p + i].sqrt())
        .collect();
    let uniqueness: Vec<f64> = (0..p).map(|i| psi[i] / sigma[i * p + i]).collect();
    for (i, u) in uniqueness.iter().enumerate() {
        if *u < 1e-4 {
            notes.push(format!(
                "item `{}`: residual variance near zero or negative (Heywood case)",
                names[i]
            ));
        }
    }
    if phi
        .iter()
        .enumerate()
        .any(|(i, v)| i % (m + 1) != 0 && v.abs() > 1.0)
    {
        notes.push("a factor correlation exceeds 1: the dimensions are not distinct".into());
    }
    let nf = n as f64;
    let x = chisq_fit(
        nf * f.max(0.0),
        moments - q,
        -nf * log_det_r,
        p * (p - 1) / 2,
        n,
        1,
    );
    let mut ss = 0.0;
    for i in 0..p {
        for j in 0..=i {
            let fitted = sigma[i * p + j] / (sigma[i * p + i] * sigma[j * p + j]).sqrt();
            ss += (r[i * p + j] - fitted).powi(2);
        }
    }
    let srmr = (ss / moments as f64).sqrt();
    Ok(CfaFit {
        n,
        loadings,
        uniqueness,
        factor_correlations: phi,
        chi: x,
        srmr,
        iterations,
        notes,
    })
}
