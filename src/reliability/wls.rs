//! Confirmatory factor analysis of ordinal items as R lavaan's default for ordered data
//! (`cfa(model, data, ordered = TRUE, std.lv = TRUE)`, estimator WLSMV):
//!
//! 1. thresholds of each item from its answers, polychoric correlations of every pair (the
//!    two-step estimate of [`super::polychoric`]);
//! 2. their asymptotic covariance Γ from each respondent's scores (Muthén 1984, as lavaan's
//!    `muthen1984`): B = Σ s sᵀ over the scores of the thresholds (univariate likelihoods)
//!    and of the correlations (bivariate likelihoods); A the derivatives of the estimating
//!    equations, Γ = N · A⁻¹ B A⁻ᵀ;
//! 3. diagonally weighted least squares: F = Σ w (s − σ(θ))², w = 1/diag Γ, over the
//!    thresholds (free, so they fit exactly) and the correlations σ_ij = λ_i λ_j φ_{f(i) f(j)}
//!    (delta parametrisation: the latent responses have variance 1, so the loadings are
//!    standardised); χ² = (N − 1) · F, as lavaan counts for least squares;
//! 4. the mean-and-variance adjusted ("scaled and shifted") test: with Δ = ∂σ/∂θ and
//!    U = W − WΔ(ΔᵀWΔ)⁻¹ΔᵀW, a = √(df / tr((UΓ)²)), b = df − √(df · tr(UΓ)² / tr((UΓ)²)),
//!    T = a χ² + b (Asparouhov & Muthén 2010); the baseline (independence) model likewise;
//!    CFI, TLI and RMSEA from the adjusted statistics (lavaan's `cfi.scaled`, …).

use super::fit::{chisq_fit, ChisqFit};
use super::linalg::spd_inverse;
use super::linalg::{mat_mul, mat_mul_t};
use super::optimise::bfgs;
use super::polychoric::{bivariate_normal_cdf, cut, polychoric_pair, thresholds};
use crate::error::ReliabilityError;
use statrs::distribution::{Continuous, ContinuousCDF, Normal};

/// The fit of an ordinal CFA.
#[derive(Debug, Clone, PartialEq)]
pub struct OrdinalCfa {
    pub n: u64,
    /// Standardised loadings (the model's own, in the delta parametrisation).
    pub loadings: Vec<f64>,
    pub uniqueness: Vec<f64>,
    /// Factor correlations, row-major m × m.
    pub factor_correlations: Vec<f64>,
    /// The polychoric correlation matrix the model was fitted to.
    pub polychoric: Vec<f64>,
    /// The DWLS χ² (lavaan's `chisq`) and the measures that follow from it.
    pub standard: ChisqFit,
    /// The scaled and shifted χ² and its measures (lavaan's `chisq.scaled`, `cfi.scaled`, …).
    pub scaled: ChisqFit,
    pub scaling_factor: f64,
    pub shift: f64,
    pub srmr: f64,
    pub notes: Vec<String>,
}

fn normal() -> Normal {
    Normal::standard()
}

/// The bivariate normal density at (x, y), 0 at an infinite limit.
fn bivariate_density(x: f64, y: f64, r: f64) -> f64 {
    if !x.is_finite() || !y.is_finite() {
        return 0.0;
    }
    let s = 1.0 - r * r;
    (-(x * x - 2.0 * r * x * y + y * y) / (2.0 * s)).exp() / (2.0 * std::f64::consts::PI * s.sqrt())
}

/// ∂Φ₂(x, y; r)/∂x = φ(x) Φ((y − r x)/√(1 − r²)); 0 at an infinite x.
fn d_bivariate_dx(x: f64, y: f64, r: f64) -> f64 {
    if !x.is_finite() {
        return 0.0;
    }
    let n = normal();
    let inner = if y == f64::INFINITY {
        1.0
    } else if y == f64::NEG_INFINITY {
        0.0
    } else {
        n.cdf((y - r * x) / (1.0 - r * r).sqrt())
    };
    n.pdf(x) * inner
}

