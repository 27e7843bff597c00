//! Replicate-weight variances: jackknife (JK1, JKn), bootstrap (Rao–Wu), balanced repeated
//! replication (BRR) and Fay's BRR, generated from a design or read from a file.
//!
//! Each replicate `r` is a full set of weights `w_r`; the estimate is recomputed with each,
//! and `v(θ̂) = scale · Σ_r rscale_r (θ̂_r − c)²` with `c` the mean of the replicates (or
//! θ̂ itself with `mse`), as R `survey::svrVar` (Lumley 2010, ch. 2.8; Wolter 2007, ch. 3–5).
//! Replicates whose estimate is undefined (no weight left in a domain) are left out and
//! counted, as R drops them with a warning.
//!
//! Generated replicates follow R `as.svrepdesign`: JK1 drops each cluster in turn and
//! scales the rest by `n/(n − 1)`, `scale = (1 − f)(n − 1)/n`; JKn does that within each
//! stratum, `rscale_h = (1 − f_h)(n_h − 1)/n_h`; the bootstrap draws `n_h − 1` clusters
//! with replacement in each stratum, factor `n_h/(n_h − 1)` × times drawn, `scale =
//! 1/(R − 1)` (Rao & Wu 1988; R `subbootweights`); BRR takes half-samples from a Sylvester
//! Hadamard matrix (two clusters per stratum), factors 2 and 0 (`scale = 1/R`), Fay's
//! variant `2 − ρ` and `ρ` (`scale = 1/(R(1 − ρ)²)`).

use super::{Design, LonelyPsu};
use crate::error::DesignError;
use crate::reliability::SplitMix64;
use std::collections::HashMap;

/// How replicate weights were made, which fixes their default scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicateMethod {
    Jk1,
    Jkn,
    Bootstrap,
    Brr,
    Fay,
    /// Scale (and rscales) given by the user.
    Other,
}

crate::choice!(ReplicateMethod, "replicate_method", {
    Jk1 => "jk1",
    Jkn => "jkn",
    Bootstrap => "bootstrap",
    Brr => "brr",
    Fay => "fay",
    Other => "other",
});

/// One replicate's weights, shared with the polars column they were read from (no copy).
#[derive(Debug, Clone)]
pub struct ReplicateColumn(polars::prelude::Float64Chunked);

impl ReplicateColumn {
    /// A column of one chunk without nulls (the caller has checked both).
    pub fn new(values: polars::prelude::Float64Chunked) -> Self {
        ReplicateColumn(values.rechunk().into_owned())
    }
}

impl AsRef<[f64]> for ReplicateColumn {
    fn as_ref(&self) -> &[f64] {
        // One chunk (rechunked in `new`) and no nulls: the values are one slice.
        self.0
            .downcast_iter()
            .next()
            .map_or(&[], |a| a.values().as_slice())
    }
}

impl From<Vec<f64>> for ReplicateColumn {
    fn from(values: Vec<f64>) -> Self {
        ReplicateColumn(polars::prelude::Float64Chunked::from_vec("".into(), values))
    }
}

/// Replicate weights (one column per replicate) and how to combine their estimates.
#[derive(Debug, Clone)]
pub struct Replicates {
    pub columns: Vec<ReplicateColumn>,
    pub scale: f64,
    pub rscales: Vec<f64>,
    /// Centre at the full-sample estimate instead of the replicates' mean.
    pub mse: bool,
    /// Degrees of freedom: rank of the replicate weights less one (R `degf`).
    pub df: f64,
}

