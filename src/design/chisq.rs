//! Rao–Scott tests of independence for a two-way table under a design (R `svychisq`).
//!
//! Pearson's X² of the weighted table (scaled to the n complete rows) is corrected by the
//! design effects of the table's interaction contrasts: with cell shares `p` (r × c, rows
//! varying fastest), their linearised covariance `V`, `C` the interaction columns of the
//! saturated model made orthogonal to the main effects, `D = diag(p)`,
//! `Δ = (Cᵀ D⁻¹ C / n)⁻¹ (Cᵀ D⁻¹ V D⁻¹ C)`:
//! * second order (`statistic = "F"`): `F = X² / tr Δ` on `d₀ = (tr Δ)² / tr Δ²` and
//!   `d₀ · ν` degrees of freedom, ν the design's (clusters − strata);
//! * first order: `X² · (r−1)(c−1) / tr Δ` against χ² on `(r−1)(c−1)`.
//!
//! References: Rao & Scott (1984) "On chi-squared tests for multiway contingency tables
//! with cell proportions estimated from survey data", *Annals of Statistics* 12:46–60;
//! Lumley (2010) *Complex Surveys* §6.2; R `survey::svychisq` (4.1).

use crate::reliability::linalg::spd_inverse;
use statrs::distribution::{ChiSquared, ContinuousCDF, FisherSnedecor};

/// The test of one table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RaoScott {
    /// Pearson's X² of the weighted table scaled to `n`.
    pub pearson: f64,
    pub f: f64,
    pub ndf: f64,
    pub ddf: f64,
    pub p_f: f64,
    pub chisq: f64,
    pub df: f64,
    pub p_chisq: f64,
}

/// The Rao–Scott tests of an `rows × cols` table of cell shares `p` (rows varying fastest,
/// summing to 1) with covariance `v` (row-major), from `n` rows and a design with `nu`
/// degrees of freedom. `None` when the table has fewer than two non-empty rows or columns
/// (nothing to test) or its contrasts are degenerate.
pub fn rao_scott(
    p: &[f64],
    v: &[f64],
    (rows, cols): (usize, usize),
    n: f64,
    nu: f64,
) -> Option<RaoScott> {
    let cells = rows * cols;
    let pearson = pearson(p, rows, cols, n);
    let c = interaction_contrasts(rows, cols)?;
    let m = (rows - 1) * (cols - 1);
    let inverse_p: Vec<f64> = p
        .iter()
        .map(|&x| if x > 0.0 { 1.0 / x } else { 0.0 })
        .collect();
    // D⁻¹ C, cells × m.
    let dc: Vec<f64> = (0..cells * m).map(|i| inverse_p[i / m] * c[i]).collect();
    let denominator: Vec<f64> = cross(&c, &dc, cells, m).iter().map(|x| x / n).collect();
    // Cᵀ D⁻¹ V D⁻¹ C = (D⁻¹C)ᵀ V (D⁻¹C).
    let v_dc = multiply(v, &dc, cells, cells, m);
    let numerator = cross(&dc, &v_dc, cells, m);
    let (inverse, _) = spd_inverse(&denominator, m)?;
    let delta = multiply(&inverse, &numerator, m, m, m);
    let trace: f64 = (0..m).map(|i| delta[i * m + i]).sum();
    let trace_squared: f64 = (0..m)
        .flat_map(|i| (0..m).map(move |j| (i, j)))
        .map(|(i, j)| delta[i * m + j] * delta[j * m + i])
        .sum();
    if !(trace > 0.0 && trace_squared > 0.0) {
        return None;
    }
    let ndf = trace * trace / trace_squared;
    let f = pearson / trace;
    let df = m as f64;
    let chisq = pearson * df / trace;
    Some(RaoScott {
        pearson,
        f,
        ndf,
        ddf: ndf * nu,
        p_f: FisherSnedecor::new(ndf, ndf * nu).ok()?.sf(f),
        chisq,
        df,
        p_chisq: ChiSquared::new(df).ok()?.sf(chisq),
    })
}