/// Per cell (a, b) of a pair's table: the cell's mass π and the scores of one answer in it,
/// ∂ln π/∂ρ and ∂ln π/∂τ for the thresholds of both items.
struct PairCells {
    rho_score: Vec<f64>,
    /// `cell * n_a + k`: ∂ln π/∂τ_a[k].
    th_a: Vec<f64>,
    th_b: Vec<f64>,
}

fn pair_cells(ta: &[f64], tb: &[f64], r: f64) -> PairCells {
    let (ka, kb) = (ta.len() + 1, tb.len() + 1);
    let (na, nb) = (ta.len(), tb.len());
    let mut rho_score = vec![0.0; ka * kb];
    let mut th_a = vec![0.0; ka * kb * na];
    let mut th_b = vec![0.0; ka * kb * nb];
    for a in 0..ka {
        for b in 0..kb {
            let (x1, x0) = (cut(ta, a + 1), cut(ta, a));
            let (y1, y0) = (cut(tb, b + 1), cut(tb, b));
            let mass = bivariate_normal_cdf(x1, y1, r)
                - bivariate_normal_cdf(x0, y1, r)
                - bivariate_normal_cdf(x1, y0, r)
                + bivariate_normal_cdf(x0, y0, r);
            if mass <= 0.0 {
                continue;
            }
            let cell = a * kb + b;
            let d_rho = bivariate_density(x1, y1, r)
                - bivariate_density(x0, y1, r)
                - bivariate_density(x1, y0, r)
                + bivariate_density(x0, y0, r);
            rho_score[cell] = d_rho / mass;
            edge_scores(
                &mut th_a[cell * na..(cell + 1) * na],
                a,
                (x0, x1),
                (y0, y1),
                r,
                mass,
            );
            edge_scores(
                &mut th_b[cell * nb..(cell + 1) * nb],
                b,
                (y0, y1),
                (x0, x1),
                r,
                mass,
            );
        }
    }
    PairCells {
        rho_score,
        th_a,
        th_b,
    }
}

/// ∂ln π/∂τ of a cell along one item: the cell's upper cut `x1` is the item's threshold
/// `k` (when `k` is not the top category), its lower cut `x0` threshold `k − 1`; `y` are
/// the other item's cuts of the cell.
fn edge_scores(
    scores: &mut [f64],
    k: usize,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
    r: f64,
    mass: f64,
) {
    if k < scores.len() {
        scores[k] = (d_bivariate_dx(x1, y1, r) - d_bivariate_dx(x1, y0, r)) / mass;
    }
    if k > 0 {
        scores[k - 1] = -(d_bivariate_dx(x0, y1, r) - d_bivariate_dx(x0, y0, r)) / mass;
    }
}

/// ∂ln P(category c)/∂τ for one answer in category `c` of an item with thresholds `t`.
fn threshold_scores(t: &[f64], c: usize) -> Vec<f64> {
    let n = normal();
    let mass = n.cdf(cut(t, c + 1)) - n.cdf(cut(t, c));
    let mut s = vec![0.0; t.len()];
    if c < t.len() {
        s[c] = n.pdf(t[c]) / mass;
    }
    if c > 0 {
        s[c - 1] = -n.pdf(t[c - 1]) / mass;
    }
    s
}

/// The sample statistics: thresholds (item by item), then the correlations in lavaan's
/// order: below the diagonal, column by column ((1, 0), (2, 0), …, (2, 1), …).
struct Statistics {
    thresholds: Vec<Vec<f64>>,
    /// Offsets of each item's thresholds in the statistics vector.
    th_start: Vec<usize>,
    n_th: usize,
    /// (first item, second item) of each correlation, in order.
    pairs: Vec<(usize, usize)>,
    rho: Vec<f64>,
}

impl Statistics {
    fn len(&self) -> usize {
        self.n_th + self.pairs.len()
    }
}

