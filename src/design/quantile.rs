//! Quantiles (median, quartiles, …) of a variable in a domain, with Woodruff's interval:
//! the share of the domain at or below the estimated quantile, `F̂(q̂)`, gets its
//! design-based interval `F̂ ± t·se(F̂)`, and the interval's ends are turned back into
//! values by the same quantile rule; the standard error is the interval's width over
//! `2t`. As R `svyquantile(..., interval.type = "mean", qrule = "math")` (survey 4.x).
//!
//! References: Woodruff (1952) "Confidence intervals for medians and other position
//! measures", *JASA* 47:635–646; Lumley (2010) *Complex Surveys* §2.4.3.

use super::calibration::Calibration;
use super::estimate::{domain_estimate, DomainEstimate, Statistic};
use super::Design;
use crate::error::DesignError;
use crate::estimate::stats::{two_sided_quantile, Convention};

/// The `p` quantile of the domain's answers by R's "math" rule: the smallest answer whose
/// cumulative weight reaches `p` of the domain's weight (with R's own arithmetic, so ties
/// at the boundary fall as R's do). `sorted` holds (answer, weight), ascending.
pub fn quantile_of_sorted(sorted: &[(f64, f64)], p: f64) -> f64 {
    let total: f64 = sorted.iter().map(|(_, w)| w).sum();
    let mut cumulative = 0.0;
    let mut last_within = None;
    for (k, (_, w)) in sorted.iter().enumerate() {
        cumulative += w;
        if cumulative <= p * total {
            last_within = Some((k, cumulative));
        }
    }
    match last_within {
        Some((k, c)) if p - c / total == 0.0 => sorted[k].0,
        Some((k, _)) => sorted[(k + 1).min(sorted.len() - 1)].0,
        None => sorted[0].0,
    }
}

/// A quantile with its Woodruff interval (`None` where an end of the share's interval
/// falls outside [0, 1], as R gives NaN).
pub struct QuantileEstimate {
    pub estimate: DomainEstimate,
    pub interval: (Option<f64>, Option<f64>),
}

/// The `p` quantile of `y` in `domain` with Woodruff's interval at `confidence` on `df`
/// degrees of freedom. `None` when the domain has no answers.
pub fn domain_quantile(
    design: &Design,
    calibration: Option<&Calibration>,
    y: &[Option<f64>],
    domain: &[bool],
    at: (f64, f64, f64),
    convention: Convention,
) -> Result<Option<QuantileEstimate>, DesignError> {
    woodruff(design, y, domain, at, |below| {
        domain_estimate(
            design,
            calibration,
            below,
            domain,
            Statistic::Proportion,
            convention,
        )
    })
}

/// Woodruff's interval of the `p` quantile with the share below it estimated (with its
/// SE) by `share`: linearised in [`domain_quantile`], from replicate weights elsewhere.
pub fn woodruff(
    design: &Design,
    y: &[Option<f64>],
    domain: &[bool],
    (p, confidence, df): (f64, f64, f64),
    share: impl FnOnce(&[Option<f64>]) -> Result<Option<DomainEstimate>, DesignError>,
) -> Result<Option<QuantileEstimate>, DesignError> {
    let mut sorted: Vec<(f64, f64)> = y
        .iter()
        .zip(domain)
        .zip(&design.weights)
        .filter_map(|((v, &inside), &w)| v.filter(|_| inside).map(|v| (v, w)))
        .collect();
    if sorted.is_empty() {
        return Ok(None);
    }
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let q = quantile_of_sorted(&sorted, p);
    // The share at or below q̂, estimated in the domain as any proportion is.
    let below: Vec<Option<f64>> = y.iter().map(|v| v.map(|v| (v <= q) as u8 as f64)).collect();
    let Some(share) = share(&below)? else {
        return Ok(None);
    };
    let t = two_sided_quantile(confidence, df).ok_or_else(|| DesignError::Parameter {
        parameter: "confidence".into(),
        message: format!("must be between 0 and 1 (e.g. 0.95), got {confidence}"),
    })?;
    let (low, high) = (share.estimate - t * share.se, share.estimate + t * share.se);
    let end = |x: f64| {
        (0.0..=1.0)
            .contains(&x)
            .then(|| quantile_of_sorted(&sorted, x))
    };
    let interval = (end(low), end(high));
    let se = match interval {
        (Some(a), Some(b)) => (b - a) / (2.0 * t),
        _ => f64::NAN,
    };
    Ok(Some(QuantileEstimate {
        estimate: DomainEstimate {
            estimate: q,
            se,
            n: share.n,
            n_eff: share.n_eff,
            deff: f64::NAN,
            deff_replace: f64::NAN,
        },
        interval,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn math_rule_takes_the_smallest_answer_reaching_p() {
        let s: Vec<(f64, f64)> = [1.0, 2.0, 3.0, 4.0].iter().map(|&v| (v, 1.0)).collect();
        // R: survey:::qrule_math(1:4, rep(1, 4), p) → 2 at 0.5 (exactly half), 3 at 0.6, 4
        // at 1. At 0.1 R gives 2 (its `last()` of no match is 1, so it steps past the
        // first answer); the rule's definition, and lyhord, give 1.
        assert_eq!(quantile_of_sorted(&s, 0.5), 2.0);
        assert_eq!(quantile_of_sorted(&s, 0.6), 3.0);
        assert_eq!(quantile_of_sorted(&s, 0.1), 1.0);
        assert_eq!(quantile_of_sorted(&s, 1.0), 4.0);
    }
}
