//! Mergeable sufficient statistics and the estimates finished from them.
//!
//! Every grouped estimate is built from sums that add across groups, so a parent's numbers
//! are the sum of its children's (suppressed children included), and yearly or partial
//! results combine without re-reading raw answers.

use crate::error::EstimateError;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Weighted moments of one measure in one group. With all weights 1 they are plain sums.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Moments {
    pub n: u64,
    pub sw: f64,
    pub swy: f64,
    pub swy2: f64,
    pub sw2: f64,
    pub sw2y: f64,
    pub sw2y2: f64,
}

impl Moments {
    #[inline]
    pub fn add(&mut self, y: f64, w: f64) {
        let wy = w * y;
        self.n += 1;
        self.sw += w;
        self.swy += wy;
        self.swy2 += wy * y;
        self.sw2 += w * w;
        self.sw2y += w * wy;
        self.sw2y2 += w * wy * y;
    }

    pub fn merge(&mut self, o: &Moments) {
        self.n += o.n;
        self.sw += o.sw;
        self.swy += o.swy;
        self.swy2 += o.swy2;
        self.sw2 += o.sw2;
        self.sw2y += o.sw2y;
        self.sw2y2 += o.sw2y2;
    }
}

/// Weighted answer counts for percent positive / neutral / negative.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Shares {
    pub answers: u64,
    pub w_total: f64,
    pub w_positive: f64,
    pub w_neutral: f64,
}

impl Shares {
    pub fn merge(&mut self, o: &Shares) {
        self.answers += o.answers;
        self.w_total += o.w_total;
        self.w_positive += o.w_positive;
        self.w_neutral += o.w_neutral;
    }
}

/// A finished estimate; `None` fields are undefined for the group (e.g. SD of one answer).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Estimate {
    pub n: u64,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub se: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub pct_positive: Option<f64>,
    pub pct_neutral: Option<f64>,
    pub pct_negative: Option<f64>,
}

/// Two-sided t critical value for `confidence` with `df` degrees of freedom.
pub fn t_critical(confidence: f64, df: f64) -> Result<f64, EstimateError> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(EstimateError::Parameter {
            parameter: "confidence".into(),
            message: format!("must be between 0 and 1 (e.g. 0.95), got {confidence}"),
        });
    }
    let t = StudentsT::new(0.0, 1.0, df).map_err(|e| EstimateError::Parameter {
        parameter: "confidence".into(),
        message: format!("t distribution with {df} degrees of freedom: {e}"),
    })?;
    Ok(t.inverse_cdf(0.5 + confidence / 2.0))
}

/// Finishes moments and shares into an estimate.
///
/// * mean = Σwy / Σw
/// * SD: s² = n/(n−1) · Σw(y−ȳ)² / Σw (the ordinary sample variance when unweighted)
/// * SE = √(n/(n−1) · Σw²(y−ȳ)²) / Σw · √(1 − n/N) — the with-replacement linearisation
///   estimator (R: `svymean` under `svydesign(ids=~1, weights=~w)`), reducing to s/√n without
///   weights; the finite-population factor applies when the population size N is known.
/// * CI = mean ± t(1−α/2, n−1) · SE.
pub fn finish(
    m: &Moments,
    s: &Shares,
    population: Option<f64>,
    confidence: f64,
) -> Result<Estimate, EstimateError> {
    let mut est = Estimate {
        n: m.n,
        ..Estimate::default()
    };
    if s.w_total > 0.0 {
        let pos = s.w_positive / s.w_total * 100.0;
        let neu = s.w_neutral / s.w_total * 100.0;
        est.pct_positive = Some(pos);
        est.pct_neutral = Some(neu);
        est.pct_negative = Some((100.0 - pos - neu).max(0.0));
    }
    if m.n == 0 || m.sw <= 0.0 {
        return Ok(est);
    }
    let mean = m.swy / m.sw;
    est.mean = Some(mean);
    if m.n < 2 {
        return Ok(est);
    }
    let n = m.n as f64;
    let correction = n / (n - 1.0);
    // Σw(y−ȳ)² and Σw²(y−ȳ)², clamped at 0 against rounding in near-constant groups.
    let ss_w = (m.swy2 - mean * m.swy).max(0.0);
    let ss_w2 = (m.sw2y2 - 2.0 * mean * m.sw2y + mean * mean * m.sw2).max(0.0);
    est.sd = Some((correction * ss_w / m.sw).sqrt());
    let fpc = match population {
        Some(big_n) => (1.0 - n / big_n).max(0.0),
        None => 1.0,
    };
    let se = (correction * ss_w2).sqrt() / m.sw * fpc.sqrt();
    let t = t_critical(confidence, n - 1.0)?;
    est.se = Some(se);
    est.ci_low = Some(mean - t * se);
    est.ci_high = Some(mean + t * se);
    Ok(est)
}