impl Replicates {
    /// `scale Σ rscale_r (θ_r − c)²` over the defined replicates (`None` entries are left
    /// out), with the number left out.
    pub fn variance(&self, full: f64, estimates: &[Option<f64>]) -> (f64, usize) {
        let defined: Vec<(f64, f64)> = estimates
            .iter()
            .zip(&self.rscales)
            .filter_map(|(e, &s)| e.filter(|v| v.is_finite()).map(|v| (v, s)))
            .collect();
        let dropped = estimates.len() - defined.len();
        if defined.is_empty() {
            return (f64::NAN, dropped);
        }
        let centre = if self.mse {
            full
        } else {
            defined.iter().map(|(v, _)| v).sum::<f64>() / defined.len() as f64
        };
        let sum: f64 = defined.iter().map(|(v, s)| s * (v - centre).powi(2)).sum();
        (self.scale * sum, dropped)
    }
}

/// Replicate factors per cluster (`factors[r][psu]`) with their scale and rscales.
pub struct Generated {
    pub factors: Vec<Vec<f64>>,
    pub scale: f64,
    pub rscales: Vec<f64>,
}

impl Generated {
    /// The replicate weights of each row: its design weight times its cluster's factor.
    pub fn columns(&self, design: &Design) -> Vec<Vec<f64>> {
        let threads = crate::parallel::threads_for(design.weights.len() * self.factors.len());
        crate::parallel::map_in_order(&self.factors, threads, |f| {
            design
                .weights
                .iter()
                .zip(&design.psu)
                .map(|(w, &p)| w * f[p as usize])
                .collect()
        })
    }
}

fn parameter(parameter: &str, message: impl Into<String>) -> DesignError {
    DesignError::Parameter {
        parameter: parameter.into(),
        message: message.into(),
    }
}

/// The clusters of each stratum, in cluster order.
fn clusters_by_stratum(design: &Design) -> Vec<Vec<usize>> {
    let mut by = vec![Vec::new(); design.psus_in_stratum.len()];
    for (p, &h) in design.psu_stratum.iter().enumerate() {
        by[h as usize].push(p);
    }
    by
}

/// Replicate factors for `method` (`replicates` draws for the bootstrap, `rho` for Fay).
pub fn generate(
    design: &Design,
    method: ReplicateMethod,
    replicates: usize,
    rho: f64,
    seed: u64,
) -> Result<Generated, DesignError> {
    let has_fpc = design.fraction.iter().any(|&f| f > 0.0);
    if has_fpc
        && matches!(
            method,
            ReplicateMethod::Bootstrap | ReplicateMethod::Brr | ReplicateMethod::Fay
        )
    {
        return Err(parameter(
            "method",
            format!(
                "\"{}\" replicates carry no finite-population correction and the design has one; use method=\"jkn\" (or \"jk1\"), or drop fpc from the design",
                crate::choice::Choice::as_str(method)
            ),
        ));
    }
    match method {
        ReplicateMethod::Jk1 => jk1(design),
        ReplicateMethod::Jkn => jkn(design),
        ReplicateMethod::Bootstrap => bootstrap(design, replicates, seed),
        ReplicateMethod::Brr => brr(design, 0.0),
        ReplicateMethod::Fay => {
            if !(rho > 0.0 && rho < 1.0) {
                return Err(parameter("fay_rho", format!("must be between 0 and 1, exclusive (0.3 or 0.5 are usual), got {rho}")));
            }
            brr(design, rho)
        }
        ReplicateMethod::Other => Err(parameter(
            "method",
            "\"other\" is for replicate weights read from a file; generate jk1, jkn, bootstrap, brr or fay",
        )),
    }
}

fn jk1(design: &Design) -> Result<Generated, DesignError> {
    if design.psus_in_stratum.len() > 1 {
        return Err(parameter(
            "method",
            "\"jk1\" is the unstratified jackknife and the design has strata; use method=\"jkn\"",
        ));
    }
    let n = design.psu_stratum.len();
    if n < 2 {
        return Err(parameter(
            "method",
            "the jackknife needs at least two clusters",
        ));
    }
    let keep = n as f64 / (n as f64 - 1.0);
    let factors = (0..n)
        .map(|dropped| {
            (0..n)
                .map(|p| if p == dropped { 0.0 } else { keep })
                .collect()
        })
        .collect();
    let fpc = 1.0 - design.fraction[0];
    Ok(Generated {
        factors,
        scale: fpc * (n as f64 - 1.0) / n as f64,
        rscales: vec![1.0; n],
    })
}

