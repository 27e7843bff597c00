//! Mergeable sufficient statistics and the estimates finished from them.
//!
//! Every grouped estimate is built from sums that add across groups, so a parent's numbers
//! are the sum of its children's (suppressed children included), and yearly or partial
//! results combine without re-reading raw answers.

use crate::design::interval::{share_interval, IntervalSpec, ShareInterval};
use crate::error::EstimateError;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

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

/// Weighted answer counts for percent positive / neutral / negative, and what the standard
/// error of percent positive needs. A dimension's or the index's share pools several answers
/// of each respondent, so its variance treats the respondent as a cluster: with `a_i` the
/// respondent's answers and `b_i` the positive ones (both 0/1 for an item), the ratio
/// `p = Σ w b / Σ w a` has the linearised variance `Σ w² (b − p a)² / (Σ w a)²`, which needs
/// `Σ w² b²`, `Σ w² a b` and `Σ w² a²` and the respondents who answered.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Shares {
    pub answers: u64,
    pub w_total: f64,
    pub w_positive: f64,
    pub w_neutral: f64,
    /// Respondents with at least one answer to the measure.
    pub answering: u64,
    pub w2_pos2: f64,
    pub w2_pos_ans: f64,
    pub w2_ans2: f64,
}

impl Shares {
    pub fn merge(&mut self, o: &Shares) {
        self.answers += o.answers;
        self.w_total += o.w_total;
        self.w_positive += o.w_positive;
        self.w_neutral += o.w_neutral;
        self.answering += o.answering;
        self.w2_pos2 += o.w2_pos2;
        self.w2_pos_ans += o.w2_pos_ans;
        self.w2_ans2 += o.w2_ans2;
    }

    /// Adds one respondent's `answers` answers, `positive` of them positive, weighted `w`.
    #[inline]
    pub fn add_respondent(&mut self, answers: f64, positive: f64, w: f64) {
        let w2 = w * w;
        self.answering += 1;
        self.w2_pos2 += w2 * positive * positive;
        self.w2_pos_ans += w2 * positive * answers;
        self.w2_ans2 += w2 * answers * answers;
    }

    /// `Σ w² (b − p a)²` at the share `p` (clamped at 0 against rounding).
    fn squared_residuals(&self, p: f64) -> f64 {
        (self.w2_pos2 - 2.0 * p * self.w2_pos_ans + p * p * self.w2_ans2).max(0.0)
    }
}

/// How finite-population corrections and critical values are taken, the same way in
/// `estimate`, `design_estimate` and `compare_waves`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Convention {
    /// R `survey`: variances from the sample variance `S²` (divisor `n − 1`, so `n/(n − 1)`
    /// in the linearised sums: svymean), finite-population factor `1 − n/N`, t quantiles
    /// on `n − 1` degrees of freedom (the design's for a design).
    Survey,
    /// The UK Civil Service People Survey's: finite-population factor `(N − n)/(N − 1)`;
    /// shares with `p(1 − p)/n` and normal quantiles (z tests for proportions, the margin
    /// `z · √(p(1−p)/n · (N−n)/(N−1))`), means with the sample variance and t on `n − 1`
    /// (t tests for indices).
    PeopleSurvey,
}

crate::choice!(Convention, "convention", {
    Survey => "survey",
    PeopleSurvey => "people_survey",
});

impl Convention {
    /// The finite-population factor for `n` of `population` (1 when it is unknown).
    pub fn fpc(self, n: f64, population: Option<f64>) -> f64 {
        match (self, population) {
            (_, None) => 1.0,
            (Convention::Survey, Some(big_n)) => (1.0 - n / big_n).max(0.0),
            (Convention::PeopleSurvey, Some(big_n)) if big_n > 1.0 => {
                ((big_n - n) / (big_n - 1.0)).max(0.0)
            }
            (Convention::PeopleSurvey, Some(_)) => 0.0,
        }
    }

    /// Degrees of freedom of an estimate from `n` independent units (infinite: normal):
    /// `n − 1`, but normal for the People Survey's shares.
    pub fn df(self, n: f64, share: bool) -> f64 {
        match self {
            Convention::PeopleSurvey if share => f64::INFINITY,
            _ => n - 1.0,
        }
    }

    /// Whether estimates of this kind are tested on the normal rather than on t.
    pub fn normal(self, share: bool) -> bool {
        self == Convention::PeopleSurvey && share
    }

    /// The interval of shares when none is asked for: R `svyciprop`'s logit, or the People
    /// Survey's symmetric one.
    pub fn default_share_interval(self) -> ShareInterval {
        match self {
            Convention::Survey => ShareInterval::Logit,
            Convention::PeopleSurvey => ShareInterval::Mean,
        }
    }

