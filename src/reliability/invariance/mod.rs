//! Measurement invariance: does an instrument measure the same thing in every group (unit,
//! year)? Multi-group confirmatory factor models fitted by maximum likelihood with a mean
//! structure, as R `lavaan::cfa(model, data, group = ...)` with `group.equal`:
//!
//! - each group g: x = ν_g + Λ_g η + ε, η ~ (α_g, Φ_g), ε ~ (0, Θ_g diagonal), so
//!   Σ_g = Λ_g Φ_g Λ_gᵀ + Θ_g and μ_g = ν_g + Λ_g α_g; every item loads on its own factor;
//! - steps: **configural** (the same pattern, every parameter free per group),
//!   **metric** (loadings equal), **scalar** (loadings and intercepts equal), **strict**
//!   (and residual variances equal);
//! - identification by a reference group: the first group's factor variances are 1 and
//!   its means 0; the other groups' variances are free once loadings are equal, their means
//!   once intercepts are. This gives the same fit as lavaan's marker-item default and lets
//!   any item's loading be freed in a partial model;
//! - F = Σ_g (n_g/N) [ln|Σ_g| + tr(S_g Σ_g⁻¹) − ln|S_g| − p + (x̄_g − μ_g)ᵀ Σ_g⁻¹ (x̄_g − μ_g)],
//!   S_g with divisor n_g, χ² = N·F (lavaan's `likelihood = "normal"`), minimised by BFGS
//!   with analytic gradients. Residual variances are free as in lavaan: a negative one (a
//!   Heywood case) is an estimate, reported by the caller, as long as every Σ_g stays
//!   positive definite.
//!
//! The moments are scaled by the pooled SD of each item before fitting (ML is invariant
//! to it, and the optimiser then works on numbers near 1); estimates are scaled back.

pub mod frame;

use super::fit::{chisq_fit, ChisqFit};
use super::linalg::spd_inverse;
use super::optimise::{bfgs, Minimum};
use crate::error::ReliabilityError;

/// A group's complete respondents: their number, item means and covariance matrix with
/// divisor n (row-major p × p).
#[derive(Debug, Clone, PartialEq)]
pub struct Moments {
    pub n: u64,
    pub mean: Vec<f64>,
    pub cov: Vec<f64>,
}

/// The nested models, each adding equality constraints to the one before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Configural,
    Metric,
    Scalar,
    Strict,
}

impl Step {
    pub const ALL: [Step; 4] = [Step::Configural, Step::Metric, Step::Scalar, Step::Strict];

    pub fn name(self) -> &'static str {
        match self {
            Step::Configural => "configural",
            Step::Metric => "metric",
            Step::Scalar => "scalar",
            Step::Strict => "strict",
        }
    }

    /// The step after this one (one more kind of parameter equal), if any.
    pub fn next(self) -> Option<Step> {
        let at = Step::ALL.iter().position(|&s| s == self)?;
        Step::ALL.get(at + 1).copied()
    }

    /// The parameter this step sets equal across groups (none for the configural model).
    pub fn equates(self) -> Option<Kind> {
        match self {
            Step::Configural => None,
            Step::Metric => Some(Kind::Loading),
            Step::Scalar => Some(Kind::Intercept),
            Step::Strict => Some(Kind::Residual),
        }
    }
}

/// An item parameter that invariance sets equal across groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Loading,
    Intercept,
    Residual,
}

impl Kind {
    fn equated_at(self) -> Step {
        match self {
            Kind::Loading => Step::Metric,
            Kind::Intercept => Step::Scalar,
            Kind::Residual => Step::Strict,
        }
    }
}

/// Items whose parameter stays group-specific although the step equates it (a partially
/// invariant model), in the order they were freed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Freed {
    pub loading: Vec<usize>,
    pub intercept: Vec<usize>,
    pub residual: Vec<usize>,
}

impl Freed {
    pub fn of(&self, kind: Kind) -> &[usize] {
        match kind {
            Kind::Loading => &self.loading,
            Kind::Intercept => &self.intercept,
            Kind::Residual => &self.residual,
        }
    }

