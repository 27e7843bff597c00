//! Status of a target from a unit's series: met, on track or off track.
//!
//! A target is "at least `value` by `year`" (or "at most" for measures that should fall).
//! It is **met** when the latest published estimate reaches it. Otherwise the series'
//! linear trend, fitted by weighted least squares with weights `1/se²`, is projected to the
//! target year: **on track** when the projection reaches the target, **off track** when
//! it does not. One published year cannot show a trend: the status is then "no trend".

/// One published year of a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub year: f64,
    pub mean: f64,
    pub se: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    AtLeast,
    AtMost,
}

crate::choice!(Direction, "direction", {
    AtLeast => "at_least",
    AtMost => "at_most",
});

#[derive(Debug, Clone, PartialEq)]
pub struct TargetStatus {
    pub status: &'static str,
    pub latest_year: Option<f64>,
    pub latest: Option<f64>,
    /// Change per year of the fitted trend.
    pub slope: Option<f64>,
    pub slope_se: Option<f64>,
    /// The trend's value in the target year.
    pub projected: Option<f64>,
}

fn reaches(value: f64, target: f64, direction: Direction) -> bool {
    match direction {
        Direction::AtLeast => value >= target,
        Direction::AtMost => value <= target,
    }
}

/// Weighted least-squares line through the points: (intercept at `centre`, slope, slope SE).
fn fit(points: &[Point]) -> Option<(f64, f64, f64, f64)> {
    let weight = |p: &Point| if p.se > 0.0 { 1.0 / (p.se * p.se) } else { 1.0 };
    let sw: f64 = points.iter().map(weight).sum();
    let centre = points.iter().map(|p| weight(p) * p.year).sum::<f64>() / sw;
    let level = points.iter().map(|p| weight(p) * p.mean).sum::<f64>() / sw;
    let sxx: f64 = points
        .iter()
        .map(|p| weight(p) * (p.year - centre).powi(2))
        .sum();
    if sxx <= 0.0 {
        return None;
    }
    let sxy: f64 = points
        .iter()
        .map(|p| weight(p) * (p.year - centre) * (p.mean - level))
        .sum();
    let slope = sxy / sxx;
    // With known sampling SEs as weights, Var(slope) = 1 / Σ w (x − x̄)².
    Some((centre, level, slope, (1.0 / sxx).sqrt()))
}

/// The status of "`direction` `target` by `target_year`" given the published points.
pub fn target_status(
    points: &[Point],
    target: f64,
    target_year: f64,
    direction: Direction,
) -> TargetStatus {
    let mut sorted = points.to_vec();
    sorted.sort_by(|a, b| a.year.total_cmp(&b.year));
    let latest = sorted.last().copied();
    let line = fit(&sorted);
    let projected = line.map(|(centre, level, slope, _)| level + slope * (target_year - centre));
    let status = match (latest, projected) {
        (None, _) => "no published estimate",
        (Some(l), _) if reaches(l.mean, target, direction) => "met",
        (Some(_), None) => "no trend",
        (Some(_), Some(p)) if reaches(p, target, direction) => "on track",
        (Some(_), Some(_)) => "off track",
    };
    TargetStatus {
        status,
        latest_year: latest.map(|p| p.year),
        latest: latest.map(|p| p.mean),
        slope: line.map(|l| l.2),
        slope_se: line.map(|l| l.3),
        projected,
    }
}
