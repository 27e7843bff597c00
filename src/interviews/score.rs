//! Scores from coded segments: the balance of positive and negative evidence on a
//! dimension, shrunk toward neutral when there is little of it.
//!
//! With `p` positive and `n` negative segments (fractional when a rated code or several
//! coders share a segment) and prior strength `a`, the score is the mean of the
//! Beta(p + a, n + a) distribution on 0–100, `100 (p + a) / (p + n + 2a)`, and the interval
//! its central quantiles. `a` pseudo-segments on each side pull few segments toward 50
//! (two positive segments and nothing else give 67 with `a = 2`, not 100); with many
//! segments the score approaches the plain share positive.

use crate::error::InterviewError;
use statrs::distribution::{Beta, ContinuousCDF};

/// Evidence on one dimension from a set of coded segments.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Evidence {
    pub positive: f64,
    pub negative: f64,
    /// Segments on the dimension that speak neither way (not in the score; reported).
    pub neutral: f64,
}

impl Evidence {
    pub fn add(&mut self, other: &Evidence) {
        self.positive += other.positive;
        self.negative += other.negative;
        self.neutral += other.neutral;
    }

    pub fn scale(&self, factor: f64) -> Evidence {
        Evidence {
            positive: self.positive * factor,
            negative: self.negative * factor,
            neutral: self.neutral * factor,
        }
    }
}

/// A 0–100 score with its interval, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub struct BalanceScore {
    pub score: Result<f64, String>,
    pub interval: Option<(f64, f64)>,
}

pub fn check_parameters(prior: f64, confidence: f64) -> Result<(), InterviewError> {
    if !(prior.is_finite() && prior > 0.0) {
        return Err(InterviewError::Parameter {
            parameter: "prior".into(),
            message: format!(
                "must be a positive number of pseudo-segments on each side (2 is the default), not {prior}"
            ),
        });
    }
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(InterviewError::Parameter {
            parameter: "confidence".into(),
            message: format!("must be between 0 and 1, not {confidence}"),
        });
    }
    Ok(())
}

/// The shrunken balance score of `e`; no score when nothing positive or negative was coded.
pub fn balance_score(e: &Evidence, prior: f64, confidence: f64) -> BalanceScore {
    if e.positive + e.negative <= 0.0 {
        return BalanceScore {
            score: Err("no positive or negative segment on this dimension".into()),
            interval: None,
        };
    }
    let (alpha, beta) = (e.positive + prior, e.negative + prior);
    let score = 100.0 * alpha / (alpha + beta);
    let interval = Beta::new(alpha, beta).ok().map(|b| {
        let tail = (1.0 - confidence) / 2.0;
        (
            100.0 * b.inverse_cdf(tail),
            100.0 * b.inverse_cdf(1.0 - tail),
        )
    });
    BalanceScore {
        score: Ok(score),
        interval,
    }
}
