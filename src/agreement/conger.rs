//! Conger's κ (Conger 1980) for any number of coders with missing ratings, and Cohen's κ as
//! its two-coder case, with Gwet's linearised variance (Gwet 2014, ch. 2 and 5; R irrCAC
//! `conger.kappa.raw`).
//!
//! With `p_gk` the share of category k among the ratings coder g gave (over the `n_g` units
//! g rated), `p̄_k` their mean over the `r` coders and `s²_kl` their covariance across coders,
//! `p_e = Σ_kl w_kl (p̄_k p̄_l − s²_kl / r)`. For two coders this is `Σ_kl w_kl p_1k p_2l`:
//! Cohen's chance agreement with each coder's marginals taken from every unit they rated,
//! while `p_a` counts the units both rated — the same missing-data rule as the other
//! coefficients (agreement from units with two ratings, chance from every rating).

use super::variance::{linearised_se, unit_agreement};
use super::{chance_corrected, Coefficient, Patterns, UnitCounts};

/// Each active coder's category shares `p_gk` and number of rated units `n_g`.
struct CoderMarginals {
    coders: Vec<usize>,
    rated: Vec<f64>,
    shares: Vec<Vec<f64>>,
}

impl CoderMarginals {
    fn of(p: &Patterns, counts: &UnitCounts) -> Self {
        let q = counts.q;
        let mut classified = vec![vec![0.0; q]; p.coders];
        for (i, (_, f)) in counts.indexed_rows() {
            for (g, cell) in p.rows[i].iter().enumerate() {
                if let Some(k) = cell {
                    classified[g][*k as usize] += f;
                }
            }
        }
        let coders: Vec<usize> = (0..p.coders)
            .filter(|&g| classified[g].iter().sum::<f64>() > 0.0)
            .collect();
        let rated: Vec<f64> = coders.iter().map(|&g| classified[g].iter().sum()).collect();
        let shares = coders
            .iter()
            .zip(&rated)
            .map(|(&g, n_g)| classified[g].iter().map(|m| m / n_g).collect())
            .collect();
        CoderMarginals {
            coders,
            rated,
            shares,
        }
    }
}

/// Conger's κ with weights `w` and (with `with_se`) its analytic SE.
pub fn conger_kappa(
    p: &Patterns,
    counts: &UnitCounts,
    w: &[Vec<f64>],
    with_se: bool,
) -> (Coefficient, Option<f64>) {
    let q = counts.q;
    let m = CoderMarginals::of(p, counts);
    let r = m.coders.len() as f64;
    if m.coders.len() < 2 {
        return (Err("fewer than two coders gave ratings".into()), None);
    }
    let (mut n, mut n2, mut pa) = (0.0, 0.0, 0.0);
    for (c, f) in counts.rows() {
        let ratings: f64 = c.iter().sum();
        if ratings >= 1.0 {
            n += f;
        }
        if ratings >= 2.0 {
            n2 += f;
            pa += f * unit_agreement(c, w);
        }
    }
    if n2 == 0.0 {
        return (Err(super::NO_PAIRS.into()), None);
    }
    pa /= n2;
    let column_sum: Vec<f64> = (0..q)
        .map(|k| m.shares.iter().map(|s| s[k]).sum())
        .collect();
    let mut pe = 0.0;
    for k in 0..q {
        for l in 0..q {
            let cross: f64 = m.shares.iter().map(|s| s[k] * s[l]).sum();
            let mean_product = column_sum[k] * column_sum[l] / (r * r);
            let covariance = (cross - r * mean_product) / (r - 1.0);
            pe += w[k][l] * (mean_product - covariance / r);
        }
    }
    let kappa = match chance_corrected(pa, pe) {
        Ok(k) => k,
        Err(why) => return (Err(why), None),
    };
    if !with_se {
        return (Ok(kappa), None);
    }
    // Σ_l w_kl p_gl per coder and category, for the per-unit chance term.
    let weighted: Vec<Vec<f64>> = m
        .shares
        .iter()
        .map(|s| {
            (0..q)
                .map(|k| (0..q).map(|l| w[k][l] * s[l]).sum())
                .collect()
        })
        .collect();
    let se = linearised_se(counts, kappa, |i, c| {
        let mut lambda = 0.0;
        for (j, &g) in m.coders.iter().enumerate() {
            let given = p.rows[i][g];
            let rated = if given.is_some() { 1.0 } else { 0.0 };
            let n_g = m.rated[j];
            for k in 0..q {
                let own = given.map_or(0.0, |l| w[k][l as usize]);
                let inner = n / n_g * (own - (rated - n_g / n) * weighted[j][k]);
                lambda += inner * (column_sum[k] - m.shares[j][k]);
            }
        }
        let pe_i = lambda / (r * (r - 1.0));
        let ratings: f64 = c.iter().sum();
        let pe_here = if ratings >= 2.0 { pe } else { 0.0 };
        n / n2 * (unit_agreement(c, w) - pe_here) / (1.0 - pe)
            - 2.0 * (1.0 - kappa) * (pe_i - pe) / (1.0 - pe)
    });
    (Ok(kappa), se)
}
