//! Domain estimates of means, totals and proportions with Taylor-linearised standard
//! errors. A domain (district, age group, …) is estimated with the whole design: rows
//! outside it contribute zero, so its size counts as random (Lumley 2010, §2.3.1).

use super::calibration::Calibration;
use super::Design;
use crate::error::DesignError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    Mean,
    Total,
    /// A mean of a 0/1 variable.
    Proportion,
}

crate::choice!(Statistic, "statistic", {
    Mean => "mean",
    Total => "total",
    Proportion => "proportion",
});

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DomainEstimate {
    pub estimate: f64,
    pub se: f64,
    /// Rows in the domain with an answer.
    pub n: usize,
    /// Kish's effective sample size of those rows.
    pub n_eff: f64,
}

/// The estimate and its linearised variable `w × influence` for the rows in `domain` with
/// an answer.
fn linearise(
    design: &Design,
    y: &[Option<f64>],
    domain: &[bool],
    statistic: Statistic,
) -> (f64, Vec<f64>, usize, f64) {
    let w = &design.weights;
    let used = |i: usize| domain[i] && y[i].is_some();
    let (mut sw, mut swy, mut sww, mut n) = (0.0, 0.0, 0.0, 0);
    let answers = y.iter().enumerate();
    for (i, v) in answers.filter_map(|(i, v)| v.filter(|_| domain[i]).map(|v| (i, v))) {
        sw += w[i];
        swy += w[i] * v;
        sww += w[i] * w[i];
        n += 1;
    }
    let n_eff = if sww > 0.0 { sw * sw / sww } else { 0.0 };
    let z: Vec<f64> = match statistic {
        Statistic::Total => (0..y.len())
            .map(|i| {
                if used(i) {
                    w[i] * y[i].unwrap_or(0.0)
                } else {
                    0.0
                }
            })
            .collect(),
        _ => {
            let mean = swy / sw;
            (0..y.len())
                .map(|i| match y[i] {
                    Some(v) if domain[i] => w[i] * (v - mean) / sw,
                    _ => 0.0,
                })
                .collect()
        }
    };
    let estimate = match statistic {
        Statistic::Total => swy,
        _ => swy / sw,
    };
    (estimate, z, n, n_eff)
}

/// One variable in one domain. `None` when the domain has no answers.
pub fn domain_estimate(
    design: &Design,
    calibration: Option<&Calibration>,
    y: &[Option<f64>],
    domain: &[bool],
    statistic: Statistic,
) -> Result<Option<DomainEstimate>, DesignError> {
    let (estimate, mut z, n, n_eff) = linearise(design, y, domain, statistic);
    if n == 0 {
        return Ok(None);
    }
    if let Some(c) = calibration {
        c.residualise(&mut z, &design.weights);
    }
    let variance = design.variance_of_total(&z)?;
    Ok(Some(DomainEstimate {
        estimate,
        se: variance.max(0.0).sqrt(),
        n,
        n_eff,
    }))
}
