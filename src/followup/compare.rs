//! Change between two waves for one group and measure, and multiple-testing adjustment.
//!
//! Both follow the tables' [`Convention`] (the one `estimate` used):
//! * Means: `change ± q · SE`, `SE = √(SE₁² + SE₂²)` from the published estimates (their SEs
//!   already carry the finite-population factor); `Survey`: Welch's t with
//!   Welch–Satterthwaite `df = SE⁴ / (SE₁⁴/(n₁−1) + SE₂⁴/(n₂−1))` (without FPC exactly
//!   `scipy.stats.ttest_ind_from_stats(..., equal_var=False)`); `PeopleSurvey`: the normal
//!   test. Effect size Cohen's d on the pooled SD.
//! * Percent positive: the published standard errors of percent positive when the tables
//!   have them, otherwise `p(1−p)/(n−1) · (1 − n/N)` (`Survey`) or `p(1−p)/n · (N−n)/(N−1)`
//!   (`PeopleSurvey`, the finite-population margin of the UK People Survey); tested as the
//!   means are. Effect size Cohen's h.

use crate::estimate::stats::{two_sided_p, two_sided_quantile, Convention};

/// A published estimate of one group in one wave.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    pub n: f64,
    pub mean: f64,
    pub sd: f64,
    pub se: f64,
}

/// A change with its test; `None` where the data cannot define it (see `note`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Change {
    pub change: f64,
    pub se: Option<f64>,
    pub df: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub statistic: Option<f64>,
    pub p_value: Option<f64>,
    pub effect_size: Option<f64>,
    pub note: Option<String>,
}

/// Welch's t test of `later.mean − earlier.mean` (both conventions: the People Survey tests
/// indices by t too; their SEs already carry the convention's finite-population factor).
pub fn mean_change(earlier: &Cell, later: &Cell, confidence: f64) -> Change {
    let mut out = Change {
        change: later.mean - earlier.mean,
        ..Change::default()
    };
    if earlier.n < 2.0 || later.n < 2.0 {
        out.note = Some("fewer than 2 answers in a wave: no test".into());
        return out;
    }
    out.effect_size = cohens_d(earlier, later, out.change);
    let waves = [(earlier.se, earlier.n), (later.se, later.n)];
    // Welch's t under either convention (the People Survey's t tests for indices).
    test_difference(
        &mut out,
        waves,
        confidence,
        false,
        "no variation within either wave (SE 0): no test",
    );
    out
}

/// Fills the test of `out.change` from each wave's (SE, n): `SE = √(SE₁² + SE₂²)`, Welch's
/// degrees of freedom, or the normal when `normal`.
fn test_difference(
    out: &mut Change,
    waves: [(f64, f64); 2],
    confidence: f64,
    normal: bool,
    no_variation: &str,
) {
    let [(se1, n1), (se2, n2)] = waves;
    let (v1, v2) = (se1 * se1, se2 * se2);
    let se = (v1 + v2).sqrt();
    if se.is_finite() && se <= 0.0 {
        out.note = Some(no_variation.into());
        return;
    }
    let df = if normal {
        f64::INFINITY
    } else {
        (v1 + v2).powi(2) / (v1 * v1 / (n1 - 1.0) + v2 * v2 / (n2 - 1.0))
    };
    // A missing or non-finite SE in a published table (a hand-made or damaged input) gives
    // no test rather than a panic.
    let statistic = out.change / se;
    let p_value = two_sided_p(statistic, df);
    let Some(crit) = two_sided_quantile(confidence, df).filter(|_| p_value.is_finite()) else {
        out.note = Some("no standard error in a wave: no test".into());
        return;
    };
    out.se = Some(se);
    out.df = df.is_finite().then_some(df);
    out.statistic = Some(statistic);
    out.p_value = Some(p_value);
    out.ci_low = Some(out.change - crit * se);
    out.ci_high = Some(out.change + crit * se);
}

fn cohens_d(earlier: &Cell, later: &Cell, change: f64) -> Option<f64> {
    let pooled = ((earlier.n - 1.0) * earlier.sd.powi(2) + (later.n - 1.0) * later.sd.powi(2))
        / (earlier.n + later.n - 2.0);
    (pooled > 0.0).then(|| change / pooled.sqrt())
}

