//! Confidence intervals for shares (proportions) from a design-based estimate and its
//! standard error: R `svyciprop`'s methods, and Wilson's score interval with the design's
//! effective sample size. A symmetric t interval around a small share runs below 0 (1 yes
//! in 40: [−0.026, 0.076]); these stay inside [0, 1] and are asymmetric where the share is.
//!
//! References: Lumley (2010) *Complex Surveys* §2.4.1 and R `survey::svyciprop` (survey
//! 4.1); Korn & Graubard (1998) "Confidence intervals for proportions with small expected
//! number of positive counts estimated from survey data", *Survey Methodology* 24:193–201;
//! Wilson (1927) *JASA* 22:209–212; Dean & Pagano (2015) "Evaluating confidence interval
//! methods for binomial proportions in clustered surveys", *J. Survey Statistics and
//! Methodology* 3:484–503 (Wilson with the effective sample size and t quantiles).

use statrs::distribution::{Beta, ContinuousCDF};

/// How the interval of a share is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareInterval {
    /// `p ± t·se` (R `method = "mean"`): symmetric, may leave [0, 1].
    Mean,
    /// On the logit scale, `expit(logit p ± t·se / (p(1−p)))`: R `"logit"` (R fits the
    /// intercept-only quasibinomial model, whose coefficient and standard error are these
    /// exactly) and `"xlogit"` (the same by the delta method) agree to R's fitting tolerance.
    Logit,
    XLogit,
    /// Korn–Graubard: Clopper–Pearson beta quantiles at the effective sample size
    /// `p(1−p)/se²`, scaled by `(t_{n−1} / t_df)²` (R `"beta"`).
    Beta,
    /// On the arcsine-square-root scale, `sin²(asin √p ± t·se / (2√(p(1−p))))` (R `"asin"`,
    /// with the angle kept within [0, π/2]).
    Asin,
    /// Wilson's score interval at the effective sample size `p(1−p)/se²`, with t_df in
    /// place of z (Dean & Pagano 2015).
    Wilson,
}

crate::choice!(ShareInterval, "ci_method", {
    Mean => "mean",
    Logit => "logit",
    XLogit => "xlogit",
    Beta => "beta",
    Asin => "asin",
    Wilson => "wilson",
});

/// What every interval of one table shares: the method, the coverage and the design's
/// degrees of freedom.
#[derive(Debug, Clone, Copy)]
pub struct IntervalSpec {
    pub method: ShareInterval,
    pub confidence: f64,
    pub df: f64,
}

/// `expit(logit p ± t·se_logit)`, with the standard error of `logit p` given: by the delta
/// method above, or from replicate weights as the spread of the replicates' logits (what
/// R's `svyciprop(method = "logit")` gets from `svyglm` on a replicate design).
pub fn logit_interval(spec: &IntervalSpec, p: f64, se_logit: f64) -> Option<(f64, f64)> {
    let t = t_quantile(spec.confidence, spec.df)?;
    if !(p > 0.0 && p < 1.0 && se_logit > 0.0 && se_logit.is_finite()) {
        return None;
    }
    let (centre, half) = ((p / (1.0 - p)).ln(), t * se_logit);
    Some((expit(centre - half), expit(centre + half)))
}