fn jkn(design: &Design) -> Result<Generated, DesignError> {
    let psus = design.psu_stratum.len();
    let strata = design.psus_in_stratum.len();
    let mut factors = Vec::new();
    let mut rscales = Vec::new();
    for (h, members) in clusters_by_stratum(design).iter().enumerate() {
        let f = design.fraction[h];
        if f >= 1.0 {
            continue; // sampled in full: no variance (R drops these replicates)
        }
        if members.len() == 1 {
            match design.lonely {
                LonelyPsu::Fail | LonelyPsu::Collapse => {
                    return Err(DesignError::LonelyPsu {
                        stratum: design.stratum_names[h].clone(),
                    })
                }
                LonelyPsu::Certainty | LonelyPsu::Remove | LonelyPsu::Average => continue,
                LonelyPsu::Adjust => {
                    // R: drop the lone cluster, scale every other stratum's by H/(H − 1).
                    let others = strata as f64 / (strata as f64 - 1.0);
                    let own = |p: usize| design.psu_stratum[p] as usize == h;
                    factors.push(
                        (0..psus)
                            .map(|p| if own(p) { 0.0 } else { others })
                            .collect(),
                    );
                    rscales.push((strata as f64 - 1.0) / strata as f64);
                    continue;
                }
            }
        }
        let n_h = members.len() as f64;
        for &dropped in members {
            let mut factor = vec![1.0; psus];
            for &p in members {
                factor[p] = if p == dropped { 0.0 } else { n_h / (n_h - 1.0) };
            }
            factors.push(factor);
            rscales.push((1.0 - f) * (n_h - 1.0) / n_h);
        }
    }
    if factors.is_empty() {
        return Err(parameter("method", "every stratum was sampled in full (or is a lone cluster left out): there is no sampling variance to replicate"));
    }
    // R's "average": the replicates stand for all clusters.
    let scale = if design.lonely == LonelyPsu::Average {
        psus as f64 / factors.len() as f64
    } else {
        1.0
    };
    Ok(Generated {
        factors,
        scale,
        rscales,
    })
}

fn bootstrap(design: &Design, replicates: usize, seed: u64) -> Result<Generated, DesignError> {
    if replicates < 2 {
        return Err(parameter("replicates", format!("the bootstrap needs at least 2 replicates (200 or more is usual), got {replicates}")));
    }
    let groups = clusters_by_stratum(design);
    for (h, members) in groups.iter().enumerate() {
        if members.len() < 2 && !matches!(design.lonely, LonelyPsu::Certainty | LonelyPsu::Remove) {
            return Err(DesignError::LonelyPsu {
                stratum: design.stratum_names[h].clone(),
            });
        }
    }
    let mut rng = SplitMix64::new(seed);
    let psus = design.psu_stratum.len();
    let factors = (0..replicates)
        .map(|_| {
            let mut factor = vec![1.0; psus];
            for members in groups.iter().filter(|m| m.len() >= 2) {
                let n_h = members.len();
                let each = n_h as f64 / (n_h as f64 - 1.0);
                members.iter().for_each(|&p| factor[p] = 0.0);
                for _ in 0..n_h - 1 {
                    factor[members[rng.below(n_h)]] += each;
                }
            }
            factor
        })
        .collect();
    Ok(Generated {
        factors,
        scale: 1.0 / (replicates as f64 - 1.0),
        rscales: vec![1.0; replicates],
    })
}

/// Sylvester's Hadamard matrix entry (row r, column c) of order a power of two: the sign
/// of the parity of `r & c`.
fn hadamard_sign(r: usize, c: usize) -> bool {
    (r & c).count_ones().is_multiple_of(2)
}

