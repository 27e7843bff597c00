//! Design-based estimation for sample surveys (citizen surveys): the sampling design
//! (weights, strata, clusters, finite-population correction), Taylor-linearised variances,
//! raking and trimming of weights, and the calibration adjustment of variances.
//!
//! References: Lumley (2010) *Complex Surveys*, ch. 2–3 and 7; Särndal, Swensson & Wretman
//! (1992) *Model Assisted Survey Sampling*, §6.6 (GREG variance from g-weighted
//! residuals); Deville & Särndal (1992) for raking as calibration.

pub mod calibrate;
pub mod calibration;
pub mod chisq;
pub mod contrast;
pub mod domains;
pub mod estimate;
pub mod flags;
pub mod frame;
pub mod interval;
pub mod nonresponse;
pub mod prepared;
pub mod quantile;
pub mod rake;
pub mod replicate;

use crate::error::DesignError;
use crate::estimate::stats::Convention;

/// What to do with a stratum that has a single sampled cluster (its variance cannot be
/// estimated from within the stratum).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LonelyPsu {
    /// Refuse, naming the stratum (R `options(survey.lonely.psu = "fail")`).
    Fail,
    /// The lone cluster's total counts as its deviation from 0 (R `"adjust"`, which leaves
    /// it uncentred): for means and shares, whose linearised values sum to 0, the same as
    /// centring it at the mean over all clusters.
    Adjust,
    /// Contribute nothing, as a stratum sampled with certainty (R `"certainty"`).
    Certainty,
    /// Left out of the variance (R `"remove"`; in a linearised variance the same as
    /// certainty).
    Remove,
    /// The average contribution of the other strata: the variance without the lonely strata
    /// times `H / (H − H₁)` (R `"average"`).
    Average,
    /// Collapsed strata: a stratum with one cluster is merged with the next stratum in the
    /// order of the stratum labels (the last with the one before), so each merged stratum
    /// has two or more clusters (Wolter 2007, §2.5; not in R `survey`).
    Collapse,
}

crate::choice!(LonelyPsu, "lonely_psu", {
    Fail => "fail",
    Adjust => "adjust",
    Certainty => "certainty",
    Remove => "remove",
    Average => "average",
    Collapse => "collapse",
});

/// A sampling design over `n` rows. Strata and clusters are dense indices; a cluster id is
/// unique across strata (clusters are nested in strata).
#[derive(Debug, Clone)]
pub struct Design {
    pub weights: Vec<f64>,
    /// Stratum of each row (all 0 without strata).
    pub stratum: Vec<u32>,
    /// Primary sampling unit of each row (each row its own without clusters).
    pub psu: Vec<u32>,
    /// Per stratum: the sampling fraction of clusters (0 without FPC).
    pub fraction: Vec<f64>,
    /// Stratum of each PSU.
    pub psu_stratum: Vec<u32>,
    /// Per stratum: sampled clusters.
    pub psus_in_stratum: Vec<u32>,
    pub stratum_names: Vec<String>,
    pub lonely: LonelyPsu,
    /// Replicate weights: when present, variances come from them instead of linearisation.
    pub replicates: Option<replicate::Replicates>,
}

impl Design {
    /// Degrees of freedom for t intervals: clusters minus strata (R `degf`).
    pub fn degrees_of_freedom(&self) -> f64 {
        (self.psu_stratum.len() as f64 - self.psus_in_stratum.len() as f64).max(1.0)
    }

    /// Variance of the estimated total of a linearised variable: `z` holds, per row, the
    /// weight times the influence value (0 outside a domain). Clusters' totals vary around
    /// their stratum mean; `(1 − f_h) n_h / (n_h − 1)` scales each stratum (`Survey`), or
    /// `(N_h − n_h) / (N_h − 1)` (`PeopleSurvey`, with `N_h = n_h / f_h`).
    /// `share`: the estimate is a share (the People Survey's shares use divisor n_h).
    pub fn variance_of_total(
        &self,
        z: &[f64],
        convention: Convention,
        share: bool,
    ) -> Result<f64, DesignError> {
        Ok(self.covariance_of_totals(&[z], convention, share)?[0])
    }

    /// The covariance matrix (row-major `k × k`) of the estimated totals of `k` linearised
    /// variables, as [`Design::variance_of_total`] gives each variance: the clusters'
    /// centred totals' cross-products, scaled per stratum.
    pub fn covariance_of_totals(
        &self,
        zs: &[&[f64]],
        convention: Convention,
        share: bool,
    ) -> Result<Vec<f64>, DesignError> {
        let k = zs.len();
        let psus = self.psu_stratum.len();
        // Cluster totals, cluster-major: totals[p * k + j].
        let mut totals = vec![0.0; psus * k];
        for (j, z) in zs.iter().enumerate() {
            for (&p, &v) in self.psu.iter().zip(z.iter()) {
                totals[p as usize * k + j] += v;
            }
        }
        let strata = self.psus_in_stratum.len();
        let mut sums = vec![0.0; strata * k];
        for (p, &h) in self.psu_stratum.iter().enumerate() {
            for j in 0..k {
                sums[h as usize * k + j] += totals[p * k + j];
            }
        }
        let scales = self.stratum_scales(convention, share)?;
        let inflation = self.lonely_average_inflation()?;
        let mut cov = vec![0.0; k * k];
        let mut d = vec![0.0; k];
        for (p, &h) in self.psu_stratum.iter().enumerate() {
            let h = h as usize;
            let n_h = self.psus_in_stratum[h] as f64;
            // A lone cluster is not centred (lonely_psu "adjust", as R's `onestrat`).
            for j in 0..k {
                let centre = if n_h > 1.0 {
                    sums[h * k + j] / n_h
                } else {
                    0.0
                };
                d[j] = totals[p * k + j] - centre;
            }
            for a in 0..k {
                for b in 0..k {
                    cov[a * k + b] += scales[h] * d[a] * d[b];
                }
            }
        }
        cov.iter_mut().for_each(|c| *c *= inflation);
        Ok(cov)
    }