/// Pearson's X² of the table `n · p` against independence.
fn pearson(p: &[f64], rows: usize, cols: usize, n: f64) -> f64 {
    let row_share: Vec<f64> = (0..rows)
        .map(|r| (0..cols).map(|c| p[r + rows * c]).sum())
        .collect();
    let col_share: Vec<f64> = (0..cols)
        .map(|c| (0..rows).map(|r| p[r + rows * c]).sum())
        .collect();
    let mut x2 = 0.0;
    for c in 0..cols {
        for r in 0..rows {
            let expected = n * row_share[r] * col_share[c];
            if expected > 0.0 {
                x2 += (n * p[r + rows * c] - expected).powi(2) / expected;
            }
        }
    }
    x2
}

/// The saturated model's interaction columns (row level ≥ 2 × column level ≥ 2) minus their
/// least-squares projection on the main effects (intercept, row and column dummies): R's
/// `qr.resid(qr(X1), X12[, interactions])`. Row-major cells × (r−1)(c−1).
fn interaction_contrasts(rows: usize, cols: usize) -> Option<Vec<f64>> {
    if rows < 2 || cols < 2 {
        return None;
    }
    let cells = rows * cols;
    let mains = rows + cols - 1;
    let m = (rows - 1) * (cols - 1);
    let mut x1 = vec![0.0; cells * mains];
    let mut x12 = vec![0.0; cells * m];
    for col in 0..cols {
        for row in 0..rows {
            let cell = row + rows * col;
            x1[cell * mains] = 1.0;
            if row > 0 {
                x1[cell * mains + row] = 1.0;
            }
            if col > 0 {
                x1[cell * mains + rows - 1 + col] = 1.0;
            }
            if row > 0 && col > 0 {
                x12[cell * m + (row - 1) + (rows - 1) * (col - 1)] = 1.0;
            }
        }
    }
    // X12 − X1 (X1ᵀX1)⁻¹ X1ᵀ X12.
    let (gram_inverse, _) = spd_inverse(&cross(&x1, &x1, cells, mains), mains)?;
    let x1t_x12 = transpose_times(&x1, &x12, cells, mains, m);
    let coefficients = multiply(&gram_inverse, &x1t_x12, mains, mains, m);
    let fitted = multiply(&x1, &coefficients, cells, mains, m);
    Some(x12.iter().zip(&fitted).map(|(a, b)| a - b).collect())
}

/// `A B` for row-major `A` (rows × inner) and `B` (inner × cols).
fn multiply(a: &[f64], b: &[f64], rows: usize, inner: usize, cols: usize) -> Vec<f64> {
    let mut out = vec![0.0; rows * cols];
    for i in 0..rows {
        for k in 0..inner {
            let x = a[i * inner + k];
            if x != 0.0 {
                for j in 0..cols {
                    out[i * cols + j] += x * b[k * cols + j];
                }
            }
        }
    }
    out
}

/// `Aᵀ B` for row-major `A` (rows × a_cols) and `B` (rows × b_cols).
fn transpose_times(a: &[f64], b: &[f64], rows: usize, a_cols: usize, b_cols: usize) -> Vec<f64> {
    let mut out = vec![0.0; a_cols * b_cols];
    for r in 0..rows {
        for i in 0..a_cols {
            let x = a[r * a_cols + i];
            if x != 0.0 {
                for j in 0..b_cols {
                    out[i * b_cols + j] += x * b[r * b_cols + j];
                }
            }
        }
    }
    out
}

/// `Aᵀ B` for two matrices of the same shape (rows × cols): a cols × cols cross-product.
fn cross(a: &[f64], b: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    transpose_times(a, b, rows, cols, cols)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Under simple random sampling with replacement (V = (D − ppᵀ)/n) every design effect
    /// is 1: Δ = I, so the first-order statistic is X² itself and F = X² / (r−1)(c−1) on
    /// (r−1)(c−1) numerator degrees of freedom.
    #[test]
    fn simple_random_sampling_leaves_pearson_unchanged() {
        let p = [0.1, 0.2, 0.15, 0.05, 0.3, 0.2];
        let n = 200.0;
        let cells = p.len();
        let v: Vec<f64> = (0..cells * cells)
            .map(|i| {
                let (a, b) = (i / cells, i % cells);
                ((if a == b { p[a] } else { 0.0 }) - p[a] * p[b]) / n
            })
            .collect();
        let t = rao_scott(&p, &v, (2, 3), n, 199.0).unwrap();
        assert!((t.chisq - t.pearson).abs() < 1e-9 * t.pearson);
        assert!((t.ndf - 2.0).abs() < 1e-9);
        assert!((t.f - t.pearson / 2.0).abs() < 1e-9 * t.pearson);
    }
}