    fn with(&self, kind: Kind, item: usize) -> Freed {
        let mut out = self.clone();
        match kind {
            Kind::Loading => out.loading.push(item),
            Kind::Intercept => out.intercept.push(item),
            Kind::Residual => out.residual.push(item),
        }
        out
    }
}

/// A fitted multi-group model with lavaan's fit measures.
#[derive(Debug, Clone, PartialEq)]
pub struct MgFit {
    pub step: Step,
    pub freed: Freed,
    pub n: u64,
    /// Complete respondents of each group.
    pub group_n: Vec<u64>,
    /// χ², df, p, CFI, TLI, RMSEA and its interval.
    pub chi: ChisqFit,
    pub srmr: f64,
    pub loglik: f64,
    pub aic: f64,
    pub bic: f64,
    /// Per group and item (`g * p + i`), in the items' own units.
    pub loadings: Vec<f64>,
    pub intercepts: Vec<f64>,
    pub residuals: Vec<f64>,
    pub iterations: usize,
}

/// Where each model matrix entry finds its parameter.
struct Layout {
    groups: usize,
    p: usize,
    m: usize,
    lambda: Vec<usize>,
    nu: Vec<usize>,
    theta_ii: Vec<usize>,
    /// `g·m·m + a·m + b`, the same index at (a, b) and (b, a); `None`: a variance fixed to 1.
    phi: Vec<Option<usize>>,
    /// `g·m + a`; `None`: a mean fixed to 0.
    alpha: Vec<Option<usize>>,
    q: usize,
}

impl Layout {
    /// `theta` of this layout as parameters of `other` (the same groups, items and
    /// factors): each model entry's value goes to the parameter `other` keeps it in. Where
    /// this layout fixes a factor variance or mean (1, 0), `other` starts from that value.
    fn carried(&self, theta: &[f64], other: &Layout) -> Vec<f64> {
        let mut out = vec![0.0; other.q];
        let pairs = [
            (&self.lambda, &other.lambda),
            (&self.nu, &other.nu),
            (&self.theta_ii, &other.theta_ii),
        ];
        for (from, to) in pairs {
            from.iter().zip(to).for_each(|(&f, &t)| out[t] = theta[f]);
        }
        let fixed = [
            (&self.phi, &other.phi, 1.0),
            (&self.alpha, &other.alpha, 0.0),
        ];
        for (from, to, value) in fixed {
            for (f, t) in from.iter().zip(to) {
                if let Some(t) = *t {
                    out[t] = f.map_or(value, |f| theta[f]);
                }
            }
        }
        out
    }

    fn new(groups: usize, factor: &[usize], m: usize, step: Step, freed: &Freed) -> Self {
        let p = factor.len();
        let mut q = 0;
        let mut item_params = |kind: Kind| {
            let mut idx = vec![0; groups * p];
            for i in 0..p {
                let equal = step >= kind.equated_at() && !freed.of(kind).contains(&i);
                for g in 0..groups {
                    if !equal || g == 0 {
                        q += 1;
                    }
                    idx[g * p + i] = q - 1;
                }
            }
            idx
        };
        let lambda = item_params(Kind::Loading);
        let nu = item_params(Kind::Intercept);
        let theta_ii = item_params(Kind::Residual);
        let mut phi = vec![None; groups * m * m];
        let mut alpha = vec![None; groups * m];
        for g in 0..groups {
            for a in 0..m {
                for b in 0..=a {
                    let free = a != b || (g > 0 && step >= Step::Metric);
                    if free {
                        phi[g * m * m + a * m + b] = Some(q);
                        phi[g * m * m + b * m + a] = Some(q);
                        q += 1;
                    }
                }
                if g > 0 && step >= Step::Scalar {
                    alpha[g * m + a] = Some(q);
                    q += 1;
                }
            }
        }
        Layout {
            groups,
            p,
            m,
            lambda,
            nu,
            theta_ii,
            phi,
            alpha,
            q,
        }
    }

    fn moments(&self) -> usize {
        self.groups * (self.p * (self.p + 1) / 2 + self.p)
    }
}

/// One group's model matrices at θ.
struct Implied {
    lambda: Vec<f64>,
    psi: Vec<f64>,
    phi: Vec<f64>,
    alpha: Vec<f64>,
    sigma: Vec<f64>,
    mu: Vec<f64>,
}

