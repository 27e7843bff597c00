//! Quasi-Newton minimisation shared by the factor models (the one-group CFA of the
//! dimension check and the multi-group models of invariance): BFGS on the inverse Hessian
//! with an Armijo backtracking line search. The objective returns `None` where it is not
//! defined (a covariance matrix that is not positive definite), which the line search
//! treats as "step too long".

use super::linalg::{dot, identity};

/// Where the minimiser stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    pub theta: Vec<f64>,
    pub value: f64,
    pub iterations: usize,
    /// The gradient vanished (to 1e-6 in its largest component, usually far below).
    pub converged: bool,
}

fn largest(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |a, g| a.max(g.abs()))
}

/// Minimises `objective` (value and gradient) from `start`; `None` when the objective is
/// undefined at the start.
pub fn bfgs<F>(objective: F, start: Vec<f64>, max_iterations: usize) -> Option<Minimum>
where
    F: Fn(&[f64]) -> Option<(f64, Vec<f64>)>,
{
    let q = start.len();
    let mut theta = start;
    let (mut f, mut grad) = objective(&theta)?;
    let mut h = identity(q); // inverse Hessian approximation
    let mut iterations = 0;
    let mut converged = false;
    for it in 1..=max_iterations {
        iterations = it;
        let gmax = largest(&grad);
        if gmax < 1e-9 {
            converged = true;
            break;
        }
        let mut dir: Vec<f64> = (0..q)
            .map(|i| -dot(&h[i * q..(i + 1) * q], &grad))
            .collect();
        let mut slope = dot(&dir, &grad);
        if slope >= 0.0 {
            // The approximation lost positive definiteness: restart from steepest descent.
            h = identity(q);
            dir = grad.iter().map(|g| -g).collect();
            slope = -dot(&grad, &grad);
        }
        let mut step = 1.0;
        let mut next = None;
        for _ in 0..60 {
            let trial: Vec<f64> = theta.iter().zip(&dir).map(|(t, d)| t + step * d).collect();
            if let Some((ft, gt)) = objective(&trial) {
                if ft <= f + 1e-4 * step * slope {
                    next = Some((trial, ft, gt));
                    break;
                }
            }
            step *= 0.5;
        }
        let Some((new_theta, new_f, new_grad)) = next else {
            // No decrease possible along the direction: at the optimum up to rounding.
            converged = gmax < 1e-6;
            break;
        };
        let s: Vec<f64> = new_theta.iter().zip(&theta).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = new_grad.iter().zip(&grad).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-12 {
            let hy: Vec<f64> = (0..q).map(|i| dot(&h[i * q..(i + 1) * q], &y)).collect();
            let yhy = dot(&y, &hy);
            for i in 0..q {
                for j in 0..q {
                    h[i * q + j] +=
                        (sy + yhy) * s[i] * s[j] / (sy * sy) - (hy[i] * s[j] + s[i] * hy[j]) / sy;
                }
            }
        }
        let settled = (f - new_f).abs() <= 1e-14 * f.abs().max(1.0);
        theta = new_theta;
        f = new_f;
        grad = new_grad;
        if settled && largest(&grad) < 1e-6 {
            converged = true;
            break;
        }
    }
    Some(Minimum {
        theta,
        value: f,
        iterations,
        converged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_rosenbrocks_valley() {
        let rosenbrock = |t: &[f64]| {
            let (x, y) = (t[0], t[1]);
            let f = (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2);
            let g = vec![
                -2.0 * (1.0 - x) - 400.0 * x * (y - x * x),
                200.0 * (y - x * x),
            ];
            Some((f, g))
        };
        let m = bfgs(rosenbrock, vec![-1.2, 1.0], 2000).unwrap();
        assert!(m.converged);
        assert!((m.theta[0] - 1.0).abs() < 1e-6 && (m.theta[1] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn an_undefined_start_gives_none() {
        assert!(bfgs(|_| None, vec![0.0], 10).is_none());
    }
}