    /// `H / (H − H₁)` under `LonelyPsu::Average` (1 otherwise): the lonely strata's share
    /// of the variance given back as the other strata's average.
    pub(super) fn lonely_average_inflation(&self) -> Result<f64, DesignError> {
        if self.lonely != LonelyPsu::Average {
            return Ok(1.0);
        }
        let strata = self.psus_in_stratum.len();
        // A stratum sampled in full (f = 1) is a certainty stratum, not a lonely one (R
        // leaves it out before counting).
        let lonely = (0..strata)
            .filter(|&h| self.psus_in_stratum[h] < 2 && self.fraction[h] < 1.0)
            .count();
        if lonely == strata {
            return Err(DesignError::Parameter {
                parameter: "lonely_psu".into(),
                message: "\"average\" gives a lonely stratum the others' average, but every stratum has a single sampled cluster; pass \"adjust\" or \"certainty\"".into(),
            });
        }
        Ok(strata as f64 / (strata - lonely) as f64)
    }

    /// Per stratum, what its clusters' squared deviations are scaled by: the finite-
    /// population factor times `n_h / (n_h − 1)` (the convention's), or the lonely-PSU rule.
    pub(super) fn stratum_scales(
        &self,
        convention: Convention,
        share: bool,
    ) -> Result<Vec<f64>, DesignError> {
        (0..self.psus_in_stratum.len())
            .map(|h| {
                let n_h = self.psus_in_stratum[h] as f64;
                let scale = if n_h > 1.0 {
                    convention.variance_correction(n_h, share)
                } else {
                    match self.lonely {
                        // Collapsing leaves a lone cluster only when the design has one.
                        LonelyPsu::Fail | LonelyPsu::Collapse => {
                            return Err(DesignError::LonelyPsu {
                                stratum: self.stratum_names[h].clone(),
                            })
                        }
                        LonelyPsu::Adjust => 1.0,
                        LonelyPsu::Certainty | LonelyPsu::Remove | LonelyPsu::Average => 0.0,
                    }
                };
                let f = self.fraction[h];
                let fpc = if f > 0.0 {
                    convention.fpc(n_h, Some(n_h / f))
                } else {
                    1.0
                };
                Ok(fpc * scale)
            })
            .collect()
    }
}

/// `design` with its lone-cluster strata merged into their neighbours (`LonelyPsu::
/// Collapse`): strata taken in the order of their labels, each group closed once it holds
/// two or more clusters, a short last group joined to the one before. A merged stratum's
/// sampling fraction is its clusters over its population, `Σ n_h / Σ (n_h / f_h)` (0 when
/// any part has no FPC).
pub fn collapse_lonely_strata(mut design: Design) -> Design {
    let strata = design.psus_in_stratum.len();
    let lonely = |h: usize| design.psus_in_stratum[h] < 2 && design.fraction[h] < 1.0;
    if !(0..strata).any(lonely) {
        return design;
    }
    let mut by_label: Vec<usize> = (0..strata).collect();
    by_label.sort_by(|&a, &b| design.stratum_names[a].cmp(&design.stratum_names[b]));
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    for h in by_label {
        open.push(h);
        if open.iter().map(|&k| design.psus_in_stratum[k]).sum::<u32>() >= 2 {
            groups.push(std::mem::take(&mut open));
        }
    }
    match groups.last_mut() {
        Some(last) => last.extend(open),
        None => groups.push(open),
    }
    let mut merged_into = vec![0u32; strata];
    for (g, members) in groups.iter().enumerate() {
        members.iter().for_each(|&h| merged_into[h] = g as u32);
    }
    let fraction = groups
        .iter()
        .map(|members| {
            let n: f64 = members
                .iter()
                .map(|&h| f64::from(design.psus_in_stratum[h]))
                .sum();
            let mut population = 0.0;
            for &h in members {
                if design.fraction[h] <= 0.0 {
                    return 0.0;
                }
                population += f64::from(design.psus_in_stratum[h]) / design.fraction[h];
            }
            n / population
        })
        .collect();
    design.stratum_names = groups
        .iter()
        .map(|m| {
            m.iter()
                .map(|&h| design.stratum_names[h].as_str())
                .collect::<Vec<_>>()
                .join(" + ")
        })
        .collect();
    design.psus_in_stratum = groups
        .iter()
        .map(|m| m.iter().map(|&h| design.psus_in_stratum[h]).sum())
        .collect();
    design
        .stratum
        .iter_mut()
        .for_each(|h| *h = merged_into[*h as usize]);
    design
        .psu_stratum
        .iter_mut()
        .for_each(|h| *h = merged_into[*h as usize]);
    design.fraction = fraction;
    design
}

/// Kish's design effect due to unequal weights, `n Σw² / (Σw)²`, and the effective sample
/// size `(Σw)² / Σw²`.
pub fn kish(weights: &[f64]) -> (f64, f64) {
    let n = weights.len() as f64;
    let sum: f64 = weights.iter().sum();
    let squares: f64 = weights.iter().map(|w| w * w).sum();
    if squares == 0.0 {
        return (f64::NAN, 0.0);
    }
    (n * squares / (sum * sum), sum * sum / squares)
}