struct Problem<'a> {
    layout: Layout,
    factor: &'a [usize],
    /// Moments scaled by the pooled SDs.
    groups: Vec<Moments>,
    /// The pooled SD of each item that scaled the moments.
    sd: Vec<f64>,
    total: u64,
    log_det_s: Vec<f64>,
    weight: Vec<f64>,
}

impl Problem<'_> {
    fn implied(&self, theta: &[f64], g: usize) -> Implied {
        let (p, m, l) = (self.layout.p, self.layout.m, &self.layout);
        let lambda: Vec<f64> = (0..p).map(|i| theta[l.lambda[g * p + i]]).collect();
        let psi: Vec<f64> = (0..p).map(|i| theta[l.theta_ii[g * p + i]]).collect();
        let phi: Vec<f64> = (0..m * m)
            .map(|ab| match l.phi[g * m * m + ab] {
                Some(k) => theta[k],
                None => 1.0,
            })
            .collect();
        let alpha: Vec<f64> = (0..m)
            .map(|a| l.alpha[g * m + a].map_or(0.0, |k| theta[k]))
            .collect();
        let mut sigma = vec![0.0; p * p];
        for i in 0..p {
            for j in 0..p {
                sigma[i * p + j] = lambda[i] * lambda[j] * phi[self.factor[i] * m + self.factor[j]];
            }
            sigma[i * p + i] += psi[i];
        }
        let mu = (0..p)
            .map(|i| theta[l.nu[g * p + i]] + lambda[i] * alpha[self.factor[i]])
            .collect();
        Implied {
            lambda,
            psi,
            phi,
            alpha,
            sigma,
            mu,
        }
    }

    /// F and its gradient; `None` where a Σ_g is not positive definite.
    fn value_grad(&self, theta: &[f64]) -> Option<(f64, Vec<f64>)> {
        let (p, m, l) = (self.layout.p, self.layout.m, &self.layout);
        let mut f = 0.0;
        let mut grad = vec![0.0; l.q];
        for (g, s) in self.groups.iter().enumerate() {
            let w = self.weight[g];
            let im = self.implied(theta, g);
            let (inv, log_det) = spd_inverse(&im.sigma, p)?;
            let d: Vec<f64> = (0..p).map(|i| s.mean[i] - im.mu[i]).collect();
            // B = S + d dᵀ; F_g = ln|Σ| + tr(Σ⁻¹B) − ln|S| − p; G = Σ⁻¹ − Σ⁻¹BΣ⁻¹.
            let mut ib = vec![0.0; p * p];
            for i in 0..p {
                for j in 0..p {
                    ib[i * p + j] = (0..p)
                        .map(|k| inv[i * p + k] * (s.cov[k * p + j] + d[k] * d[j]))
                        .sum();
                }
            }
            let trace: f64 = (0..p).map(|i| ib[i * p + i]).sum();
            f += w * (log_det + trace - self.log_det_s[g] - p as f64);
            let mut gm = vec![0.0; p * p];
            for i in 0..p {
                for j in 0..p {
                    let v: f64 = (0..p).map(|k| ib[i * p + k] * inv[k * p + j]).sum();
                    gm[i * p + j] = inv[i * p + j] - v;
                }
            }
            // dF/dμ = −2 Σ⁻¹ d
            let gmu: Vec<f64> = (0..p)
                .map(|i| -2.0 * (0..p).map(|k| inv[i * p + k] * d[k]).sum::<f64>())
                .collect();
            // (G Λ)_{i,a}, Λ sparse.
            let mut gl = vec![0.0; p * m];
            for i in 0..p {
                for j in 0..p {
                    gl[i * m + self.factor[j]] += gm[i * p + j] * im.lambda[j];
                }
            }
            for i in 0..p {
                let fi = self.factor[i];
                let glp: f64 = (0..m).map(|a| gl[i * m + a] * im.phi[a * m + fi]).sum();
                grad[l.lambda[g * p + i]] += w * (2.0 * glp + gmu[i] * im.alpha[fi]);
                grad[l.theta_ii[g * p + i]] += w * gm[i * p + i];
                grad[l.nu[g * p + i]] += w * gmu[i];
            }
            for a in 0..m {
                for b in 0..=a {
                    if let Some(k) = l.phi[g * m * m + a * m + b] {
                        let v: f64 = (0..p)
                            .filter(|&i| self.factor[i] == a)
                            .map(|i| im.lambda[i] * gl[i * m + b])
                            .sum();
                        grad[k] += w * if a == b { v } else { 2.0 * v };
                    }
                }
                if let Some(k) = l.alpha[g * m + a] {
                    let v: f64 = (0..p)
                        .filter(|&i| self.factor[i] == a)
                        .map(|i| im.lambda[i] * gmu[i])
                        .sum();
                    grad[k] += w * v;
                }
            }
        }
        Some((f, grad))
    }

    /// Starting points: loadings `loading`, residual variances 1 − loading², factors
    /// uncorrelated with variance 1; intercepts the group's means, an equal intercept the
    /// first (reference) group's; a free factor mean 0, or (with `means`) the group's mean
    /// difference from the reference on the factor's items divided by the loading.
    fn start(&self, loading: f64, means: bool) -> Vec<f64> {
        let (p, m, l) = (self.layout.p, self.layout.m, &self.layout);
        let mut theta = vec![0.0; l.q];
        // Groups in reverse, so the reference group's value is the one an equal
        // parameter keeps.
        for (g, s) in self.groups.iter().enumerate().rev() {
            for i in 0..p {
                theta[l.lambda[g * p + i]] = loading;
                theta[l.theta_ii[g * p + i]] = 1.0 - loading * loading;
                theta[l.nu[g * p + i]] = s.mean[i];
            }
            for a in 0..m {
                if let Some(k) = l.phi[g * m * m + a * m + a] {
                    theta[k] = 1.0;
                }
                if let (Some(k), true) = (l.alpha[g * m + a], means) {
                    let items: Vec<usize> = (0..p).filter(|&i| self.factor[i] == a).collect();
                    let shift: f64 = items
                        .iter()
                        .map(|&i| s.mean[i] - self.groups[0].mean[i])
                        .sum::<f64>()
                        / items.len().max(1) as f64;
                    theta[k] = shift / loading;
                }
            }
        }
        theta
    }

    /// Several starting points: factor models with mean structures have local minima
    /// (a step could otherwise fit worse than a more constrained one), so the best
    /// converged solution of these is kept.
    fn starts(&self) -> Vec<Vec<f64>> {
        vec![
            self.start(0.7, false),
            self.start(0.7, true),
            self.start(0.4, true),
        ]
    }
}