/// The interval of a share `p` with standard error `se`, estimated from `n` rows; `None`
/// where the method has none: a share of exactly 0 or 1 on the logit, arcsine or Wilson
/// scale, or a standard error of 0 (R gives NaN there). Korn–Graubard at 0 or 1 uses `n`
/// as the effective sample size (Korn & Graubard 1998, §3; what NCHS publishes).
pub fn share_interval(spec: &IntervalSpec, p: f64, se: f64, n: usize) -> Option<(f64, f64)> {
    let t = t_quantile(spec.confidence, spec.df)?;
    let inside = p > 0.0 && p < 1.0 && se > 0.0;
    match spec.method {
        ShareInterval::Mean => Some((p - t * se, p + t * se)),
        ShareInterval::Logit | ShareInterval::XLogit if inside => {
            logit_interval(spec, p, se / (p * (1.0 - p)))
        }
        ShareInterval::Asin if inside => {
            let (centre, half) = (p.sqrt().asin(), t * se / (2.0 * (p * (1.0 - p)).sqrt()));
            // Angles kept within [0, π/2]: R squares the sine of a negative angle, which
            // puts the lower limit of a small share above 0 (1 in 40: 1.0e-5 for 0).
            let angle = |a: f64| a.clamp(0.0, std::f64::consts::FRAC_PI_2);
            Some((
                angle(centre - half).sin().powi(2),
                angle(centre + half).sin().powi(2),
            ))
        }
        ShareInterval::Wilson if inside => Some(wilson(p, p * (1.0 - p) / (se * se), t)),
        ShareInterval::Beta => korn_graubard(spec, p, se, n),
        _ => None,
    }
}

fn expit(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The two-sided `confidence` quantile of t with `df` degrees of freedom (normal when `df`
/// is infinite).
fn t_quantile(confidence: f64, df: f64) -> Option<f64> {
    crate::estimate::stats::two_sided_quantile(confidence, df)
}

fn wilson(p: f64, n: f64, t: f64) -> (f64, f64) {
    let t2n = t * t / n;
    let centre = (p + t2n / 2.0) / (1.0 + t2n);
    let half = t / (1.0 + t2n) * (p * (1.0 - p) / n + t2n / (4.0 * n)).sqrt();
    (centre - half, centre + half)
}

fn korn_graubard(spec: &IntervalSpec, p: f64, se: f64, n: usize) -> Option<(f64, f64)> {
    let alpha = 1.0 - spec.confidence;
    let rows = n as f64;
    let effective = if se > 0.0 {
        let ratio = t_quantile(1.0 - alpha, rows - 1.0)? / t_quantile(1.0 - alpha, spec.df)?;
        p * (1.0 - p) / (se * se) * ratio * ratio
    } else if p == 0.0 || p == 1.0 {
        rows
    } else {
        return None;
    };
    let quantile = |a: f64, b: f64, q: f64| -> Option<f64> {
        if a <= 0.0 {
            return Some(0.0);
        }
        if b <= 0.0 {
            return Some(1.0);
        }
        Some(Beta::new(a, b).ok()?.inverse_cdf(q))
    };
    let low = quantile(effective * p, effective * (1.0 - p) + 1.0, alpha / 2.0)?;
    let high = quantile(
        effective * p + 1.0,
        effective * (1.0 - p),
        1.0 - alpha / 2.0,
    )?;
    Some((low, high))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1 yes in 40 under simple random sampling: p = 0.025, se = √(p(1−p)/39) (svymean's
    /// n − 1), df = 39. R: `svyciprop(~y, svydesign(id=~1, weights=~w,
    /// data=data.frame(y=c(1, rep(0, 39)), w=1)), method=m)`.
    #[test]
    fn one_in_forty_matches_svyciprop() {
        let (p, n) = (0.025, 40);
        let se = (p * (1.0 - p) / 39.0_f64).sqrt();
        let at = |method| {
            let spec = IntervalSpec {
                method,
                confidence: 0.95,
                df: 39.0,
            };
            share_interval(&spec, p, se, n).unwrap()
        };
        let close =
            |(a, b): (f64, f64), (x, y): (f64, f64)| (a - x).abs() < 1e-11 && (b - y).abs() < 1e-11;
        assert!(close(
            at(ShareInterval::XLogit),
            (0.00321048876768547, 0.169523671169527)
        ));
        assert!(close(
            at(ShareInterval::Beta),
            (0.000583322339679093, 0.133745709883334)
        ));
        assert!(close(
            at(ShareInterval::Mean),
            (-0.025567273000919, 0.075567273000919)
        ));
    }

    #[test]
    fn no_logit_interval_at_zero() {
        let spec = IntervalSpec {
            method: ShareInterval::Logit,
            confidence: 0.95,
            df: 10.0,
        };
        assert_eq!(share_interval(&spec, 0.0, 0.0, 40), None);
    }
}