/// Each item's answers as categories 0..K (only categories someone used, in order).
fn compress(codes: &[Vec<i16>]) -> Vec<Vec<usize>> {
    codes
        .iter()
        .map(|col| {
            let mut levels: Vec<i16> = col.clone();
            levels.sort_unstable();
            levels.dedup();
            col.iter()
                .map(|c| levels.binary_search(c).unwrap_or(0))
                .collect()
        })
        .collect()
}

fn statistics(
    cats: &[Vec<usize>],
    scale: &str,
    names: &[&str],
) -> Result<Statistics, ReliabilityError> {
    let p = cats.len();
    let levels: Vec<usize> = cats
        .iter()
        .map(|c| c.iter().max().map_or(0, |m| m + 1))
        .collect();
    for (j, &k) in levels.iter().enumerate() {
        if k < 2 {
            return Err(ReliabilityError::ZeroVariance {
                scale: scale.into(),
                item: names[j].into(),
            });
        }
    }
    let thresholds: Vec<Vec<f64>> = cats
        .iter()
        .zip(&levels)
        .map(|(c, &k)| {
            let mut counts = vec![0.0; k];
            for &x in c {
                counts[x] += 1.0;
            }
            thresholds(&counts)
        })
        .collect();
    let mut th_start = Vec::with_capacity(p);
    let mut n_th = 0;
    for t in &thresholds {
        th_start.push(n_th);
        n_th += t.len();
    }
    let pairs: Vec<(usize, usize)> = (0..p)
        .flat_map(|j| (j + 1..p).map(move |i| (i, j)))
        .collect();
    let rho = pairs
        .iter()
        .map(|&(i, j)| {
            let (ki, kj) = (levels[i], levels[j]);
            let mut table = vec![0.0; ki * kj];
            for (&a, &b) in cats[i].iter().zip(&cats[j]) {
                table[a * kj + b] += 1.0;
            }
            polychoric_pair(&table, &thresholds[i], &thresholds[j]).unwrap_or(f64::NAN)
        })
        .collect();
    Ok(Statistics {
        thresholds,
        th_start,
        n_th,
        pairs,
        rho,
    })
}

/// Γ, the asymptotic covariance of √N times the statistics (lavaan's `gamma`), by
/// Muthén's (1984) sandwich over the respondents' scores.
fn asymptotic_covariance(cats: &[Vec<usize>], st: &Statistics) -> Option<Vec<f64>> {
    let pt = st.len();
    let n = cats[0].len();
    // Each respondent's categories, item by item.
    let by_row: Vec<Vec<usize>> = (0..n)
        .map(|r| cats.iter().map(|c| c[r]).collect())
        .collect();
    let cells: Vec<PairCells> = st
        .pairs
        .iter()
        .zip(&st.rho)
        .map(|(&(i, j), &r)| pair_cells(&st.thresholds[i], &st.thresholds[j], r))
        .collect();
    // B = Σ s sᵀ, and A21 = Σ (ρ score)(bivariate threshold scores).
    let mut inner = vec![0.0; pt * pt];
    let mut a21 = vec![0.0; st.pairs.len() * st.n_th];
    let mut s = vec![0.0; pt];
    for answers in &by_row {
        s.iter_mut().for_each(|v| *v = 0.0);
        for (j, t) in st.thresholds.iter().enumerate() {
            let sc = threshold_scores(t, answers[j]);
            s[st.th_start[j]..st.th_start[j] + t.len()].copy_from_slice(&sc);
        }
        for (q, (&(i, j), pc)) in st.pairs.iter().zip(&cells).enumerate() {
            let kj = st.thresholds[j].len() + 1;
            let cell = answers[i] * kj + answers[j];
            let sr = pc.rho_score[cell];
            s[st.n_th + q] = sr;
            let (ni, nj) = (st.thresholds[i].len(), st.thresholds[j].len());
            for k in 0..ni {
                a21[q * st.n_th + st.th_start[i] + k] += sr * pc.th_a[cell * ni + k];
            }
            for k in 0..nj {
                a21[q * st.n_th + st.th_start[j] + k] += sr * pc.th_b[cell * nj + k];
            }
        }
        for a in 0..pt {
            if s[a] == 0.0 {
                continue;
            }
            for b in 0..pt {
                inner[a * pt + b] += s[a] * s[b];
            }
        }
    }
    // B⁻¹ = [[A11⁻¹, 0], [−A22⁻¹ A21 A11⁻¹, A22⁻¹]], A11 the items' threshold blocks of
    // the cross-products, A22 the correlations' diagonal.
    let mut binv = vec![0.0; pt * pt];
    for (j, t) in st.thresholds.iter().enumerate() {
        let (o, k) = (st.th_start[j], t.len());
        let block: Vec<f64> = (0..k * k)
            .map(|ab| inner[(o + ab / k) * pt + o + ab % k])
            .collect();
        let (inv, _) = spd_inverse(&block, k)?;
        for a in 0..k {
            for b in 0..k {
                binv[(o + a) * pt + o + b] = inv[a * k + b];
            }
        }
    }
    for q in 0..st.pairs.len() {
        let r = st.n_th + q;
        // A correlation whose scores are all zero has no weight: the weight matrix fails.
        if inner[r * pt + r] <= 0.0 {
            return None;
        }
        let a22 = 1.0 / inner[r * pt + r];
        binv[r * pt + r] = a22;
        // −A22⁻¹ A21 A11⁻¹ (A11⁻¹ is block diagonal, stored in binv).
        for c in 0..st.n_th {
            let v: f64 = (0..st.n_th)
                .map(|k| a21[q * st.n_th + k] * binv[k * pt + c])
                .sum();
            binv[r * pt + c] = -a22 * v;
        }
    }
    let bi = mat_mul(&binv, &inner, pt);
    let mut gamma = mat_mul_t(&bi, &binv, pt);
    gamma.iter_mut().for_each(|v| *v *= n as f64);
    Some(gamma)
}

