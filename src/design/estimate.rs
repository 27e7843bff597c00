//! Domain estimates of means, totals and proportions with Taylor-linearised standard
//! errors. A domain (district, age group, …) is estimated with the whole design: rows
//! outside it contribute zero, so its size counts as random (Lumley 2010, §2.3.1).

use super::calibration::Calibration;
use super::Design;
use crate::error::DesignError;
use crate::estimate::stats::Convention;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    Mean,
    Total,
    /// A mean of a 0/1 variable.
    Proportion,
    /// A quantile (the median by default) with Woodruff's interval (`super::quantile`).
    Quantile,
}

crate::choice!(Statistic, "statistic", {
    Mean => "mean",
    Total => "total",
    Proportion => "proportion",
    Quantile => "quantile",
});

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DomainEstimate {
    pub estimate: f64,
    pub se: f64,
    /// Rows in the domain with an answer.
    pub n: usize,
    /// Kish's effective sample size of those rows.
    pub n_eff: f64,
    /// Design effect: the variance over that of a simple random sample of the same size
    /// drawn without replacement from the estimated population (R `deff = TRUE`), and with
    /// replacement (R `deff = "replace"`). NaN when the sample variance is 0.
    pub deff: f64,
    pub deff_replace: f64,
}

/// What a simple random sample of the domain's size would give: the weighted variance of
/// the answers (R `svyvar`: `Σ w (y − ȳ)² / Σ w · n / (n − 1)`), the rows and `Σ w`
/// (summed in [`linearise`]'s pass).
struct SrsParts {
    variance: f64,
    n: f64,
    population: f64,
}

impl SrsParts {
    /// The variance of the statistic under simple random sampling with replacement.
    fn with_replacement(&self, statistic: Statistic) -> f64 {
        let of_mean = self.variance / self.n;
        match statistic {
            Statistic::Total => of_mean * self.population * self.population,
            _ => of_mean,
        }
    }

    /// The same without replacement: times `1 − n / N̂`.
    fn without_replacement(&self, statistic: Statistic) -> f64 {
        self.with_replacement(statistic) * (self.population - self.n) / self.population
    }
}

/// The estimate and its linearised variable `w × influence` for the rows in `domain` with
/// an answer.
fn linearise(
    design: &Design,
    y: &[Option<f64>],
    domain: &[bool],
    statistic: Statistic,
) -> (f64, Vec<f64>, usize, f64, SrsParts) {
    let w = &design.weights;
    let used = |i: usize| domain[i] && y[i].is_some();
    let (mut sw, mut swy, mut sww, mut n) = (0.0, 0.0, 0.0, 0);
    // Σ w (y − k) and Σ w (y − k)² around the first answer k, for the variance a simple
    // random sample would have, in the same pass (shifted, so no cancellation).
    let (mut shift, mut swd, mut swdd) = (None, 0.0, 0.0);
    let answers = y.iter().enumerate();
    for (i, v) in answers.filter_map(|(i, v)| v.filter(|_| domain[i]).map(|v| (i, v))) {
        sw += w[i];
        swy += w[i] * v;
        sww += w[i] * w[i];
        n += 1;
        let d = v - *shift.get_or_insert(v);
        swd += w[i] * d;
        swdd += w[i] * d * d;
    }
    let n_eff = if sww > 0.0 { sw * sw / sww } else { 0.0 };
    let rows = n as f64;
    let srs = SrsParts {
        variance: (swdd - swd * swd / sw) / sw * rows / (rows - 1.0),
        n: rows,
        population: sw,
    };
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
    (estimate, z, n, n_eff, srs)
}

/// The difference between one variable's estimates in domains `a` and `b`, with its
/// standard error (R `svycontrast` of `svyby(..., covmat = TRUE)`): its linearised
/// variable is the difference of theirs, so the covariance of the two estimates (shared
/// clusters and strata, calibration) is accounted for. `None` when either has no answers.
pub fn domain_difference(
    design: &Design,
    calibration: Option<&Calibration>,
    y: &[Option<f64>],
    (a, b): (&[bool], &[bool]),
    statistic: Statistic,
    convention: Convention,
) -> Result<Option<(f64, f64)>, DesignError> {
    let (estimate_a, z_a, n_a, ..) = linearise(design, y, a, statistic);
    let (estimate_b, z_b, n_b, ..) = linearise(design, y, b, statistic);
    if n_a == 0 || n_b == 0 {
        return Ok(None);
    }
    let mut z: Vec<f64> = z_a.iter().zip(&z_b).map(|(p, q)| p - q).collect();
    if let Some(c) = calibration {
        c.residualise(&mut z, &design.weights);
    }
    let share = statistic == Statistic::Proportion;
    let variance = design.variance_of_total(&z, convention, share)?.max(0.0);
    Ok(Some((estimate_a - estimate_b, variance.sqrt())))
}

/// Means of several variables over the whole sample (a null is no answer) and the
/// covariance matrix of the estimates (row-major), linearised and calibrated as
/// [`domain_estimate`]'s: for tests that need all of them at once.
pub fn joint_means(
    design: &Design,
    calibration: Option<&Calibration>,
    ys: &[Vec<Option<f64>>],
    convention: Convention,
) -> Result<(Vec<f64>, Vec<f64>), DesignError> {
    let everyone = vec![true; design.weights.len()];
    let mut means = Vec::with_capacity(ys.len());
    let mut zs = Vec::with_capacity(ys.len());
    for y in ys {
        let (mean, mut z, ..) = linearise(design, y, &everyone, Statistic::Mean);
        if let Some(c) = calibration {
            c.residualise(&mut z, &design.weights);
        }
        means.push(mean);
        zs.push(z);
    }
    let columns: Vec<&[f64]> = zs.iter().map(Vec::as_slice).collect();
    Ok((
        means,
        design.covariance_of_totals(&columns, convention, true)?,
    ))
}

/// One variable in one domain with a variance found elsewhere (replicate weights): the
/// estimate, rows, effective size and design effects against `variance`. `None` when the
/// domain has no answers.
pub fn domain_estimate_with(
    design: &Design,
    y: &[Option<f64>],
    domain: &[bool],
    statistic: Statistic,
    variance: impl FnOnce(f64) -> f64,
) -> Option<DomainEstimate> {
    let (estimate, _, n, n_eff, srs) = linearise(design, y, domain, statistic);
    if n == 0 {
        return None;
    }
    let variance = variance(estimate).max(0.0);
    Some(DomainEstimate {
        estimate,
        se: variance.sqrt(),
        n,
        n_eff,
        deff: variance / srs.without_replacement(statistic),
        deff_replace: variance / srs.with_replacement(statistic),
    })
}

/// One variable in one domain. `None` when the domain has no answers.
pub fn domain_estimate(
    design: &Design,
    calibration: Option<&Calibration>,
    y: &[Option<f64>],
    domain: &[bool],
    statistic: Statistic,
    convention: Convention,
) -> Result<Option<DomainEstimate>, DesignError> {
    let (estimate, mut z, n, n_eff, srs) = linearise(design, y, domain, statistic);
    if n == 0 {
        return Ok(None);
    }
    if let Some(c) = calibration {
        c.residualise(&mut z, &design.weights);
    }
    let share = statistic == Statistic::Proportion;
    let variance = design.variance_of_total(&z, convention, share)?.max(0.0);
    Ok(Some(DomainEstimate {
        estimate,
        se: variance.sqrt(),
        n,
        n_eff,
        deff: variance / srs.without_replacement(statistic),
        deff_replace: variance / srs.with_replacement(statistic),
    }))
}