fn brr(design: &Design, rho: f64) -> Result<Generated, DesignError> {
    let groups = clusters_by_stratum(design);
    if let Some((h, m)) = groups.iter().enumerate().find(|(_, m)| m.len() != 2) {
        return Err(parameter(
            "method",
            format!(
                "BRR needs exactly two clusters per stratum and stratum {:?} has {}; use method=\"jkn\" or \"bootstrap\"",
                design.stratum_names[h],
                m.len()
            ),
        ));
    }
    let strata = groups.len();
    // Smallest power of two above the number of strata; column 0 (all +) is not used.
    let order = (strata + 1).next_power_of_two();
    let psus = design.psu_stratum.len();
    let factors = (0..order)
        .map(|r| {
            let mut factor = vec![0.0; psus];
            for (h, members) in groups.iter().enumerate() {
                let first_in = hadamard_sign(r, h + 1);
                let (a, b) = if first_in {
                    (2.0 - rho, rho)
                } else {
                    (rho, 2.0 - rho)
                };
                factor[members[0]] = a;
                factor[members[1]] = b;
            }
            factor
        })
        .collect();
    let r = order as f64;
    Ok(Generated {
        factors,
        scale: 1.0 / (r * (1.0 - rho).powi(2)),
        rscales: vec![1.0; order],
    })
}

/// The default scale of replicate weights of `method` read from a file (R `svrepdesign`).
pub fn default_scale(method: ReplicateMethod, replicates: usize, rho: f64) -> Option<f64> {
    let r = replicates as f64;
    match method {
        ReplicateMethod::Jk1 => Some((r - 1.0) / r),
        ReplicateMethod::Bootstrap => Some(1.0 / (r - 1.0)),
        ReplicateMethod::Brr => Some(1.0 / r),
        ReplicateMethod::Fay => Some(1.0 / (r * (1.0 - rho).powi(2))),
        ReplicateMethod::Jkn | ReplicateMethod::Other => None,
    }
}

/// Rank of the replicate weights less one (R `degf`: `qr(weights, tol = 1e-5)$rank − 1`).
/// The rank is taken of each row's replicate weights over its full weight, with identical
/// rows counted once (the rank of `W = diag(w) F` is that of `F`'s distinct rows); rows are
/// told apart by a 128-bit hash of their ratios, built column by column.
pub fn degrees_of_freedom<C: AsRef<[f64]>>(columns: &[C], weights: &[f64]) -> f64 {
    let r = columns.len();
    let mut hashes: Vec<(u64, u64)> =
        vec![(0x9E37_79B9_7F4A_7C15, 0xC2B2_AE3D_27D4_EB4F); weights.len()];
    for column in columns {
        for ((h, &c), &w) in hashes.iter_mut().zip(column.as_ref()).zip(weights) {
            let bits = if w > 0.0 { (c / w).to_bits() } else { 0 };
            h.0 = mix(h.0 ^ bits);
            h.1 = mix(h.1.rotate_left(17) ^ bits);
        }
    }
    let mut seen: HashMap<(u64, u64), ()> = HashMap::new();
    let distinct: Vec<usize> = (0..weights.len())
        .filter(|&i| weights[i] > 0.0 && seen.insert(hashes[i], ()).is_none())
        .collect();
    let rows: Vec<Vec<f64>> = distinct
        .iter()
        .map(|&i| columns.iter().map(|c| c.as_ref()[i] / weights[i]).collect())
        .collect();
    // Gram–Schmidt on the Gram matrix G = FᵀF of the distinct rows (a Cholesky factor
    // built column by column): a column whose squared norm left after the earlier kept
    // columns falls below 1e-10 of its own (norm below 1e-5, LINPACK dqrdc2's rule) is
    // dependent and skipped.
    let mut gram = vec![0.0; r * r];
    for row in &rows {
        for j in 0..r {
            let x = row[j];
            if x != 0.0 {
                for k in j..r {
                    gram[j * r + k] += x * row[k];
                }
            }
        }
    }
    // factor[k][j] for kept columns k: L such that G restricted = L Lᵀ.
    let mut kept: Vec<Vec<f64>> = Vec::new();
    for j in 0..r {
        let own = gram[j * r + j];
        let projections: Vec<f64> = kept.iter().map(|l| l[j]).collect();
        let left = own - projections.iter().map(|p| p * p).sum::<f64>();
        if !(own > 0.0 && left > 1e-10 * own) {
            continue;
        }
        let pivot = left.sqrt();
        // The new row of Lᵀ: (G[j][k] − Σ l_j l_k) / pivot for the later columns k.
        let mut l = vec![0.0; r];
        l[j] = pivot;
        for k in (j + 1)..r {
            let earlier: f64 = kept
                .iter()
                .zip(&projections)
                .map(|(lk, pj)| lk[k] * pj)
                .sum();
            l[k] = (gram[j * r + k] - earlier) / pivot;
        }
        kept.push(l);
    }
    (kept.len() as f64 - 1.0).max(1.0)
}