/// The correlation structure σ_ij = λ_i λ_j φ_{f(i) f(j)} with θ = [λ (p), φ (lower
/// triangle of the m factors)].
struct Structure<'a> {
    factor: &'a [usize],
    m: usize,
    pairs: &'a [(usize, usize)],
}

impl Structure<'_> {
    fn p(&self) -> usize {
        self.factor.len()
    }

    fn n_params(&self) -> usize {
        self.p() + self.m * (self.m - 1) / 2
    }

    fn phi(&self, theta: &[f64]) -> Vec<f64> {
        let (p, m) = (self.p(), self.m);
        let mut phi = super::linalg::identity(m);
        let mut idx = p;
        for a in 0..m {
            for b in 0..a {
                (phi[a * m + b], phi[b * m + a]) = (theta[idx], theta[idx]);
                idx += 1;
            }
        }
        phi
    }

    /// The index of φ_ab (a ≠ b) in θ.
    fn phi_index(&self, a: usize, b: usize) -> usize {
        let (a, b) = if a > b { (a, b) } else { (b, a) };
        self.p() + a * (a - 1) / 2 + b
    }

    fn implied(&self, theta: &[f64]) -> Vec<f64> {
        let phi = self.phi(theta);
        self.pairs
            .iter()
            .map(|&(i, j)| theta[i] * theta[j] * phi[self.factor[i] * self.m + self.factor[j]])
            .collect()
    }

    /// ∂σ/∂θ, one row per correlation.
    fn jacobian(&self, theta: &[f64]) -> Vec<Vec<f64>> {
        let phi = self.phi(theta);
        let q = self.n_params();
        self.pairs
            .iter()
            .map(|&(i, j)| {
                let (fi, fj) = (self.factor[i], self.factor[j]);
                let mut row = vec![0.0; q];
                let f = phi[fi * self.m + fj];
                row[i] += theta[j] * f;
                row[j] += theta[i] * f;
                if fi != fj {
                    row[self.phi_index(fi, fj)] = theta[i] * theta[j];
                }
                row
            })
            .collect()
    }
}

