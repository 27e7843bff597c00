//! Analytic standard errors of the agreement coefficients by linearisation (Gwet 2014,
//! Handbook of Inter-Rater Reliability, 4th ed., ch. 5; R `irrCAC` `*.raw` functions).
//!
//! Each coefficient `κ = (p_a − p_e)/(1 − p_e)` is written as a mean over units of a
//! per-unit value `κ*_i`, and
//!
//! `v(κ) = 1/(n(n − 1)) · Σ_i (κ*_i − κ)²`, `κ*_i = κ_i − 2(1 − κ)(p_e|i − p_e)/(1 − p_e)`,
//!
//! with `κ_i = (n/n₂)(p_a|i − p_e·[r_i ≥ 2])/(1 − p_e)` and `p_a|i` unit i's agreement.
//! `n` counts the units with at least one rating, `n₂` those with two or more. The chance
//! term `p_e|i` is each coefficient's own: none for percent agreement and Brennan–Prediger
//! (p_e is fixed), `T_w/(q(q−1)) Σ_k r_ik(1 − π_k)/r_i` for Gwet, `Σ_k r_ik π̄w_k / r_i` with
//! `π̄w = (Wπ + Wᵀπ)/2` for Fleiss, and the per-coder form of Conger's κ (in `conger.rs`).
//! No finite-population correction: coded units are not a sample from a listed population.

use super::{FamilyParts, UnitCounts};

/// Per-unit agreement `p_a|i = Σ_k r_ik (r*_ik − 1) / (r_i (r_i − 1))` (0 for r_i < 2).
pub fn unit_agreement(c: &[f64], w: &[Vec<f64>]) -> f64 {
    let r: f64 = c.iter().sum();
    if r < 2.0 {
        return 0.0;
    }
    weighted_pairs(c, w) / (r * (r - 1.0))
}

/// `Σ_k r_ik (Σ_l w_kl r_il − 1)`: weighted agreeing ordered pairs of coders on one unit.
pub fn weighted_pairs(c: &[f64], w: &[Vec<f64>]) -> f64 {
    (0..c.len())
        .filter(|&k| c[k] > 0.0)
        .map(|k| {
            let weighted: f64 = (0..c.len()).map(|l| w[k][l] * c[l]).sum();
            c[k] * (weighted - 1.0)
        })
        .sum()
}

/// `1/(n(n−1)) Σ_i f_i (x_i − κ)²` over rows with at least one rating (`f_i` units per row).
pub fn linearised_se(
    counts: &UnitCounts,
    coef: f64,
    mut x: impl FnMut(usize, &[f64]) -> f64,
) -> Option<f64> {
    let mut n = 0.0;
    let mut sum = 0.0;
    for (i, (c, f)) in counts.indexed_rows() {
        if c.iter().sum::<f64>() < 1.0 {
            continue;
        }
        n += f;
        sum += f * (x(i, c) - coef).powi(2);
    }
    (n >= 2.0).then(|| (sum / (n * (n - 1.0))).sqrt())
}

/// The per-unit value `κ_i` of a coefficient with chance agreement `pe`.
fn unit_coefficient(parts: &FamilyParts, c: &[f64], w: &[Vec<f64>], pe: f64) -> f64 {
    let r: f64 = c.iter().sum();
    let pe_here = if r >= 2.0 { pe } else { 0.0 };
    parts.n1 / parts.n2 * (unit_agreement(c, w) - pe_here) / (1.0 - pe)
}

/// SE of percent agreement.
pub fn percent_agreement_se(
    counts: &UnitCounts,
    w: &[Vec<f64>],
    parts: &FamilyParts,
) -> Option<f64> {
    linearised_se(counts, parts.pa, |_, c| {
        parts.n1 / parts.n2 * unit_agreement(c, w)
    })
}

/// SE of Brennan–Prediger's coefficient (its chance agreement is fixed).
pub fn brennan_prediger_se(
    counts: &UnitCounts,
    w: &[Vec<f64>],
    parts: &FamilyParts,
    coef: f64,
) -> Option<f64> {
    linearised_se(counts, coef, |_, c| {
        unit_coefficient(parts, c, w, parts.bp_pe)
    })
}