/// Scales every group's moments by the pooled SD of each item: (scaled groups, SDs).
fn standardise(groups: &[Moments], p: usize) -> (Vec<Moments>, Vec<f64>) {
    let total: f64 = groups.iter().map(|g| g.n as f64).sum();
    let sd: Vec<f64> = (0..p)
        .map(|i| {
            let v: f64 = groups
                .iter()
                .map(|g| g.n as f64 * g.cov[i * p + i])
                .sum::<f64>()
                / total;
            v.sqrt()
        })
        .collect();
    let scaled = groups
        .iter()
        .map(|g| Moments {
            n: g.n,
            mean: (0..p).map(|i| g.mean[i] / sd[i]).collect(),
            cov: (0..p * p)
                .map(|ij| g.cov[ij] / (sd[ij / p] * sd[ij % p]))
                .collect(),
        })
        .collect();
    (scaled, sd)
}

/// Fits one model; `label` names the analysis in errors.
pub fn fit_model(
    groups: &[Moments],
    factor: &[usize],
    m: usize,
    step: Step,
    freed: &Freed,
    label: &str,
) -> Result<MgFit, ReliabilityError> {
    let problem = problem_of(groups, factor, m, step, freed, label)?;
    let mut starts = problem.starts();
    // The next step's optimum carried into this step's parameters is a further start.
    // From scalar to strict, where both steps set factor means and variances alike, it is
    // a point of this model with the same fit, so scalar never fits worse than strict (all
    // the usual starts settled in a worse minimum for a scalar model with one strongly
    // shifted intercept). Where the next step frees factor means or variances this one
    // fixes, they are dropped and the start is near, not at, that fit.
    if let Some(next) = step.next() {
        if let Ok(inner) = problem_of(groups, factor, m, next, freed, label) {
            if let Some(best) = best_minimum(&inner, inner.starts()) {
                starts.push(inner.layout.carried(&best.theta, &problem.layout));
            }
        }
    }
    let minimum = best_minimum(&problem, starts).ok_or_else(|| ReliabilityError::Undefined {
        scale: label.into(),
        message: format!("the {} model did not converge", step.name()),
    })?;
    Ok(measures(&problem, &minimum, step, freed))
}