/// tr(UΓ) and tr((UΓ)²) with U = W − WΔ(ΔᵀWΔ)⁻¹ΔᵀW for diagonal W.
fn u_gamma_traces(w: &[f64], delta: &[Vec<f64>], gamma: &[f64]) -> Option<(f64, f64)> {
    let pt = w.len();
    let q = delta[0].len();
    let mut dwd = vec![0.0; q * q];
    for (k, row) in delta.iter().enumerate() {
        for a in 0..q {
            for b in 0..q {
                dwd[a * q + b] += row[a] * w[k] * row[b];
            }
        }
    }
    let (inv, _) = spd_inverse(&dwd, q)?;
    // WΔ (pt × q), then U = W − WΔ inv (WΔ)ᵀ.
    let wd: Vec<f64> = (0..pt * q)
        .map(|kq| w[kq / q] * delta[kq / q][kq % q])
        .collect();
    let mut wdi = vec![0.0; pt * q];
    for k in 0..pt {
        for b in 0..q {
            wdi[k * q + b] = (0..q).map(|a| wd[k * q + a] * inv[a * q + b]).sum();
        }
    }
    let mut u = vec![0.0; pt * pt];
    for k in 0..pt {
        for l in 0..pt {
            let v: f64 = (0..q).map(|b| wdi[k * q + b] * wd[l * q + b]).sum();
            u[k * pt + l] = if k == l { w[k] } else { 0.0 } - v;
        }
    }
    let ug = mat_mul(&u, gamma, pt);
    let trace: f64 = (0..pt).map(|k| ug[k * pt + k]).sum();
    let trace2: f64 = (0..pt)
        .map(|k| {
            (0..pt)
                .map(|l| ug[k * pt + l] * ug[l * pt + k])
                .sum::<f64>()
        })
        .sum();
    Some((trace, trace2))
}

/// The scaled and shifted statistic a·T + b, with a and b from the traces.
fn scaled_shifted(t: f64, df: f64, trace: f64, trace2: f64) -> (f64, f64, f64) {
    let a = (df / trace2).sqrt();
    let b = df - (df * trace * trace / trace2).sqrt();
    (a * t + b, 1.0 / a, b)
}