/// SE of Gwet's AC1/AC2.
pub fn gwet_se(counts: &UnitCounts, w: &[Vec<f64>], parts: &FamilyParts, coef: f64) -> Option<f64> {
    let q = counts.q as f64;
    let scale = parts.t_w / (q * (q - 1.0));
    let pe = parts.gwet_pe;
    linearised_se(counts, coef, |_, c| {
        let r: f64 = c.iter().sum();
        let pe_i = scale
            * (0..c.len())
                .map(|k| c[k] * (1.0 - parts.pi[k]))
                .sum::<f64>()
            / r;
        unit_coefficient(parts, c, w, pe) - 2.0 * (1.0 - coef) * (pe_i - pe) / (1.0 - pe)
    })
}

/// `(Wπ + Wᵀπ)/2`: the chance weight of each category against a random other rating.
pub fn symmetric_weighted(w: &[Vec<f64>], pi: &[f64]) -> Vec<f64> {
    (0..pi.len())
        .map(|k| {
            (0..pi.len())
                .map(|l| (w[k][l] + w[l][k]) / 2.0 * pi[l])
                .sum()
        })
        .collect()
}

/// SE of Fleiss' κ (Scott's π for two coders).
pub fn fleiss_se(
    counts: &UnitCounts,
    w: &[Vec<f64>],
    parts: &FamilyParts,
    coef: f64,
) -> Option<f64> {
    let pw = symmetric_weighted(w, &parts.pi);
    let pe = parts.fleiss_pe;
    linearised_se(counts, coef, |_, c| {
        let r: f64 = c.iter().sum();
        let pe_i = (0..c.len()).map(|k| c[k] * pw[k]).sum::<f64>() / r;
        unit_coefficient(parts, c, w, pe) - 2.0 * (1.0 - coef) * (pe_i - pe) / (1.0 - pe)
    })
}

/// SE of Krippendorff's α in Gwet's form (irrCAC `krippen.alpha.raw`): only units with two
/// or more ratings enter, each scaled by the mean number of ratings `r̄` of those units, and
/// `w` are the agreement weights `1 − δ²/max δ²` of the level.
pub fn krippendorff_se(counts: &UnitCounts, w: &[Vec<f64>]) -> Option<f64> {
    let q = counts.q;
    let pairable = || counts.rows().filter(|(c, _)| c.iter().sum::<f64>() >= 2.0);
    let n: f64 = pairable().map(|(_, f)| f).sum();
    if n < 2.0 {
        return None;
    }
    let r_mean = pairable()
        .map(|(c, f)| f * c.iter().sum::<f64>())
        .sum::<f64>()
        / n;
    let mut pi = vec![0.0; q];
    let mut pa_prime = 0.0;
    for (c, f) in pairable() {
        let r: f64 = c.iter().sum();
        pa_prime += f * weighted_pairs(c, w) / (r_mean * (r - 1.0));
        (0..q).for_each(|k| pi[k] += f * c[k] / r_mean);
    }
    pa_prime /= n;
    pi.iter_mut().for_each(|p| *p /= n);
    let pe: f64 = (0..q)
        .flat_map(|k| (0..q).map(move |l| (k, l)))
        .map(|(k, l)| w[k][l] * pi[k] * pi[l])
        .sum();
    if pe >= 1.0 - 1e-12 {
        return None;
    }
    let alpha_prime = (pa_prime - pe) / (1.0 - pe);
    let pw = symmetric_weighted(w, &pi);
    let sum: f64 = pairable()
        .map(|(c, f)| {
            let r: f64 = c.iter().sum();
            let spread = (r - r_mean) / r_mean;
            let pa_i = weighted_pairs(c, w) / (r_mean * (r - 1.0)) - pa_prime * spread;
            let pe_i = (0..q).map(|k| c[k] * pw[k]).sum::<f64>() / r_mean - pe * spread;
            let x = (pa_i - pe) / (1.0 - pe) - 2.0 * (1.0 - alpha_prime) * (pe_i - pe) / (1.0 - pe);
            f * (x - alpha_prime).powi(2)
        })
        .sum();
    Some((sum / (n * (n - 1.0))).sqrt())
}