/// The best converged minimum from `starts`.
fn best_minimum(problem: &Problem, starts: Vec<Vec<f64>>) -> Option<Minimum> {
    starts
        .into_iter()
        .filter_map(|start| bfgs(|t| problem.value_grad(t), start, 10_000))
        .filter(|m| m.converged)
        .min_by(|a, b| a.value.total_cmp(&b.value))
}

/// One step's model on the groups' moments (standardised by the pooled SDs).
fn problem_of<'a>(
    groups: &[Moments],
    factor: &'a [usize],
    m: usize,
    step: Step,
    freed: &Freed,
    label: &str,
) -> Result<Problem<'a>, ReliabilityError> {
    let p = factor.len();
    let layout = Layout::new(groups.len(), factor, m, step, freed);
    let moments = layout.moments();
    if moments < layout.q {
        return Err(ReliabilityError::TooFewItems {
            scale: label.into(),
            k: p,
            needed: 3,
            what: format!("the {} model per factor", step.name()),
        });
    }
    let (scaled, sd) = standardise(groups, p);
    let total: u64 = groups.iter().map(|g| g.n).sum();
    let mut log_det_s = Vec::with_capacity(groups.len());
    for s in &scaled {
        let (_, ld) = spd_inverse(&s.cov, p).ok_or_else(|| ReliabilityError::Singular {
            scale: label.into(),
            items: "the items of a group".into(),
        })?;
        log_det_s.push(ld);
    }
    let weight = groups.iter().map(|g| g.n as f64 / total as f64).collect();
    Ok(Problem {
        layout,
        factor,
        groups: scaled,
        sd,
        total,
        log_det_s,
        weight,
    })
}

/// The χ²-based measures against lavaan's baseline: the independence model per group with
/// its means and variances free.
fn chisq_measures(problem: &Problem, f: f64) -> ChisqFit {
    let l = &problem.layout;
    let p = l.p;
    let chisq0: f64 = problem
        .groups
        .iter()
        .zip(&problem.log_det_s)
        .map(|(s, ld)| s.n as f64 * ((0..p).map(|i| s.cov[i * p + i].ln()).sum::<f64>() - ld))
        .sum();
    chisq_fit(
        problem.total as f64 * f.max(0.0),
        l.moments() - l.q,
        chisq0,
        l.groups * p * (p - 1) / 2,
        problem.total,
        l.groups,
    )
}

