//! The small dense linear algebra reliability needs (k ≤ a few hundred items): a cyclic
//! Jacobi eigen-decomposition of a symmetric matrix, and what follows from it (inverse,
//! square root). Matrices are row-major `Vec<f64>` of `n × n`.

/// Eigen-decomposition of a symmetric matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Eigen {
    pub n: usize,
    /// Eigenvalues, largest first.
    pub values: Vec<f64>,
    /// Eigenvectors as columns: `vectors[i * n + j]` is component `i` of vector `j`.
    pub vectors: Vec<f64>,
}

/// Cyclic Jacobi rotations until the off-diagonal mass is negligible (at most 100 sweeps).
pub fn symmetric_eigen(a: &[f64], n: usize) -> Eigen {
    assert_eq!(a.len(), n * n, "matrix must be n × n");
    let mut a = a.to_vec();
    let mut v = identity(n);
    let scale: f64 = a.iter().map(|x| x * x).sum::<f64>().max(f64::MIN_POSITIVE);
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|p| ((p + 1)..n).map(move |q| (p, q)))
            .map(|(p, q)| a[p * n + q] * a[p * n + q])
            .sum();
        if off <= 1e-30 * scale {
            break;
        }
        for p in 0..n {
            for q in (p + 1)..n {
                let apq = a[p * n + q];
                if apq.abs() <= f64::MIN_POSITIVE {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| a[j * n + j].total_cmp(&a[i * n + i]));
    let values = order.iter().map(|&i| a[i * n + i]).collect();
    let mut vectors = vec![0.0; n * n];
    for (new_j, &old_j) in order.iter().enumerate() {
        for i in 0..n {
            vectors[i * n + new_j] = v[i * n + old_j];
        }
    }
    Eigen { n, values, vectors }
}

pub fn identity(n: usize) -> Vec<f64> {
    let mut m = vec![0.0; n * n];
    for i in 0..n {
        m[i * n + i] = 1.0;
    }
    m
}

impl Eigen {
    /// True when the smallest eigenvalue is not clearly positive relative to the largest.
    pub fn is_singular(&self) -> bool {
        let max = self.values.first().copied().unwrap_or(0.0);
        let min = self.values.last().copied().unwrap_or(0.0);
        !(max > 0.0 && min > 1e-10 * max)
    }

    /// `V f(Λ) Vᵀ` for a function of the eigenvalues.
    pub fn apply(&self, f: impl Fn(f64) -> f64) -> Vec<f64> {
        let n = self.n;
        let fl: Vec<f64> = self.values.iter().map(|&l| f(l)).collect();
        let mut out = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                out[i * n + j] = (0..n)
                    .map(|m| self.vectors[i * n + m] * fl[m] * self.vectors[j * n + m])
                    .sum();
            }
        }
        out
    }

    /// Indices whose components dominate the eigenvector of the smallest eigenvalue: the
    /// variables involved in a (near) linear dependency.
    pub fn dependent_variables(&self) -> Vec<usize> {
        let n = self.n;
        if n == 0 {
            return Vec::new();
        }
        let last = n - 1;
        (0..n)
            .filter(|&i| self.vectors[i * n + last].abs() > 0.1)
            .collect()
    }
}

/// Σ aᵢbᵢ (the plain loop; the α kernel has its own vectorised one on its hot path).
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// xᵀAx for a square row-major `A`.
pub fn quadratic_form(a: &[f64], x: &[f64]) -> f64 {
    dot(x, &mat_vec(a, x))
}

/// `y = A x` for a square row-major `A`.
pub fn mat_vec(a: &[f64], x: &[f64]) -> Vec<f64> {
    let n = x.len();
    (0..n)
        .map(|i| (0..n).map(|j| a[i * n + j] * x[j]).sum())
        .collect()
}

/// Cholesky factor `L` (row-major, lower) of a symmetric positive definite matrix, or `None`
/// when it is not positive definite.
pub fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|m| l[i * n + m] * l[j * n + m]).sum();
            if i == j {
                let d = a[i * n + i] - s;
                if d.is_nan() || d <= 0.0 || !d.is_finite() {
                    return None;
                }
                l[i * n + i] = d.sqrt();
            } else {
                l[i * n + j] = (a[i * n + j] - s) / l[j * n + j];
            }
        }
    }
    Some(l)
}

/// Inverse and log-determinant of a symmetric positive definite matrix via Cholesky.
pub fn spd_inverse(a: &[f64], n: usize) -> Option<(Vec<f64>, f64)> {
    let l = cholesky(a, n)?;
    let log_det = 2.0 * (0..n).map(|i| l[i * n + i].ln()).sum::<f64>();
    // L⁻¹ by forward substitution, then A⁻¹ = L⁻ᵀ L⁻¹.
    let mut li = vec![0.0; n * n];
    for c in 0..n {
        for i in c..n {
            let s: f64 = (c..i).map(|m| l[i * n + m] * li[m * n + c]).sum();
            let rhs = if i == c { 1.0 } else { 0.0 };
            li[i * n + c] = (rhs - s) / l[i * n + i];
        }
    }
    let mut inv = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let v: f64 = (i..n).map(|m| li[m * n + i] * li[m * n + j]).sum();
            inv[i * n + j] = v;
            inv[j * n + i] = v;
        }
    }
    Some((inv, log_det))
}

/// A B for n × n matrices (skipping zero entries of A, which are common in the sparse
/// matrices of the ordinal model).
pub fn mat_mul(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for k in 0..n {
            let x = a[i * n + k];
            if x == 0.0 {
                continue;
            }
            for j in 0..n {
                out[i * n + j] += x * b[k * n + j];
            }
        }
    }
    out
}

/// A Bᵀ for n × n matrices.
pub fn mat_mul_t(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            out[i * n + j] = (0..n).map(|k| a[i * n + k] * b[j * n + k]).sum();
        }
    }
    out
}
