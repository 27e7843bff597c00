//! The variance of estimates from calibrated (raked, post-stratified) weights: the
//! linearised variable is replaced by its residual from a regression on the calibration
//! variables, weighted by the design weights, and multiplied by the calibrated weights
//! (Särndal, Swensson & Wretman 1992, §6.6; Deville & Särndal 1992). Calibration removes
//! the part of the variance the margins explain.

use crate::error::DesignError;

/// The auxiliary variables of a calibration: indicator variables of each margin's
/// categories, numeric columns, and an intercept (the population size) when there is no
/// margin to carry it. Shared by the calibration of weights (`super::calibrate`) and the
/// variance of estimates from calibrated weights ([`Calibration`]).
#[derive(Debug, Clone)]
pub struct Model {
    /// Per margin, the category of each row.
    categories: Vec<Vec<u32>>,
    /// Column of (margin, category) in the model; `None` for the category dropped to keep
    /// the model of full rank (the first of every margin after the first).
    column: Vec<Vec<Option<usize>>>,
    /// Numeric auxiliary columns (their model columns follow the margins').
    numeric: Vec<Vec<f64>>,
    /// Column of the intercept, when the model has one.
    intercept: Option<usize>,
    p: usize,
}

impl Model {
    /// `levels[m]` is the number of categories of margin `m`; an intercept is added when
    /// there are no margins.
    pub fn new(categories: Vec<Vec<u32>>, levels: &[usize], numeric: Vec<Vec<f64>>) -> Self {
        let (column, mut p) = model_columns(levels);
        p += numeric.len();
        let intercept = categories.is_empty().then(|| {
            p += 1;
            p - 1
        });
        Model {
            categories,
            column,
            numeric,
            intercept,
            p,
        }
    }

    /// Number of model columns.
    pub fn columns(&self) -> usize {
        self.p
    }

    /// Model column of margin `m`'s category `c` (`None`: the dropped category).
    pub fn margin_column(&self, m: usize, c: usize) -> Option<usize> {
        self.column[m][c]
    }

    /// Model column of numeric variable `j`.
    pub fn numeric_column(&self, j: usize) -> usize {
        self.p - self.numeric.len() - self.intercept.is_some() as usize + j
    }

    pub fn intercept_column(&self) -> Option<usize> {
        self.intercept
    }

    /// Calls `f(column, value)` for each non-zero feature of `row`.
    #[inline]
    pub fn features(&self, row: usize, mut f: impl FnMut(usize, f64)) {
        for (m, c) in self.categories.iter().enumerate() {
            if let Some(k) = self.column[m][c[row] as usize] {
                f(k, 1.0);
            }
        }
        for (j, x) in self.numeric.iter().enumerate() {
            f(self.numeric_column(j), x[row]);
        }
        if let Some(k) = self.intercept {
            f(k, 1.0);
        }
    }

    /// `x_rowᵀ coef`.
    pub fn dot(&self, coef: &[f64], row: usize) -> f64 {
        let mut s = 0.0;
        self.features(row, |k, x| s += coef[k] * x);
        s
    }

    /// `Σ_i weight_i x_i x_iᵀ` (row-major p × p) over `rows` rows.
    pub fn gram(&self, rows: usize, weight: impl Fn(usize) -> f64) -> Vec<f64> {
        let p = self.p;
        let mut xtx = vec![0.0; p * p];
        let mut features: Vec<(usize, f64)> = Vec::with_capacity(p);
        for i in 0..rows {
            let d = weight(i);
            if d == 0.0 {
                continue;
            }
            features.clear();
            self.features(i, |k, x| features.push((k, x)));
            for &(a, xa) in &features {
                for &(b, xb) in &features {
                    xtx[a * p + b] += d * xa * xb;
                }
            }
        }
        xtx
    }
}

/// The variance model of estimates from calibrated weights.
#[derive(Debug, Clone)]
pub struct Calibration {
    /// Design weights before calibration.
    base: Vec<f64>,
    model: Model,
    /// Cholesky factor (lower, row-major) of X'DX; a zero row marks an aliased column.
    factor: Vec<f64>,
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
pub fn cholesky(mut a: Vec<f64>, p: usize) -> Vec<f64> {
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
    /// Weights raked to categorical margins: `levels[m]` is the number of categories of
    /// margin `m`.
    pub fn new(
        base: Vec<f64>,
        categories: Vec<Vec<u32>>,
        levels: &[usize],
    ) -> Result<Self, DesignError> {
        Self::with_model(base, Model::new(categories, levels, Vec::new()))
    }

    /// Weights calibrated on any auxiliary model.
    pub fn with_model(base: Vec<f64>, model: Model) -> Result<Self, DesignError> {
        let xtx = model.gram(base.len(), |i| base[i]);
        let factor = cholesky(xtx, model.p);
        Ok(Calibration {
            base,
            model,
            factor,
        })
    }

    /// Replaces `z = w u` (calibrated weight × influence value) by `w (u − x'B)` with `B`
    /// the design-weighted least-squares fit of `u` on the auxiliary variables.
    pub fn residualise(&self, z: &mut [f64], weights: &[f64]) {
        let mut xtu = vec![0.0; self.model.p];
        for (i, (&zi, &w)) in z.iter().zip(weights).enumerate() {
            if zi == 0.0 {
                continue;
            }
            let du = self.base[i] * zi / w;
            self.model.features(i, |k, x| xtu[k] += du * x);
        }
        let coef = solve(&self.factor, self.model.p, xtu);
        for (i, (zi, &w)) in z.iter_mut().zip(weights).enumerate() {
            *zi = w * (*zi / w - self.model.dot(&coef, i));
        }
    }
}

/// Solves `L Lᵀ x = b` with the factor of [`cholesky`]; aliased columns get 0.
pub fn solve(l: &[f64], p: usize, mut b: Vec<f64>) -> Vec<f64> {
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
