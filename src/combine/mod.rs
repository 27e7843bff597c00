//! The combined EPL picture: per unit and dimension, a weighted mean of what the sources
//! (staff survey, citizen survey, coded interviews) say, with a propagated interval, and
//! triangulation flags where two sources disagree beyond their uncertainty.
//!
//! Sources are independent samples of different people, so the variance of the weighted
//! mean is `Σ w_s² se_s²` (weights renormalised over the sources present). Two sources
//! disagree when `|a − b| > z · sqrt(se_a² + se_b²)` — a two-sided z test of their
//! difference at the chosen confidence.

pub mod frame;

use crate::error::EstimateError;
use statrs::distribution::{ContinuousCDF, Normal};

/// One source's estimate for a unit and dimension (0–100).
#[derive(Debug, Clone, PartialEq)]
pub struct SourceValue {
    pub source: String,
    pub score: f64,
    pub se: f64,
    /// The source's weight before renormalisation over the sources present.
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Combined {
    pub score: f64,
    pub se: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Names of the contributing sources, in input order.
    pub sources: Vec<String>,
    /// One sentence per pair of sources that disagree.
    pub disagreements: Vec<String>,
}

/// The two-sided normal quantile for `confidence`.
pub fn z_for(confidence: f64) -> Result<f64, EstimateError> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(EstimateError::Parameter {
            parameter: "confidence".into(),
            message: format!("must be in (0, 1), got {confidence}"),
        });
    }
    let normal = Normal::standard();
    Ok(normal.inverse_cdf(0.5 + confidence / 2.0))
}

/// Combines the sources present for one unit and dimension; `None` without any.
pub fn combine(values: &[SourceValue], z: f64) -> Option<Combined> {
    let total: f64 = values.iter().map(|v| v.weight).sum();
    if values.is_empty() || total <= 0.0 {
        return None;
    }
    let score = values.iter().map(|v| v.weight * v.score).sum::<f64>() / total;
    let variance = values
        .iter()
        .map(|v| (v.weight / total).powi(2) * v.se * v.se)
        .sum::<f64>();
    let se = variance.sqrt();
    Some(Combined {
        score,
        se,
        ci_low: score - z * se,
        ci_high: score + z * se,
        sources: values.iter().map(|v| v.source.clone()).collect(),
        disagreements: disagreements(values, z),
    })
}

fn disagreements(values: &[SourceValue], z: f64) -> Vec<String> {
    let mut out = Vec::new();
    for (i, a) in values.iter().enumerate() {
        for b in &values[i + 1..] {
            let se = (a.se * a.se + b.se * b.se).sqrt();
            let diff = a.score - b.score;
            if se > 0.0 && diff.abs() > z * se {
                let (hi, lo) = if diff > 0.0 { (a, b) } else { (b, a) };
                out.push(format!(
                    "{} {:.1} vs {} {:.1} (difference {:.1}, z = {:.1})",
                    hi.source,
                    hi.score,
                    lo.source,
                    lo.score,
                    diff.abs(),
                    diff.abs() / se
                ));
            }
        }
    }
    out
}