/// A 64-bit finaliser (SplitMix64's), so every bit of a ratio moves the hash.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A variable laid out for the replicate passes: each answer (0 where none), whether it
/// is there (1/0), and the row's group; every replicate then runs without branches.
struct Answers<'a> {
    value: Vec<f64>,
    answered: Vec<f64>,
    group: &'a [u32],
}

impl<'a> Answers<'a> {
    fn new(y: &[Option<f64>], group: &'a [u32]) -> Self {
        Answers {
            value: y.iter().map(|v| v.unwrap_or(0.0)).collect(),
            answered: y.iter().map(|v| f64::from(u8::from(v.is_some()))).collect(),
            group,
        }
    }

    /// Means, shares or totals per domain (0 = whole sample, then the groups) under one set
    /// of weights; `None` where a mean has no weight.
    fn by_domain(&self, weights: &[f64], domains: usize, total: bool) -> Vec<Option<f64>> {
        let mut sw = vec![0.0; domains];
        let mut swy = vec![0.0; domains];
        // The whole sample in a loop the compiler can vectorise; the groups scattered.
        let (mut all_w, mut all_wy) = (0.0, 0.0);
        for ((&w, &a), &v) in weights.iter().zip(&self.answered).zip(&self.value) {
            all_w += w * a;
            all_wy += w * v;
        }
        if domains > 1 {
            for (((&w, &a), &v), &g) in weights
                .iter()
                .zip(&self.answered)
                .zip(&self.value)
                .zip(self.group)
            {
                sw[g as usize] += w * a;
                swy[g as usize] += w * v;
            }
        }
        (sw[0], swy[0]) = (all_w, all_wy);
        (0..domains)
            .map(|d| match total {
                true => Some(swy[d]),
                false => (sw[d] > 0.0).then(|| swy[d] / sw[d]),
            })
            .collect()
    }
}