/// Fits the model to the answers of the complete respondents: `codes[j]` holds item j's
/// answer codes (any integers in order); `factor[i]` is item i's dimension (0..m).
pub fn fit_wlsmv(
    codes: &[Vec<i16>],
    factor: &[usize],
    names: &[&str],
    dims: &[&str],
) -> Result<OrdinalCfa, ReliabilityError> {
    let scale = "dimension structure (ordinal)".to_string();
    let (p, m) = (factor.len(), dims.len());
    let n = codes.first().map_or(0, Vec::len);
    // The thresholds are free and fit exactly: the parameters that count are the loadings
    // and the factor correlations, as for the ML check's correlation structure.
    super::cfa::check_structure(factor, dims, n as u64, p + m * (m - 1) / 2)?;
    let cats = compress(codes);
    let st = statistics(&cats, &scale, names)?;
    if let Some(q) = st.rho.iter().position(|r| !r.is_finite()) {
        let (i, j) = st.pairs[q];
        return Err(ReliabilityError::Undefined {
            scale,
            message: format!(
                "items `{}` and `{}` have no polychoric correlation",
                names[i], names[j]
            ),
        });
    }
    let gamma = asymptotic_covariance(&cats, &st).ok_or_else(|| ReliabilityError::Undefined {
        scale: scale.clone(),
        message: "an item's answer categories are too sparse for the weight matrix (merge rare categories or use more respondents)".into(),
    })?;
    let pt = st.len();
    let w: Vec<f64> = (0..pt).map(|k| 1.0 / gamma[k * pt + k]).collect();
    let structure = Structure {
        factor,
        m,
        pairs: &st.pairs,
    };
    let q = structure.n_params();
    let w_rho = &w[st.n_th..];
    let objective = |theta: &[f64]| {
        let sigma = structure.implied(theta);
        let jac = structure.jacobian(theta);
        let mut f = 0.0;
        let mut grad = vec![0.0; q];
        for (k, (&r, s)) in st.rho.iter().zip(&sigma).enumerate() {
            let e = r - s;
            f += w_rho[k] * e * e;
            for (g, d) in grad.iter_mut().zip(&jac[k]) {
                *g -= 2.0 * w_rho[k] * e * d;
            }
        }
        Some((f, grad))
    };
    let mut start = vec![0.7; p];
    start.extend(std::iter::repeat_n(0.3, m * (m - 1) / 2));
    let minimum = bfgs(objective, start, 5000)
        .filter(|m| m.converged)
        .ok_or_else(|| ReliabilityError::Undefined {
            scale: scale.clone(),
            message: "the ordinal factor model did not converge".into(),
        })?;
    let theta = minimum.theta;
    // lavaan's least-squares tests count N − 1 (as its RMSEA does).
    let nf = n as f64 - 1.0;
    let df = st.pairs.len() - q;
    // Δ over all statistics: the thresholds are their own (free) parameters.
    let q_all = st.n_th + q;
    let mut delta: Vec<Vec<f64>> = (0..st.n_th)
        .map(|k| {
            let mut row = vec![0.0; q_all];
            row[k] = 1.0;
            row
        })
        .collect();
    for row in structure.jacobian(&theta) {
        let mut full = vec![0.0; st.n_th];
        full.extend(row);
        delta.push(full);
    }
    let invalid = || ReliabilityError::Undefined {
        scale: scale.clone(),
        message: "the weight matrix of the ordinal model is singular".into(),
    };
    let (trace, trace2) = u_gamma_traces(&w, &delta, &gamma).ok_or_else(invalid)?;
    let chisq = nf * minimum.value;
    let (scaled_chisq, scaling_factor, shift) = scaled_shifted(chisq, df as f64, trace, trace2);
    // Baseline: correlations 0, thresholds free; its U keeps only the correlations' weights.
    let df0 = st.pairs.len();
    let chisq0 = nf
        * st.rho
            .iter()
            .zip(w_rho)
            .map(|(r, w)| w * r * r)
            .sum::<f64>();
    let trace0: f64 = (0..df0)
        .map(|k| w_rho[k] * gamma[(st.n_th + k) * pt + st.n_th + k])
        .sum();
    let trace0_2: f64 = (0..df0)
        .flat_map(|k| (0..df0).map(move |l| (k, l)))
        .map(|(k, l)| {
            let g = gamma[(st.n_th + k) * pt + st.n_th + l];
            w_rho[k] * w_rho[l] * g * g
        })
        .sum();
    let (scaled0, _, _) = scaled_shifted(chisq0, df0 as f64, trace0, trace0_2);
    let standard = chisq_fit(chisq, df, chisq0, df0, n as u64 - 1, 1);
    let scaled = chisq_fit(scaled_chisq, df, scaled0, df0, n as u64 - 1, 1);
    let sigma = structure.implied(&theta);
    let ss: f64 = st
        .rho
        .iter()
        .zip(&sigma)
        .map(|(r, s)| (r - s) * (r - s))
        .sum();
    let srmr = (ss / (p * (p + 1) / 2) as f64).sqrt();
    let loadings: Vec<f64> = theta[..p].to_vec();
    let mut notes = Vec::new();
    for (i, l) in loadings.iter().enumerate() {
        if l.abs() >= 1.0 {
            notes.push(format!(
                "item `{}`: loading of 1 or more (a Heywood case)",
                names[i]
            ));
        }
    }
    let mut polychoric = super::linalg::identity(p);
    for (&(i, j), &r) in st.pairs.iter().zip(&st.rho) {
        (polychoric[i * p + j], polychoric[j * p + i]) = (r, r);
    }
    Ok(OrdinalCfa {
        n: n as u64,
        uniqueness: loadings.iter().map(|l| 1.0 - l * l).collect(),
        loadings,
        factor_correlations: structure.phi(&theta),
        polychoric,
        standard,
        scaled,
        scaling_factor,
        shift,
        srmr,
        notes,
    })
}