/// Every measure of a fitted model, and its estimates in the items' own units.
fn measures(problem: &Problem, minimum: &Minimum, step: Step, freed: &Freed) -> MgFit {
    let (l, theta, sd) = (&problem.layout, &minimum.theta, &problem.sd);
    let (p, groups) = (l.p, l.groups);
    let x = chisq_measures(problem, minimum.value);
    let mut srmr = 0.0;
    let mut loglik = 0.0;
    let mut loadings = Vec::with_capacity(groups * p);
    let mut intercepts = Vec::with_capacity(groups * p);
    let mut residuals = Vec::with_capacity(groups * p);
    for (g, s) in problem.groups.iter().enumerate() {
        let im = problem.implied(theta, g);
        srmr += problem.weight[g] * group_srmr(s, &im, p);
        // Invariant: the optimum's Σ_g is positive definite (the objective was defined).
        let (inv, log_det) = spd_inverse(&im.sigma, p).unwrap_or((vec![0.0; p * p], f64::NAN));
        let mut quad = 0.0;
        for i in 0..p {
            for j in 0..p {
                let b = s.cov[i * p + j] + (s.mean[i] - im.mu[i]) * (s.mean[j] - im.mu[j]);
                quad += inv[j * p + i] * b;
            }
        }
        let scale_log_det: f64 = sd.iter().map(|v| 2.0 * v.ln()).sum();
        loglik += -0.5
            * s.n as f64
            * (p as f64 * (2.0 * std::f64::consts::PI).ln() + log_det + scale_log_det + quad);
        for (i, sd) in sd.iter().enumerate() {
            loadings.push(im.lambda[i] * sd);
            intercepts.push(theta[l.nu[g * p + i]] * sd);
            residuals.push(im.psi[i] * sd * sd);
        }
    }
    let q = l.q as f64;
    MgFit {
        step,
        freed: freed.clone(),
        n: problem.total,
        group_n: problem.groups.iter().map(|g| g.n).collect(),
        chi: x,
        srmr,
        loglik,
        aic: -2.0 * loglik + 2.0 * q,
        bic: -2.0 * loglik + q * (problem.total as f64).ln(),
        loadings,
        intercepts,
        residuals,
        iterations: minimum.iterations,
    }
}

/// Bentler's SRMR of one group with the mean structure, as lavaan's `srmr`: residuals of
/// covariances and means divided by the observed SDs.
fn group_srmr(s: &Moments, im: &Implied, p: usize) -> f64 {
    let mut ss = 0.0;
    for i in 0..p {
        for j in 0..=i {
            let r = (s.cov[i * p + j] - im.sigma[i * p + j])
                / (s.cov[i * p + i] * s.cov[j * p + j]).sqrt();
            ss += r * r;
        }
        let r = (s.mean[i] - im.mu[i]) / s.cov[i * p + i].sqrt();
        ss += r * r;
    }
    (ss / (p * (p + 1) / 2 + p) as f64).sqrt()
}

/// When a more constrained model is still acceptable: its CFI may drop by at most
/// `max_cfi_drop` (Cheung & Rensvold 2002: 0.01) and, when given, its RMSEA rise by at most
/// `max_rmsea_rise` (Chen 2007: 0.015; note lavaan's multi-group RMSEA carries a factor √G,
/// so the rise grows with the number of groups).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Criteria {
    pub max_cfi_drop: f64,
    pub max_rmsea_rise: Option<f64>,
    /// The configural model must fit at least this well (CFI) for the structure to be the
    /// same in every group at all; 0.90 is the usual "acceptable".
    pub min_configural_cfi: f64,
}

impl Criteria {
    pub fn accepts(&self, constrained: &MgFit, free: &MgFit) -> bool {
        let d_cfi = constrained.chi.cfi - free.chi.cfi;
        let d_rmsea = constrained.chi.rmsea.unwrap_or(0.0) - free.chi.rmsea.unwrap_or(0.0);
        d_cfi >= -self.max_cfi_drop - 1e-12
            && self.max_rmsea_rise.is_none_or(|max| d_rmsea <= max + 1e-12)
    }
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every item's parameter equal across groups.
    Holds,
    /// Holds once the items in `freed_here` keep their own parameter per group.
    Partial,
    /// Not acceptable even with as many items freed as identification allows.
    Fails,
    /// Not fitted, because an earlier step failed.
    NotTested,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Holds => "holds",
            Outcome::Partial => "partial",
            Outcome::Fails => "fails",
            Outcome::NotTested => "not tested",
        }
    }
}

/// One step of the sequence: the model reported for it (the accepted partial model, or the
/// fully constrained one when the step fails), the model it is compared with, and the
/// items freed at this step in the order the search freed them.
#[derive(Debug, Clone, PartialEq)]
pub struct StepResult {
    pub step: Step,
    pub outcome: Outcome,
    pub fit: Option<MgFit>,
    pub previous: Option<MgFit>,
    pub freed_here: Vec<usize>,
    /// The last model of the partial-invariance search (with `freed_here` free), where one
    /// ran: the accepted one of a partial step, the most freed one of a failing step.
    pub search: Option<MgFit>,
    /// A partial step's fully constrained model, which was not accepted.
    pub constrained: Option<MgFit>,
}

