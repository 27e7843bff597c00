//! Presentation flags per estimate, as the US National Center for Health Statistics decides
//! whether a survey estimate is shown, footnoted or reviewed. Each flag is a short code; an
//! estimate without any is fit to present.
//!
//! * Shares (Parker et al. 2017, *NCHS Data Presentation Standards for Proportions*, Vital
//!   Health Stat 2(175), as R `surveytable` implements them): from the Korn–Graubard 95 %
//!   interval and the effective sample size `n* = min(n, p(1−p)/se²)` (`n` at a share of 0
//!   or 1, whose interval width then counts as 0):
//!   `Px` suppress — `n* < 30`, or width ≥ 0.30, or width in (0.05, 0.30) and width / p >
//!   1.30; `Pc` footnote — shown, width in (0.05, 0.30) and width / (1 − p) > 1.30 (the
//!   complement would be suppressed); `Pdf` review — shown with fewer than 8 degrees of
//!   freedom; `P0` review — shown at 0 % or 100 %.
//! * Totals (Parker et al. 2023, *NCHS Data Presentation Standards for Rates and Counts*,
//!   Vital Health Stat 2(200), Table A): `Cx` suppress — fewer than 10 rows, or the 95 %
//!   log-t interval `x·exp(±t_df·se/x)` wider than 160 % of the total; `Cdf` review — shown
//!   with fewer than 8 degrees of freedom.
//! * Means have no NCHS standard; the older NCHS "30/30" rule is applied: `Mx` suppress —
//!   fewer than 30 rows; `Mr` footnote — relative standard error `se/|x|` of 30 % or more;
//!   `Mdf` review — shown with fewer than 8 degrees of freedom.
//!
//! Quantiles get no flags (NCHS has no standard for them).
//!
//! Every input is a published figure of the row (estimate, se, n, degrees of freedom), so
//! a flag tells a reader nothing the row does not.

use super::estimate::{DomainEstimate, Statistic};
use super::interval::{share_interval, IntervalSpec, ShareInterval};

/// The standards are stated for 95 % intervals whatever the table's own coverage.
const STANDARD_CONFIDENCE: f64 = 0.95;

/// The flags of one shown estimate with `df` degrees of freedom, space-separated; `None`
/// when it is fit to present.
pub fn presentation_flags(statistic: Statistic, e: &DomainEstimate, df: f64) -> Option<String> {
    let flags = match statistic {
        Statistic::Proportion => share_flags(e, df),
        Statistic::Total => total_flags(e, df),
        Statistic::Mean => mean_flags(e, df),
        // No NCHS standard for quantiles.
        Statistic::Quantile => Vec::new(),
    };
    (!flags.is_empty()).then(|| flags.join(" "))
}

fn share_flags(e: &DomainEstimate, df: f64) -> Vec<&'static str> {
    let (p, n) = (e.estimate, e.n as f64);
    let extreme = p <= 0.0 || p >= 1.0;
    let spec = IntervalSpec {
        method: ShareInterval::Beta,
        confidence: STANDARD_CONFIDENCE,
        df,
    };
    let width = if extreme {
        0.0
    } else {
        match share_interval(&spec, p, e.se, e.n) {
            Some((low, high)) => high - low,
            // No interval (a standard error of 0 inside (0, 1)): nothing to judge it by.
            None => f64::INFINITY,
        }
    };
    let effective = if extreme || e.se <= 0.0 {
        n
    } else {
        (p * (1.0 - p) / (e.se * e.se)).min(n)
    };
    let middle = width > 0.05 && width < 0.30;
    if effective < 30.0 || width >= 0.30 || (middle && width / p > 1.30) {
        return vec!["Px"];
    }
    let mut flags = Vec::new();
    if middle && width / (1.0 - p) > 1.30 {
        flags.push("Pc");
    }
    if df < 8.0 {
        flags.push("Pdf");
    }
    if extreme {
        flags.push("P0");
    }
    flags
}

fn total_flags(e: &DomainEstimate, df: f64) -> Vec<&'static str> {
    let relative_width = t_quantile(df)
        .filter(|_| e.estimate > 0.0)
        .map_or(f64::INFINITY, |t| {
            let a = t * e.se / e.estimate;
            a.exp() - (-a).exp()
        });
    if e.n < 10 || relative_width > 1.60 {
        return vec!["Cx"];
    }
    degrees_flag(df, "Cdf")
}

fn mean_flags(e: &DomainEstimate, df: f64) -> Vec<&'static str> {
    if e.n < 30 {
        return vec!["Mx"];
    }
    let mut flags = Vec::new();
    if e.se >= 0.30 * e.estimate.abs() {
        flags.push("Mr");
    }
    flags.extend(degrees_flag(df, "Mdf"));
    flags
}

