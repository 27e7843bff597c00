//! ω hierarchical by the Schmid–Leiman transformation of a correlated-factors solution
//! (Schmid & Leiman 1957; Zinbarg, Revelle, Yovel & Li 2005): the factors' correlations are
//! explained by one general factor, and every item's loading splits into a general part and
//! a part on its own dimension, as R `psych::schmid` / `psych::omega` do (with two factors,
//! psych's `option = "equal"`).

use super::one_factor;

/// Each item's loading on the general factor and on its own dimension, and the ω's.
#[derive(Debug, Clone)]
pub struct SchmidLeiman {
    pub general: Vec<f64>,
    pub group: Vec<f64>,
    /// Share of the total variance due to the general factor: (Σg)² / V.
    pub omega_hierarchical: f64,
    /// Share due to all common factors: ((Σg)² + Σ_f (Σ_{j∈f} s_j)²) / V.
    pub omega_total: f64,
    /// ω_h / ω_t: the limit of ω_h as the dimensions get ever more items.
    pub omega_asymptotic: f64,
}

/// The loadings of `m` correlated factors (row-major `phi`) on one general factor: one
/// factor fitted to `phi` by minres (three factors or more), both √φ₁₂ with two (psych's
/// `option = "equal"`: two correlations cannot identify two loadings), 1 with one.
fn second_order(phi: &[f64], m: usize) -> Result<Vec<f64>, String> {
    let gamma = match m {
        0 => return Err("no dimension".into()),
        1 => vec![1.0],
        2 if phi[1] > 0.0 => vec![phi[1].sqrt(); 2],
        2 => {
            return Err(format!(
                "the two dimensions correlate {:.3}, not positively",
                phi[1]
            ))
        }
        _ => {
            let names: Vec<String> = (1..=m).map(|f| format!("dimension {f}")).collect();
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            let fit = one_factor(phi, m, "the dimensions' correlations", &refs)
                .map_err(|e| e.to_string())?;
            // A factor's sign is arbitrary: orient the general factor positively.
            let sign = if fit.loadings.iter().sum::<f64>() < 0.0 {
                -1.0
            } else {
                1.0
            };
            fit.loadings.iter().map(|l| sign * l).collect()
        }
    };
    if let Some(g) = gamma.iter().find(|g| !(0.0..=1.0).contains(*g)) {
        return Err(format!(
            "a dimension loads {g:.3} on the general factor (outside 0–1): no Schmid–Leiman solution"
        ));
    }
    Ok(gamma)
}

/// Schmid–Leiman of standardised loadings (`loadings[j]` on dimension `factor[j]`) and the
/// dimensions' correlations `phi` (m × m); `total_variance` is the sum of the items'
/// correlation matrix (psych: of the observed one).
pub fn schmid_leiman(
    loadings: &[f64],
    factor: &[usize],
    phi: &[f64],
    m: usize,
    total_variance: f64,
) -> Result<SchmidLeiman, String> {
    let gamma = second_order(phi, m)?;
    let general: Vec<f64> = loadings
        .iter()
        .zip(factor)
        .map(|(l, &f)| l * gamma[f])
        .collect();
    let group: Vec<f64> = loadings
        .iter()
        .zip(factor)
        .map(|(l, &f)| l * (1.0 - gamma[f] * gamma[f]).sqrt())
        .collect();
    let general_sum: f64 = general.iter().sum();
    let mut per_dimension = vec![0.0; m];
    for (s, &f) in group.iter().zip(factor) {
        per_dimension[f] += s;
    }
    let common_general = general_sum * general_sum;
    let common_groups: f64 = per_dimension.iter().map(|s| s * s).sum();
    Ok(SchmidLeiman {
        omega_hierarchical: common_general / total_variance,
        omega_total: (common_general + common_groups) / total_variance,
        omega_asymptotic: common_general / (common_general + common_groups),
        general,
        group,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_correlated_factors_match_psych_schmid() {
        // R, psych 2.2.9: L = 9 × 3 pattern (.7 .6 .5 | .8 .6 .7 | .6 .5 .7), Phi with
        // .5 .4 .3; schmid(L, nfactors = 3, Phi = Phi)$sl[, "g"] and
        // omega(L, Phi = Phi): omega_h 0.5326636, omega.tot 0.7862319, omega.lim 0.6774892
        // (psych's total variance: the sum of the implied correlations, 24.84 here; its
        // second-order fa converges to 1e-6, the just-identified loadings are exact here).
        let loadings = [0.7, 0.6, 0.5, 0.8, 0.6, 0.7, 0.6, 0.5, 0.7];
        let factor = [0, 0, 0, 1, 1, 1, 2, 2, 2];
        let phi = [1.0, 0.5, 0.4, 0.5, 1.0, 0.3, 0.4, 0.3, 1.0];
        let sl = schmid_leiman(&loadings, &factor, &phi, 3, 24.84).unwrap();
        let psych_g = [
            0.5715472, 0.4898976, 0.4082480, 0.4898989, 0.3674242, 0.4286615,
        ];
        for (g, want) in sl.general.iter().zip(psych_g) {
            assert!((g - want).abs() < 2e-6, "{g} vs {want}");
        }
        assert!((sl.group[0] - 0.4041458).abs() < 2e-6);
        assert!((sl.omega_hierarchical - 0.5326636).abs() < 2e-6);
        assert!((sl.omega_total - 0.7862319).abs() < 1e-7);
        assert!((sl.omega_asymptotic - 0.6774892).abs() < 2e-6);
    }

    #[test]
    fn unidentified_or_improper_structures_are_errors() {
        let phi = [1.0, -0.2, -0.2, 1.0];
        assert!(schmid_leiman(&[0.5, 0.5], &[0, 1], &phi, 2, 2.0).is_err());
        // φ₁₂φ₁₃/φ₂₃ = 1.28: the first dimension would load above 1 on the general factor.
        let phi = [1.0, 0.8, 0.8, 0.8, 1.0, 0.5, 0.8, 0.5, 1.0];
        let err = schmid_leiman(&[0.6; 3], &[0, 1, 2], &phi, 3, 3.0).unwrap_err();
        assert!(
            err.contains("outside 0–1") || err.contains("Heywood"),
            "{err}"
        );
    }
}