/// Items of `kind` that may still be freed: each factor keeps at least two items
/// constrained (Byrne, Shavelson & Muthén 1989), so the factors stay on a common scale.
fn candidates(factor: &[usize], freed: &Freed, kind: Kind) -> Vec<usize> {
    let done = freed.of(kind);
    (0..factor.len())
        .filter(|i| !done.contains(i))
        .filter(|&i| {
            let constrained = (0..factor.len())
                .filter(|j| factor[*j] == factor[i] && !done.contains(j))
                .count();
            constrained > 2
        })
        .collect()
}

/// The whole sequence configural → metric → scalar → strict, each step compared with the
/// last accepted one; a failing step is searched for partial invariance by freeing, one
/// at a time, the item whose freeing lowers χ² most, until the step is accepted.
pub fn invariance_steps(
    groups: &[Moments],
    factor: &[usize],
    m: usize,
    criteria: Criteria,
    label: &str,
) -> Result<Vec<StepResult>, ReliabilityError> {
    let configural = fit_model(
        groups,
        factor,
        m,
        Step::Configural,
        &Freed::default(),
        label,
    )?;
    let configural_holds = configural.chi.cfi >= criteria.min_configural_cfi - 1e-12;
    let mut out = vec![StepResult {
        step: Step::Configural,
        outcome: if configural_holds {
            Outcome::Holds
        } else {
            Outcome::Fails
        },
        fit: Some(configural.clone()),
        previous: None,
        freed_here: Vec::new(),
        search: None,
        constrained: None,
    }];
    let mut accepted = configural;
    let mut failed = !configural_holds;
    for step in [Step::Metric, Step::Scalar, Step::Strict] {
        if failed {
            out.push(StepResult {
                step,
                outcome: Outcome::NotTested,
                fit: None,
                previous: None,
                freed_here: Vec::new(),
                search: None,
                constrained: None,
            });
            continue;
        }
        let Some(kind) = step.equates() else { continue };
        let Ok(full) = fit_model(groups, factor, m, step, &accepted.freed, label) else {
            // No converged model: the step cannot be accepted (the caller says why).
            out.push(StepResult {
                step,
                outcome: Outcome::Fails,
                fit: None,
                previous: Some(accepted.clone()),
                freed_here: Vec::new(),
                search: None,
                constrained: None,
            });
            failed = true;
            continue;
        };
        if criteria.accepts(&full, &accepted) {
            out.push(StepResult {
                step,
                outcome: Outcome::Holds,
                fit: Some(full.clone()),
                previous: Some(accepted),
                freed_here: Vec::new(),
                search: None,
                constrained: None,
            });
            accepted = full;
            continue;
        }
        let mut current = full.clone();
        let mut freed_here = Vec::new();
        let mut found = None;
        loop {
            let mut best: Option<MgFit> = None;
            for i in candidates(factor, &current.freed, kind) {
                // A candidate model that does not converge is no candidate.
                let Ok(fit) =
                    fit_model(groups, factor, m, step, &current.freed.with(kind, i), label)
                else {
                    continue;
                };
                if best.as_ref().is_none_or(|b| fit.chi.chisq < b.chi.chisq) {
                    best = Some(fit);
                }
            }
            let Some(best) = best else { break };
            // Invariant: the best model froze one more item of `kind` than `current`.
            if let Some(&item) = best.freed.of(kind).last() {
                freed_here.push(item);
            }
            current = best;
            if criteria.accepts(&current, &accepted) {
                found = Some(current.clone());
                break;
            }
        }
        match found {
            Some(partial) => {
                out.push(StepResult {
                    step,
                    outcome: Outcome::Partial,
                    fit: Some(partial.clone()),
                    previous: Some(accepted),
                    freed_here,
                    search: Some(partial.clone()),
                    constrained: Some(full),
                });
                accepted = partial;
            }
            None => {
                out.push(StepResult {
                    step,
                    outcome: Outcome::Fails,
                    search: (current != full).then(|| current.clone()),
                    constrained: None,
                    fit: Some(full),
                    previous: Some(accepted.clone()),
                    freed_here,
                });
                failed = true;
            }
        }
    }
    Ok(out)
}