    /// The `n/(n − 1)` of a sample variance, which the People Survey's shares do without.
    pub fn variance_correction(self, n: f64, share: bool) -> f64 {
        match self {
            Convention::PeopleSurvey if share => 1.0,
            _ => n / (n - 1.0),
        }
    }
}

/// How every estimate of one table is finished.
#[derive(Debug, Clone, Copy)]
pub struct FinishSpec {
    pub confidence: f64,
    pub convention: Convention,
    /// The interval of percent positive.
    pub share_interval: ShareInterval,
}

impl FinishSpec {
    /// R's conventions and `svyciprop`'s default (logit) interval for shares.
    pub fn survey(confidence: f64) -> Self {
        FinishSpec {
            confidence,
            convention: Convention::Survey,
            share_interval: ShareInterval::Logit,
        }
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
    /// Standard error and interval of percent positive, in percentage points.
    pub pct_positive_se: Option<f64>,
    pub pct_positive_ci: Option<(f64, f64)>,
}

/// Two-sided t critical value for `confidence` with `df` degrees of freedom.
pub fn t_critical(confidence: f64, df: f64) -> Result<f64, EstimateError> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(EstimateError::Parameter {
            parameter: "confidence".into(),
            message: format!("must be between 0 and 1 (e.g. 0.95), got {confidence}"),
        });
    }
    two_sided_quantile(confidence, df).ok_or_else(|| EstimateError::Parameter {
        parameter: "confidence".into(),
        message: format!("no t distribution with {df} degrees of freedom"),
    })
}

/// The two-sided p-value of a t (or, with infinite `df`, normal) statistic; NaN when the
/// statistic or `df` is not usable (statrs panics on a NaN argument).
pub fn two_sided_p(statistic: f64, df: f64) -> f64 {
    if !statistic.is_finite() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    let tail = if df == f64::INFINITY {
        Normal::standard().sf(statistic.abs())
    } else {
        StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |d| d.sf(statistic.abs()))
    };
    2.0 * tail
}

/// The two-sided `confidence` quantile of t with `df` degrees of freedom, the normal one
/// when `df` is infinite (statrs' t does not converge there); `None` for `df` ≤ 0 or NaN,
/// or a `confidence` outside (0, 1).
pub fn two_sided_quantile(confidence: f64, df: f64) -> Option<f64> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return None;
    }
    let q = 0.5 + confidence / 2.0;
    if df == f64::INFINITY {
        return Some(Normal::standard().inverse_cdf(q));
    }
    Some(StudentsT::new(0.0, 1.0, df).ok()?.inverse_cdf(q))
}

/// Finishes moments and shares into an estimate.
///
/// * mean = Σwy / Σw
/// * SD: s² = n/(n−1) · Σw(y−ȳ)² / Σw (the ordinary sample variance when unweighted)
/// * SE = √(n/(n−1) · Σw²(y−ȳ)²) / Σw · √fpc — the with-replacement linearisation
///   estimator of R `svymean` under `svydesign(ids=~1, weights=~w)` (s/√n without weights);
///   the finite-population factor (`Convention::fpc`) applies when N is known.
/// * CI = mean ± t(n−1) · SE.
/// * Percent positive p = Σwb / Σwa with SE² = c · Σw²(b − p a)² / (Σwa)² · fpc over the r
///   respondents who answered (`Shares`), c = r/(r−1) (`Survey`) or 1 (`PeopleSurvey`); its
///   interval by `spec.share_interval` on r − 1 (or infinite) degrees of freedom.
pub fn finish(
    m: &Moments,
    s: &Shares,
    population: Option<f64>,
    spec: &FinishSpec,
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
        finish_share(&mut est, s, population, spec);
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
    let fpc = spec.convention.fpc(n, population);
    let se = (correction * ss_w2).sqrt() / m.sw * fpc.sqrt();
    let t = t_critical(spec.confidence, spec.convention.df(n, false))?;
    est.se = Some(se);
    est.ci_low = Some(mean - t * se);
    est.ci_high = Some(mean + t * se);
    Ok(est)
}

/// The standard error and interval of percent positive (see [`finish`]); none from fewer
/// than 2 respondents.
fn finish_share(est: &mut Estimate, s: &Shares, population: Option<f64>, spec: &FinishSpec) {
    if s.answering < 2 {
        return;
    }
    let r = s.answering as f64;
    let p = s.w_positive / s.w_total;
    let variance = spec.convention.variance_correction(r, true) * s.squared_residuals(p)
        / (s.w_total * s.w_total)
        * spec.convention.fpc(r, population);
    let se = variance.sqrt();
    est.pct_positive_se = Some(se * 100.0);
    let interval = IntervalSpec {
        method: spec.share_interval,
        confidence: spec.confidence,
        df: spec.convention.df(r, true),
    };
    est.pct_positive_ci = share_interval(&interval, p, se, s.answering as usize)
        .map(|(low, high)| (low * 100.0, high * 100.0));
}