/// A share (0–1) of `n` answers from a population of `population` (when known), with its
/// published standard error when the table has one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Share {
    pub p: f64,
    pub n: f64,
    pub population: Option<f64>,
    pub se: Option<f64>,
}

impl Share {
    /// The published standard error, or the convention's formula for a single item.
    fn standard_error(&self, convention: Convention) -> f64 {
        if let Some(se) = self.se {
            return se;
        }
        let base = match convention {
            Convention::Survey => self.n - 1.0,
            Convention::PeopleSurvey => self.n,
        };
        (self.p * (1.0 - self.p) / base * convention.fpc(self.n, self.population)).sqrt()
    }
}

/// Test of `later.p − earlier.p` (in proportions; scale the output).
pub fn share_change(
    earlier: &Share,
    later: &Share,
    confidence: f64,
    convention: Convention,
) -> Change {
    let mut out = Change {
        change: later.p - earlier.p,
        effect_size: Some(2.0 * later.p.sqrt().asin() - 2.0 * earlier.p.sqrt().asin()),
        ..Change::default()
    };
    if earlier.n < 2.0 || later.n < 2.0 {
        out.note = Some("fewer than 2 answers in a wave: no test".into());
        return out;
    }
    let waves = [
        (earlier.standard_error(convention), earlier.n),
        (later.standard_error(convention), later.n),
    ];
    test_difference(
        &mut out,
        waves,
        confidence,
        convention.normal(true),
        "all answers alike in both waves (SE 0): no test",
    );
    out
}

/// How p-values of a family of tests (one measure across units) are adjusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adjust {
    /// Holm (1979) step-down: controls the family-wise error rate.
    Holm,
    /// Benjamini–Hochberg (1995) step-up: controls the false discovery rate.
    BenjaminiHochberg,
    None,
}

crate::choice!(Adjust, "adjust", {
    Holm => "holm",
    BenjaminiHochberg => "bh",
    None => "none",
}, aliases {
    "fdr_bh" => BenjaminiHochberg,
    "benjamini-hochberg" => BenjaminiHochberg,
});

impl Adjust {
    /// Adjusted p-values in the order of `p` (as R `p.adjust`).
    pub fn apply(self, p: &[f64]) -> Vec<f64> {
        match self {
            Adjust::Holm => holm(p),
            Adjust::BenjaminiHochberg => benjamini_hochberg(p),
            Adjust::None => p.to_vec(),
        }
    }
}

fn ascending_order(p: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    order
}

fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut out = vec![0.0; m];
    let mut running = 0.0_f64;
    for (rank, &i) in ascending_order(p).iter().enumerate() {
        running = running.max(((m - rank) as f64 * p[i]).min(1.0));
        out[i] = running;
    }
    out
}

fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut out = vec![0.0; m];
    let mut running = 1.0_f64;
    for (rank, &i) in ascending_order(p).iter().enumerate().rev() {
        running = running.min(p[i] * m as f64 / (rank + 1) as f64);
        out[i] = running.min(1.0);
    }
    out
}

/// Pools published cells of several units into one (for merged units): exact for unweighted
/// estimates (total n, pooled mean, SD from the within and between sums of squares); the SE
/// is s/√n, times √(1 − n/N) when every unit's headcount is known.
pub fn pool_cells(cells: &[(Cell, Option<f64>)], convention: Convention) -> Cell {
    let n: f64 = cells.iter().map(|(c, _)| c.n).sum();
    let mean = cells.iter().map(|(c, _)| c.n * c.mean).sum::<f64>() / n;
    let ss: f64 = cells
        .iter()
        .map(|(c, _)| (c.n - 1.0) * c.sd.powi(2) + c.n * (c.mean - mean).powi(2))
        .sum();
    let sd = if n > 1.0 {
        (ss / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    let population: Option<f64> = cells.iter().map(|(_, h)| *h).sum();
    let fpc = convention.fpc(n, population);
    Cell {
        n,
        mean,
        sd,
        se: sd / n.sqrt() * fpc.sqrt(),
    }
}