fn degrees_flag(df: f64, code: &'static str) -> Vec<&'static str> {
    if df < 8.0 {
        vec![code]
    } else {
        Vec::new()
    }
}

fn t_quantile(df: f64) -> Option<f64> {
    crate::estimate::stats::two_sided_quantile(STANDARD_CONFIDENCE, df)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(p: f64, se: f64, n: usize) -> DomainEstimate {
        DomainEstimate {
            estimate: p,
            se,
            n,
            n_eff: n as f64,
            deff: 1.0,
            deff_replace: 1.0,
        }
    }

    fn srs_se(p: f64, n: usize) -> f64 {
        (p * (1.0 - p) / (n as f64 - 1.0)).sqrt()
    }

    fn flags(statistic: Statistic, e: DomainEstimate, df: f64) -> Option<String> {
        presentation_flags(statistic, &e, df)
    }

    #[test]
    fn small_effective_sample_is_suppressed() {
        // 29 rows: n* ≤ n < 30 whatever the share.
        let e = share(0.5, srs_se(0.5, 29), 29);
        assert_eq!(flags(Statistic::Proportion, e, 28.0).as_deref(), Some("Px"));
    }

    #[test]
    fn narrow_interval_is_presented() {
        // p = 0.5 of 2,000 under SRS: Korn–Graubard width ≈ 0.044 ≤ 0.05.
        let e = share(0.5, srs_se(0.5, 2000), 2000);
        assert_eq!(flags(Statistic::Proportion, e, 1999.0), None);
    }

    #[test]
    fn wide_interval_is_suppressed() {
        // p = 0.5 of 40: width ≈ 0.33 ≥ 0.30.
        let e = share(0.5, srs_se(0.5, 40), 40);
        assert_eq!(flags(Statistic::Proportion, e, 39.0).as_deref(), Some("Px"));
    }

    /// R: `svyciprop(~y, svydesign(id=~1, weights=~w, data=data.frame(y=c(rep(1, k),
    /// rep(0, 200 - k)), w=1)), method="beta")`: k = 10 gives [0.02418159, 0.09015433]
    /// (width 0.0660, 132 % of 0.05); k = 14 gives [0.03872870, 0.11479631] (109 % of 0.07).
    #[test]
    fn relative_width_rule_on_both_sides_of_130_percent() {
        let spec = IntervalSpec {
            method: ShareInterval::Beta,
            confidence: 0.95,
            df: 199.0,
        };
        let (low, high) = share_interval(&spec, 0.05, srs_se(0.05, 200), 200).unwrap();
        assert!((low - 0.0241815874840822).abs() < 1e-10);
        assert!((high - 0.0901543278001529).abs() < 1e-10);
        let at = |p: f64| flags(Statistic::Proportion, share(p, srs_se(p, 200), 200), 199.0);
        assert_eq!(at(0.05).as_deref(), Some("Px"));
        // The complement of a suppressed share is shown with a footnote.
        assert_eq!(at(0.95).as_deref(), Some("Pc"));
        assert_eq!(at(0.07), None);
    }

    #[test]
    fn few_degrees_of_freedom_and_extreme_shares_are_reviewed() {
        let e = share(0.5, 0.005, 2000);
        assert_eq!(flags(Statistic::Proportion, e, 6.0).as_deref(), Some("Pdf"));
        let none = share(0.0, 0.0, 40);
        assert_eq!(
            flags(Statistic::Proportion, none, 39.0).as_deref(),
            Some("P0")
        );
    }

    #[test]
    fn totals_and_means() {
        let total = |x: f64, se: f64, n: usize| DomainEstimate {
            estimate: x,
            ..share(x, se, n)
        };
        assert_eq!(
            flags(Statistic::Total, total(100.0, 5.0, 9), 8.0).as_deref(),
            Some("Cx")
        );
        assert_eq!(flags(Statistic::Total, total(100.0, 5.0, 50), 49.0), None);
        // t·se/x large: the log-t interval is wider than 160 % of the total.
        assert_eq!(
            flags(Statistic::Total, total(100.0, 60.0, 50), 49.0).as_deref(),
            Some("Cx")
        );
        assert_eq!(
            flags(Statistic::Total, total(100.0, 5.0, 50), 4.0).as_deref(),
            Some("Cdf")
        );
        assert_eq!(
            flags(Statistic::Mean, total(3.0, 0.1, 29), 28.0).as_deref(),
            Some("Mx")
        );
        assert_eq!(
            flags(Statistic::Mean, total(3.0, 1.0, 30), 29.0).as_deref(),
            Some("Mr")
        );
        assert_eq!(
            flags(Statistic::Mean, total(3.0, 1.0, 30), 5.0).as_deref(),
            Some("Mr Mdf")
        );
        assert_eq!(flags(Statistic::Mean, total(3.0, 0.1, 30), 29.0), None);
    }
}
