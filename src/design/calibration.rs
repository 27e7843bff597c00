//! The variance of estimates from calibrated (raked, post-stratified) weights: the
//! linearised variable is replaced by its residual from a regression on the calibration
//! variables, weighted by the design weights, and multiplied by the calibrated weights
//! (Särndal, Swensson & Wretman 1992, §6.6; Deville & Särndal 1992). Calibration removes
//! the part of the variance the margins explain.

use crate::error::DesignError;

/// The calibration model: indicator variables of each margin's categories.
#[derive(Debug, Clone)]
pub struct Calibration {
    /// Design weights before calibration.
    base: Vec<f64>,
    /// Per margin, the category of each row.
    categories: Vec<Vec<u32>>,
    /// Column of (margin, category) in the model; `None` for the category dropped to keep
    /// the model of full rank (the first of every margin after the first).
    column: Vec<Vec<Option<usize>>>,
    /// Cholesky factor (lower, row-major) of X'DX; a zero row marks an aliased column.
    factor: Vec<f64>,
    p: usize,
}

fn model_columns(levels: &[usize]) -> (Vec<Vec<Option<usize>>>, usize) {
    let mut next = 0;
    let column = levels
        .iter()
        .enumerate()
        .map(|(m, &k)| {
            (0..k)
                .map(|c| {
                    if m > 0 && c == 0 {
                        None
                    } else {
                        next += 1;
                        Some(next - 1)
                    }
                })
                .collect()
        })
        .collect();
    (column, next)
}

/// Cholesky of a symmetric positive semi-definite matrix; columns whose pivot vanishes
/// (linearly dependent indicators) get a zero row and are left out of the solve.
fn cholesky(mut a: Vec<f64>, p: usize) -> Vec<f64> {
    for j in 0..p {
        let mut d = a[j * p + j];
        for k in 0..j {
            d -= a[j * p + k] * a[j * p + k];
        }
        let scale = a[j * p + j].abs().max(1.0);
        if d <= 1e-10 * scale {
            for i in j..p {
                a[i * p + j] = 0.0;
            }
            for k in 0..j {
                a[j * p + k] = 0.0;
            }
            continue;
        }
        let d = d.sqrt();
        a[j * p + j] = d;
        for i in j + 1..p {
            let mut s = a[i * p + j];
            for k in 0..j {
                s -= a[i * p + k] * a[j * p + k];
            }
            a[i * p + j] = s / d;
        }
    }
    for i in 0..p {
        for j in i + 1..p {
            a[i * p + j] = 0.0;
        }
    }
    a
}

impl Calibration {
    /// `levels[m]` is the number of categories of margin `m`.
    pub fn new(
        base: Vec<f64>,
        categories: Vec<Vec<u32>>,
        levels: &[usize],
    ) -> Result<Self, DesignError> {
        let (column, p) = model_columns(levels);
        let mut xtx = vec![0.0; p * p];
        let mut cols = Vec::with_capacity(categories.len());
        for (i, &d) in base.iter().enumerate() {
            cols.clear();
            cols.extend(
                categories
                    .iter()
                    .enumerate()
                    .filter_map(|(m, c)| column[m][c[i] as usize]),
            );
            for &a in &cols {
                for &b in &cols {
                    xtx[a * p + b] += d;
                }
            }
        }
        Ok(Calibration {
            base,
            categories,
            column,
            factor: cholesky(xtx, p),
            p,
        })
    }

    fn solve(&self, mut b: Vec<f64>) -> Vec<f64> {
        let (l, p) = (&self.factor, self.p);
        for i in 0..p {
            if l[i * p + i] == 0.0 {
                b[i] = 0.0;
                continue;
            }
            let s: f64 = (0..i).map(|k| l[i * p + k] * b[k]).sum();
            b[i] = (b[i] - s) / l[i * p + i];
        }
        for i in (0..p).rev() {
            if l[i * p + i] == 0.0 {
                b[i] = 0.0;
                continue;
            }
            let s: f64 = (i + 1..p).map(|k| l[k * p + i] * b[k]).sum();
            b[i] = (b[i] - s) / l[i * p + i];
        }
        b
    }

    fn fitted(&self, coef: &[f64], row: usize) -> f64 {
        self.categories
            .iter()
            .enumerate()
            .filter_map(|(m, c)| self.column[m][c[row] as usize])
            .map(|k| coef[k])
            .sum()
    }

    /// Replaces `z = w u` (calibrated weight × influence value) by `w (u − x'B)` with `B`
    /// the design-weighted least-squares fit of `u` on the margins.
    pub fn residualise(&self, z: &mut [f64], weights: &[f64]) {
        let mut xtu = vec![0.0; self.p];
        for (i, (&zi, &w)) in z.iter().zip(weights).enumerate() {
            if zi == 0.0 {
                continue;
            }
            let du = self.base[i] * zi / w;
            for (m, c) in self.categories.iter().enumerate() {
                if let Some(k) = self.column[m][c[i] as usize] {
                    xtu[k] += du;
                }
            }
        }
        let coef = self.solve(xtu);
        for (i, (zi, &w)) in z.iter_mut().zip(weights).enumerate() {
            *zi = w * (*zi / w - self.fitted(&coef, i));
        }
    }
}