/// The mean, share or total of `y` in every domain under every replicate
/// (`[domain][replicate]`); `group[i]` is row i's domain after the whole sample (0: none).
pub fn replicate_estimates(
    reps: &Replicates,
    y: &[Option<f64>],
    group: &[u32],
    domains: usize,
    statistic: super::estimate::Statistic,
) -> Vec<Vec<Option<f64>>> {
    use super::estimate::Statistic;
    let threads = crate::parallel::threads_for(y.len() * reps.columns.len());
    let total = statistic == Statistic::Total;
    let answers = Answers::new(y, group);
    let per_replicate = crate::parallel::map_in_order(&reps.columns, threads, |w| {
        answers.by_domain(w.as_ref(), domains, total)
    });
    (0..domains)
        .map(|d| per_replicate.iter().map(|r| r[d]).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A design of `clusters` per stratum (one row per cluster, weight 10).
    fn design(clusters: &[usize]) -> Design {
        let mut stratum = Vec::new();
        for (h, &n) in clusters.iter().enumerate() {
            stratum.extend(std::iter::repeat_n(h as u32, n));
        }
        let rows = stratum.len();
        Design {
            weights: vec![10.0; rows],
            psu: (0..rows as u32).collect(),
            psu_stratum: stratum.clone(),
            stratum,
            fraction: vec![0.0; clusters.len()],
            psus_in_stratum: clusters.iter().map(|&n| n as u32).collect(),
            stratum_names: (0..clusters.len()).map(|h| h.to_string()).collect(),
            lonely: LonelyPsu::Fail,
            replicates: None,
        }
    }

    #[test]
    fn sylvester_hadamard_columns_are_balanced_and_orthogonal() {
        for order in [4usize, 8, 16] {
            for a in 1..order {
                let sign = |r: usize, c: usize| if hadamard_sign(r, c) { 1i32 } else { -1 };
                assert_eq!((0..order).map(|r| sign(r, a)).sum::<i32>(), 0);
                for b in (a + 1)..order {
                    assert_eq!((0..order).map(|r| sign(r, a) * sign(r, b)).sum::<i32>(), 0);
                }
            }
        }
    }

    #[test]
    fn bootstrap_keeps_each_stratum_total_and_draws_n_minus_one() {
        let d = design(&[3, 5, 2]);
        let g = generate(&d, ReplicateMethod::Bootstrap, 50, 0.0, 9).unwrap();
        for factor in &g.factors {
            for (h, n) in [(0usize, 3.0), (1, 5.0), (2, 2.0)] {
                let members: Vec<usize> = (0..d.psu_stratum.len())
                    .filter(|&p| d.psu_stratum[p] as usize == h)
                    .collect();
                let sum: f64 = members.iter().map(|&p| factor[p]).sum();
                assert!((sum - n).abs() < 1e-12, "stratum {h}: {sum}");
                // Each factor is a whole number of draws times n/(n − 1).
                for &p in &members {
                    let draws = factor[p] * (n - 1.0) / n;
                    assert!((draws - draws.round()).abs() < 1e-12);
                }
            }
        }
        assert_eq!(g.scale, 1.0 / 49.0);
    }

    #[test]
    fn jackknife_rank_gives_r_degrees_of_freedom() {
        // JKn over strata of 3, 4 and 5 clusters: 12 replicates whose per-stratum sums are
        // all the same vector, so rank 12 − (3 − 1) = 10 and df 9 (R degf).
        let d = design(&[3, 4, 5]);
        let g = generate(&d, ReplicateMethod::Jkn, 0, 0.0, 0).unwrap();
        assert_eq!(g.factors.len(), 12);
        assert_eq!(degrees_of_freedom(&g.columns(&d), &d.weights), 9.0);
        assert_eq!(g.rscales[0], 2.0 / 3.0);
    }

    #[test]
    fn variance_centres_at_the_mean_or_the_estimate_and_skips_undefined() {
        let reps = Replicates {
            columns: vec![vec![1.0].into(), vec![1.0].into(), vec![1.0].into()],
            scale: 0.5,
            rscales: vec![1.0, 1.0, 2.0],
            mse: false,
            df: 2.0,
        };
        // Mean of the defined (1, 3) is 2: 0.5 · (1·1 + 1·1) = 1; one left out.
        assert_eq!(reps.variance(10.0, &[Some(1.0), Some(3.0), None]), (1.0, 1));
        let mse = Replicates { mse: true, ..reps };
        // Around 2.5: 0.5 · (2.25 + 0.25) = 1.25.
        assert_eq!(mse.variance(2.5, &[Some(1.0), Some(3.0), None]), (1.25, 1));
    }
}
