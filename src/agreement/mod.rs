//! Intercoder agreement: percent agreement, Cohen's κ (unweighted, linear, quadratic),
//! Fleiss' κ, Gwet's AC1/AC2, Brennan–Prediger and Krippendorff's α (nominal, ordinal,
//! interval, ratio), all with missing ratings.
//!
//! Everything but Cohen's κ needs only how many coders gave each category to each unit, so
//! the kernels work on [`UnitCounts`]. The multi-coder formulas with missing ratings are
//! Gwet's (Handbook of Inter-Rater Reliability, 4th ed., ch. 2–3; R `irrCAC`):
//! with `r_ik` coders putting unit i in category k, `r_i = Σ_k r_ik`, agreement weights
//! `w_kl` and `r*_ik = Σ_l w_kl r_il`,
//!
//! * `p_a = mean over units with r_i ≥ 2 of Σ_k r_ik (r*_ik − 1) / (r_i (r_i − 1))`
//! * `π_k = mean over units with r_i ≥ 1 of r_ik / r_i`
//! * Fleiss: `p_e = Σ_kl w_kl π_k π_l`; Gwet: `p_e = T_w / (q(q−1)) · Σ_k π_k (1 − π_k)`,
//!   `T_w = Σ_kl w_kl`; Brennan–Prediger: `p_e = T_w / q²`; coefficient `(p_a − p_e)/(1 − p_e)`.
//!
//! Krippendorff's α from the coincidence matrix (Krippendorff 2011, "Computing
//! Krippendorff's Alpha-Reliability"): `α = 1 − (n − 1) Σ o_ck δ²_ck / Σ n_c n_k δ²_ck`.

use crate::error::AgreementError;
use crate::estimate::stats::{two_sided_p, two_sided_quantile};
use crate::reliability::{percentile_ci, SplitMix64};
use std::collections::HashMap;

mod conger;
pub mod frame;
mod keys;
mod variance;

/// A units × coders table of category numbers (`None` = not coded), plus each category's
/// numeric value (for ordered and metric data; 1, 2, … for text categories).
#[derive(Debug, Clone)]
pub struct Ratings {
    pub units: usize,
    pub coders: usize,
    /// Unit-major: `cells[unit * coders + coder]`.
    pub cells: Vec<Option<u32>>,
    /// Numeric value of each category, ascending.
    pub values: Vec<f64>,
}

/// Level of measurement of the codes (Krippendorff's difference functions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Nominal,
    Ordinal,
    Interval,
    Ratio,
}

crate::choice!(Level, "level", {
    Nominal => "nominal",
    Ordinal => "ordinal",
    Interval => "interval",
    Ratio => "ratio",
});

/// Agreement weights between categories (1 on the diagonal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weights {
    Unweighted,
    Linear,
    Quadratic,
}

crate::choice!(Weights, "weights", {
    Unweighted => "unweighted",
    Linear => "linear",
    Quadratic => "quadratic",
});

impl Weights {
    /// q × q agreement weights on the category values: linear `1 − |x_k − x_l| / range`,
    /// quadratic `1 − (x_k − x_l)² / range²` (as R irrCAC and irr::kappa2 with integer codes).
    pub fn matrix(self, values: &[f64]) -> Vec<Vec<f64>> {
        let range = values.last().copied().unwrap_or(0.0) - values.first().copied().unwrap_or(0.0);
        values
            .iter()
            .map(|&a| {
                values
                    .iter()
                    .map(|&b| match self {
                        _ if a == b => 1.0,
                        Weights::Unweighted => 0.0,
                        _ if range <= 0.0 => 0.0,
                        Weights::Linear => 1.0 - (a - b).abs() / range,
                        Weights::Quadratic => 1.0 - ((a - b) / range).powi(2),
                    })
                    .collect()
            })
            .collect()
    }
}

/// Distinct rating rows (one per pattern of codes across coders) with how often each occurs.
/// Every statistic depends on the units only through these rows, so collapsing identical
/// units makes both the estimate and each bootstrap replicate cost O(patterns), not O(units).
#[derive(Debug, Clone)]
pub struct Patterns {
    pub coders: usize,
    pub rows: Vec<Vec<Option<u32>>>,
    /// For each unit of the input, the index of its row in `rows`.
    pub unit_row: Vec<usize>,
}

impl Patterns {
    pub fn of(r: &Ratings) -> Self {
        let rows_of = r.cells.chunks(r.coders.max(1)).take(r.units);
        if let Some(packing) = RowPacking::new(r.values.len(), r.coders) {
            let keys: Vec<u64> = rows_of.map(|row| packing.pack(row)).collect();
            return Patterns::from_packed(&keys, &packing);
        }
        let mut rows = Vec::new();
        let mut index: HashMap<&[Option<u32>], usize> = HashMap::new();
        let unit_row = rows_of
            .map(|row| {
                *index.entry(row).or_insert_with(|| {
                    rows.push(row.to_vec());
                    rows.len() - 1
                })
            })
            .collect();
        Patterns {
            coders: r.coders,
            rows,
            unit_row,
        }
    }

    /// Patterns from each unit's row packed into one integer (which hashes far faster
    /// than a slice).
    pub fn from_packed(keys: &[u64], packing: &RowPacking) -> Self {
        let mut rows = Vec::new();
        let mut new_pattern = |key: u64| {
            rows.push(packing.unpack(key));
            rows.len() - 1
        };
        // Patterns numbered in the order first seen: through a table of every possible
        // number when there are few (5 categories × 5 coders: 7,776), else a hash map.
        let possible = packing.base.checked_pow(packing.coders as u32);
        let unit_row = match possible.filter(|&n| n <= (keys.len() as u64).max(1 << 16)) {
            Some(n) => {
                let mut index = vec![usize::MAX; n as usize];
                keys.iter()
                    .map(|&key| {
                        let slot = &mut index[key as usize];
                        if *slot == usize::MAX {
                            *slot = new_pattern(key);
                        }
                        *slot
                    })
                    .collect()
            }
            None => {
                let mut index: HashMap<u64, usize, BuildMixHasher> = HashMap::default();
                keys.iter()
                    .map(|&key| *index.entry(key).or_insert_with(|| new_pattern(key)))
                    .collect()
            }
        };
        Patterns {
            coders: packing.coders,
            rows,
            unit_row,
        }
    }

    /// Renumbers the categories to those the rows use and returns their values: the number
    /// of categories matters for Gwet's and Brennan–Prediger's chance agreement, and R
    /// irr/irrCAC count only the categories that occur.
    pub fn keep_used(&mut self, values: &[f64]) -> Vec<f64> {
        let mut used = vec![false; values.len()];
        self.rows
            .iter()
            .flatten()
            .flatten()
            .for_each(|&k| used[k as usize] = true);
        let mut new_index = vec![0u32; values.len()];
        let mut kept = Vec::new();
        for (k, _) in used.iter().enumerate().filter(|(_, &u)| u) {
            new_index[k] = kept.len() as u32;
            kept.push(values[k]);
        }
        self.rows
            .iter_mut()
            .flatten()
            .flatten()
            .for_each(|k| *k = new_index[*k as usize]);
        kept
    }

    /// How many units have each row (the weights of the full sample).
    pub fn frequencies(&self) -> Vec<f64> {
        let mut f = vec![0.0; self.rows.len()];
        self.unit_row.iter().for_each(|&i| f[i] += 1.0);
        f
    }
}

/// A row of `coders` ratings from `q` categories as one base-(q + 1) number, coder 0 the
/// most significant digit and 0 meaning not rated; only when that fits in 64 bits.
pub struct RowPacking {
    base: u64,
    coders: usize,
    /// Place value of each coder's digit.
    place: Vec<u64>,
}

impl RowPacking {
    pub fn new(q: usize, coders: usize) -> Option<Self> {
        let base = q as u64 + 1;
        base.checked_pow(coders as u32)?;
        let place = (0..coders)
            .map(|c| base.pow((coders - 1 - c) as u32))
            .collect();
        Some(RowPacking {
            base,
            coders,
            place,
        })
    }

    /// What category `k` given by `coder` adds to the row's number.
    pub fn digit(&self, coder: usize, k: u32) -> u64 {
        (k as u64 + 1) * self.place[coder]
    }

    fn pack(&self, row: &[Option<u32>]) -> u64 {
        row.iter().fold(0u64, |key, k| {
            key * self.base + k.map_or(0, |k| k as u64 + 1)
        })
    }

    fn unpack(&self, mut key: u64) -> Vec<Option<u32>> {
        let mut row = vec![None; self.coders];
        for slot in row.iter_mut().rev() {
            let d = key % self.base;
            *slot = d.checked_sub(1).map(|k| k as u32);
            key /= self.base;
        }
        row
    }
}

/// Hashing for keys that are already well-spread integers: one multiply (Fibonacci
/// hashing), instead of the DoS-resistant default that costs more than the rest of the
/// pattern count.
#[derive(Default, Clone, Copy)]
struct BuildMixHasher;

#[derive(Default)]
struct MixHasher(u64);

impl std::hash::BuildHasher for BuildMixHasher {
    type Hasher = MixHasher;
    fn build_hasher(&self) -> MixHasher {
        MixHasher(0)
    }
}

impl std::hash::Hasher for MixHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        bytes.iter().for_each(|&b| self.write_u64(b as u64));
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0 ^ x)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(29);
    }
}

/// Per rating row: how many coders gave each category (dense, length q, rows one after
/// another), with the row's weight (number of units with that row). The counts are made
/// once; a bootstrap replicate only changes the weights.
pub struct UnitCounts {
    pub q: usize,
    pub counts: Vec<f64>,
    pub weight: Vec<f64>,
}

impl UnitCounts {
    pub fn of(p: &Patterns, q: usize, weight: &[f64]) -> Self {
        let mut counts = vec![0.0; p.rows.len() * q];
        for (row, c) in p.rows.iter().zip(counts.chunks_mut(q.max(1))) {
            row.iter().flatten().for_each(|&k| c[k as usize] += 1.0);
        }
        UnitCounts {
            q,
            counts,
            weight: weight.to_vec(),
        }
    }

    fn rows(&self) -> impl Iterator<Item = (&[f64], f64)> {
        self.indexed_rows().map(|(_, row)| row)
    }

    /// [`Self::rows`] with each row's index in the patterns.
    fn indexed_rows(&self) -> impl Iterator<Item = (usize, (&[f64], f64))> {
        self.counts
            .chunks(self.q.max(1))
            .zip(self.weight.iter().copied())
            .enumerate()
            .filter(|(_, (_, w))| *w > 0.0)
    }

    /// Units coded by at least two coders (the only ones that say anything about agreement).
    pub fn pairable_units(&self) -> f64 {
        self.rows()
            .filter(|(c, _)| c.iter().sum::<f64>() >= 2.0)
            .map(|(_, w)| w)
            .sum()
    }
}

/// A coefficient, or why it is undefined for these data.
pub type Coefficient = Result<f64, String>;

/// The sums every coefficient of the Gwet family is made of.
pub struct FamilyParts {
    /// Units with at least one rating, and with two or more.
    pub n1: f64,
    pub n2: f64,
    pub pa: f64,
    /// `π_k`: mean share of category k per rated unit.
    pub pi: Vec<f64>,
    /// `T_w = Σ_kl w_kl`.
    pub t_w: f64,
    pub fleiss_pe: f64,
    pub gwet_pe: f64,
    pub bp_pe: f64,
}

const NO_PAIRS: &str = "no unit is coded by two or more coders";

/// Percent agreement and the chance agreement of Fleiss, Gwet and Brennan–Prediger with
/// weights `w`; `None` when no unit has two ratings.
pub fn family_parts(counts: &UnitCounts, w: &[Vec<f64>]) -> Option<FamilyParts> {
    let q = counts.q;
    let (mut pa_sum, mut n2) = (0.0, 0.0);
    let mut pi = vec![0.0; q];
    let mut n1 = 0.0;
    for (c, weight) in counts.rows() {
        let r: f64 = c.iter().sum();
        if r >= 1.0 {
            n1 += weight;
            for k in 0..q {
                pi[k] += weight * c[k] / r;
            }
        }
        if r >= 2.0 {
            n2 += weight;
            pa_sum += weight * variance::unit_agreement(c, w);
        }
    }
    if n2 == 0.0 {
        return None;
    }
    pi.iter_mut().for_each(|p| *p /= n1);
    let t_w: f64 = w.iter().flatten().sum();
    let fleiss_pe: f64 = (0..q)
        .flat_map(|k| (0..q).map(move |l| (k, l)))
        .map(|(k, l)| w[k][l] * pi[k] * pi[l])
        .sum();
    let spread: f64 = pi.iter().map(|p| p * (1.0 - p)).sum();
    // With a single category Gwet's chance agreement is 0/0 (R irrCAC gives NaN).
    let gwet_pe = if q > 1 {
        t_w / (q * (q - 1)) as f64 * spread
    } else {
        1.0
    };
    Some(FamilyParts {
        n1,
        n2,
        pa: pa_sum / n2,
        pi,
        t_w,
        fleiss_pe,
        gwet_pe,
        bp_pe: t_w / (q * q) as f64,
    })
}

fn chance_corrected(pa: f64, pe: f64) -> Coefficient {
    if pe >= 1.0 - 1e-12 {
        Err("only one category is used, so chance agreement is 1 and the coefficient is undefined (observed agreement is in percent_agreement)".into())
    } else {
        Ok((pa - pe) / (1.0 - pe))
    }
}

/// Krippendorff's squared difference δ²_ck between categories `c` and `k`.
fn delta2(level: Level, values: &[f64], marginals: &[f64], c: usize, k: usize) -> f64 {
    if c == k {
        return 0.0;
    }
    let (a, b) = (values[c], values[k]);
    match level {
        Level::Nominal => 1.0,
        Level::Interval => (a - b).powi(2),
        Level::Ratio => ((a - b) / (a + b)).powi(2),
        Level::Ordinal => {
            let (lo, hi) = (c.min(k), c.max(k));
            let between: f64 = marginals[lo..=hi].iter().sum();
            (between - (marginals[c] + marginals[k]) / 2.0).powi(2)
        }
    }
}

/// Krippendorff's α at `level` with its analytic SE; `values` are the category values
/// (ascending).
pub fn krippendorff_alpha(
    counts: &UnitCounts,
    values: &[f64],
    level: Level,
    with_se: bool,
) -> (Coefficient, Option<f64>) {
    let q = counts.q;
    let mut o = vec![0.0; q * q];
    for (c, weight) in counts.rows() {
        let m: f64 = c.iter().sum();
        if m < 2.0 {
            continue;
        }
        for k in (0..q).filter(|&k| c[k] > 0.0) {
            for l in (0..q).filter(|&l| c[l] > 0.0) {
                let pairs = if k == l {
                    c[k] * (c[k] - 1.0)
                } else {
                    c[k] * c[l]
                };
                o[k * q + l] += weight * pairs / (m - 1.0);
            }
        }
    }
    let marginals: Vec<f64> = (0..q).map(|k| (0..q).map(|l| o[k * q + l]).sum()).collect();
    let n: f64 = marginals.iter().sum();
    if n == 0.0 {
        return (Err(NO_PAIRS.into()), None);
    }
    if level == Level::Ratio && values.iter().any(|v| *v < 0.0) {
        return (Err("ratio level needs values ≥ 0".into()), None);
    }
    let d: Vec<Vec<f64>> = (0..q)
        .map(|c| {
            (0..q)
                .map(|k| delta2(level, values, &marginals, c, k))
                .collect()
        })
        .collect();
    let (mut observed, mut expected) = (0.0, 0.0);
    for c in 0..q {
        for k in 0..q {
            observed += o[c * q + k] * d[c][k];
            expected += marginals[c] * marginals[k] * d[c][k];
        }
    }
    if expected == 0.0 {
        return (Err("all pairable values are the same category, so expected disagreement is 0 and α is undefined".into()), None);
    }
    // Gwet's form of α takes agreement weights 1 − δ²/max δ² (the scale of δ² cancels).
    let largest = d.iter().flatten().fold(0.0_f64, |m, &x| m.max(x));
    let w: Vec<Vec<f64>> = d
        .iter()
        .map(|row| row.iter().map(|x| 1.0 - x / largest).collect())
        .collect();
    let se = if with_se {
        variance::krippendorff_se(counts, &w)
    } else {
        None
    };
    (Ok(1.0 - (n - 1.0) * observed / expected), se)
}

/// How the standard errors (and so intervals, z and p) are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeMethod {
    /// Gwet's linearisation (irrCAC), t interval on n − 1 degrees of freedom.
    Analytic,
    /// Resampling units; percentile interval.
    Bootstrap,
}

crate::choice!(SeMethod, "se_method", {
    Analytic => "analytic",
    Bootstrap => "bootstrap",
});

/// What to compute for one group of ratings.
#[derive(Debug, Clone)]
pub struct Request {
    pub level: Level,
    /// Agreement weights of the κ-type coefficients (one row per statistic and weighting).
    pub weights: Vec<Weights>,
    pub se_method: SeMethod,
    /// Bootstrap resamples of units (with `SeMethod::Bootstrap`).
    pub n_boot: usize,
    pub confidence: f64,
    pub seed: u64,
    /// Only these coefficients; `None`: all.
    pub statistics: Option<Vec<AgreementStatistic>>,
}

/// The coefficients, by the names of the output's `statistic` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgreementStatistic {
    PercentAgreement,
    CohenKappa,
    CongerKappa,
    ScottPi,
    FleissKappa,
    GwetAc1,
    GwetAc2,
    BrennanPrediger,
    KrippendorffAlpha,
}

crate::choice!(AgreementStatistic, "statistics", {
    PercentAgreement => "percent_agreement",
    CohenKappa => "cohen_kappa",
    CongerKappa => "conger_kappa",
    ScottPi => "scott_pi",
    FleissKappa => "fleiss_kappa",
    GwetAc1 => "gwet_ac1",
    GwetAc2 => "gwet_ac2",
    BrennanPrediger => "brennan_prediger",
    KrippendorffAlpha => "krippendorff_alpha",
});

impl Request {
    fn wants(&self, statistic: &str) -> bool {
        self.statistics.as_ref().is_none_or(|asked| {
            asked
                .iter()
                .any(|&s| crate::choice::Choice::as_str(s) == statistic)
        })
    }

    /// Whether any coefficient of the weighted family (all but Krippendorff's α) is asked.
    fn wants_family(&self) -> bool {
        self.statistics.as_ref().is_none_or(|asked| {
            asked
                .iter()
                .any(|&s| s != AgreementStatistic::KrippendorffAlpha)
        })
    }

    /// Refuses an empty list, or a coefficient no weighting of the request gives (AC1 is
    /// Gwet's unweighted coefficient, AC2 his weighted one). Names are parsed (and unknown
    /// ones refused) as every option is: [`AgreementStatistic`].
    pub fn check_statistics(&self) -> Result<(), AgreementError> {
        let Some(asked) = &self.statistics else {
            return Ok(());
        };
        let refuse = |message: &str| AgreementError::Parameter {
            parameter: "statistics".into(),
            message: message.into(),
        };
        if asked.is_empty() {
            return Err(refuse(
                "is empty; name at least one coefficient, e.g. \"krippendorff_alpha\"",
            ));
        }
        let unweighted = self.weights.contains(&Weights::Unweighted);
        let weighted = self.weights.iter().any(|&w| w != Weights::Unweighted);
        if asked.contains(&AgreementStatistic::GwetAc1) && !unweighted {
            return Err(refuse(
                "\"gwet_ac1\" is Gwet's unweighted coefficient; add \"unweighted\" to weights",
            ));
        }
        if asked.contains(&AgreementStatistic::GwetAc2) && !weighted {
            return Err(refuse("\"gwet_ac2\" is Gwet's weighted coefficient; add \"linear\" or \"quadratic\" to weights"));
        }
        Ok(())
    }
}

/// One coefficient of one group.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub statistic: &'static str,
    /// Agreement weights; `None` for Krippendorff's α, which uses the level's δ² instead.
    pub weights: Option<Weights>,
    pub value: Coefficient,
    /// Standard error and interval by the request's method.
    pub se: Option<f64>,
    pub ci: Option<(f64, f64)>,
    /// `value / se` and its two-sided p on `df` degrees of freedom (t), testing "no
    /// agreement beyond chance"; none for percent agreement, where 0 is no natural null.
    pub z: Option<f64>,
    pub p_value: Option<f64>,
    /// Units with at least one rating, less one.
    pub df: Option<f64>,
    pub notes: Vec<String>,
}

/// Name of Gwet's coefficient: AC1 unweighted, AC2 with weights.
fn gwet_name(w: Weights) -> &'static str {
    if w == Weights::Unweighted {
        "gwet_ac1"
    } else {
        "gwet_ac2"
    }
}

/// A point estimate with its analytic SE.
struct Point {
    statistic: &'static str,
    weights: Option<Weights>,
    value: Coefficient,
    se: Option<f64>,
}

fn undefined_for(coders: usize, statistic: &str, instead: &str) -> Coefficient {
    Err(format!(
        "{statistic} compares exactly two coders and this group has {coders}; see {instead}"
    ))
}

/// The Gwet-family rows (percent agreement, Fleiss/Scott, Gwet, Brennan–Prediger) and
/// Conger/Cohen for one weighting.
fn weighted_points(
    p: &Patterns,
    counts: &UnitCounts,
    values: &[f64],
    w: Weights,
    with_se: bool,
) -> Vec<Point> {
    let m = w.matrix(values);
    let coders = coders_with_ratings(p, counts);
    let point = |statistic, (value, se): (Coefficient, Option<f64>)| Point {
        statistic,
        weights: Some(w),
        value,
        se,
    };
    let (conger, conger_se) = conger::conger_kappa(p, counts, &m, with_se);
    let two = coders == 2;
    let Some(parts) = family_parts(counts, &m) else {
        let none = || (Err(NO_PAIRS.to_string()), None);
        return [
            "percent_agreement",
            "cohen_kappa",
            "conger_kappa",
            "scott_pi",
            "fleiss_kappa",
            gwet_name(w),
            "brennan_prediger",
        ]
        .into_iter()
        .map(|s| point(s, none()))
        .collect();
    };
    let fleiss = chance_corrected(parts.pa, parts.fleiss_pe);
    // A bootstrap replicate needs the values only.
    let se = |value: &Coefficient, f: &dyn Fn(f64) -> Option<f64>| match value {
        Ok(k) if with_se => f(*k),
        _ => None,
    };
    let fleiss_se = se(&fleiss, &|k| variance::fleiss_se(counts, &m, &parts, k));
    let gwet = chance_corrected(parts.pa, parts.gwet_pe);
    let gwet_se = se(&gwet, &|k| variance::gwet_se(counts, &m, &parts, k));
    let bp = chance_corrected(parts.pa, parts.bp_pe);
    let bp_se = se(&bp, &|k| {
        variance::brennan_prediger_se(counts, &m, &parts, k)
    });
    let pa_se = se(&Ok(parts.pa), &|_| {
        variance::percent_agreement_se(counts, &m, &parts)
    });
    vec![
        point("percent_agreement", (Ok(parts.pa), pa_se)),
        point(
            "cohen_kappa",
            if two {
                (conger.clone(), conger_se)
            } else {
                (undefined_for(coders, "Cohen's κ", "conger_kappa"), None)
            },
        ),
        point("conger_kappa", (conger, conger_se)),
        point(
            "scott_pi",
            if two {
                (fleiss.clone(), fleiss_se)
            } else {
                (undefined_for(coders, "Scott's π", "fleiss_kappa"), None)
            },
        ),
        point("fleiss_kappa", (fleiss, fleiss_se)),
        point(gwet_name(w), (gwet, gwet_se)),
        point("brennan_prediger", (bp, bp_se)),
    ]
}

/// Coders who gave at least one rating among the rows `counts` weights.
fn coders_with_ratings(p: &Patterns, counts: &UnitCounts) -> usize {
    (0..p.coders)
        .filter(|&g| counts.indexed_rows().any(|(i, _)| p.rows[i][g].is_some()))
        .count()
}

/// Every coefficient of `req` on rating rows `p` with their `counts` (whose weights say
/// how many units have each row), with their analytic SEs when `with_se`.
fn coefficients(
    p: &Patterns,
    counts: &UnitCounts,
    values: &[f64],
    req: &Request,
    with_se: bool,
) -> Vec<Point> {
    let mut out: Vec<Point> = Vec::new();
    if req.wants_family() {
        out = req
            .weights
            .iter()
            .flat_map(|&w| weighted_points(p, counts, values, w, with_se))
            .filter(|point| req.wants(point.statistic))
            .collect();
    }
    if req.wants("krippendorff_alpha") {
        let (value, se) = krippendorff_alpha(counts, values, req.level, with_se);
        out.push(Point {
            statistic: "krippendorff_alpha",
            weights: None,
            value,
            se,
        });
    }
    out
}

/// All coefficients of one group, with analytic or bootstrap standard errors.
///
/// Analytic: Gwet's linearised variance (see `variance.rs`), interval `value ± t·se` on
/// n − 1 degrees of freedom with the upper end at most 1 (irrCAC). Bootstrap: units drawn
/// with replacement (the unit is the independent observation; a coder's ratings are not),
/// every coefficient recomputed, the SD of the replicates as `se` and their percentile
/// interval. Replicates where a coefficient is undefined (e.g. a resample in which only one
/// category occurs) are left out and counted in a note.
pub fn agreement(r: &Ratings, req: &Request) -> Result<Vec<Estimate>, AgreementError> {
    agreement_on(&Patterns::of(r), &r.values, req)
}

/// Bootstrap replicates of every coefficient (one vector per coefficient, undefined
/// replicates left out).
fn bootstrap(p: &Patterns, values: &[f64], req: &Request, slots: usize) -> Vec<Vec<f64>> {
    let mut counts = UnitCounts::of(p, values.len(), &p.frequencies());
    let units = p.unit_row.len();
    let mut reps: Vec<Vec<f64>> = vec![Vec::with_capacity(req.n_boot); slots];
    let mut rng = SplitMix64::new(req.seed);
    for _ in 0..req.n_boot {
        counts.weight.iter_mut().for_each(|w| *w = 0.0);
        for _ in 0..units {
            counts.weight[p.unit_row[rng.below(units)]] += 1.0;
        }
        for (slot, point) in reps
            .iter_mut()
            .zip(coefficients(p, &counts, values, req, false))
        {
            if let Ok(v) = point.value {
                slot.push(v);
            }
        }
    }
    reps
}

/// [`agreement`] on rating rows already collapsed to patterns; `values` are the values of
/// the categories the rows refer to.
pub fn agreement_on(
    p: &Patterns,
    values: &[f64],
    req: &Request,
) -> Result<Vec<Estimate>, AgreementError> {
    if !(req.confidence > 0.0 && req.confidence < 1.0) {
        return Err(AgreementError::Parameter {
            parameter: "confidence".into(),
            message: format!("must be between 0 and 1, not {}", req.confidence),
        });
    }
    let counts = UnitCounts::of(p, values.len(), &p.frequencies());
    let points = coefficients(p, &counts, values, req, req.se_method == SeMethod::Analytic);
    let rated: f64 = counts
        .rows()
        .filter(|(c, _)| c.iter().sum::<f64>() >= 1.0)
        .map(|(_, f)| f)
        .sum();
    let df = (rated >= 2.0).then_some(rated - 1.0);
    let boot = req.se_method == SeMethod::Bootstrap
        && req.n_boot > 0
        && points.iter().any(|pt| pt.value.is_ok());
    let reps = if boot {
        bootstrap(p, values, req, points.len())
    } else {
        vec![Vec::new(); points.len()]
    };
    Ok(points
        .into_iter()
        .zip(reps)
        .map(|(point, reps)| finish(point, reps, df, req))
        .collect())
}

/// SE, interval, z and p of one coefficient.
fn finish(point: Point, mut reps: Vec<f64>, df: Option<f64>, req: &Request) -> Estimate {
    let mut notes = Vec::new();
    let (se, ci) = match (&point.value, req.se_method) {
        (Ok(_), SeMethod::Bootstrap) if req.n_boot > 0 => {
            if reps.len() < req.n_boot {
                notes.push(format!(
                    "bootstrap: {} of {} resamples gave an undefined value and were left out",
                    req.n_boot - reps.len(),
                    req.n_boot
                ));
            }
            (sd(&reps), percentile_ci(&mut reps, req.confidence))
        }
        (Ok(v), SeMethod::Analytic) => {
            let se = point.se.filter(|s| s.is_finite());
            let t = df.and_then(|df| two_sided_quantile(req.confidence, df));
            let ci = se.zip(t).map(|(se, t)| (v - t * se, (v + t * se).min(1.0)));
            (se, ci)
        }
        _ => (None, None),
    };
    let tested = point.statistic != "percent_agreement";
    let z = match (&point.value, se) {
        (Ok(v), Some(se)) if tested && se > 0.0 => Some(v / se),
        _ => None,
    };
    let p_value = z
        .zip(df)
        .map(|(z, df)| two_sided_p(z, df))
        .filter(|p| p.is_finite());
    Estimate {
        statistic: point.statistic,
        weights: point.weights,
        value: point.value,
        se,
        ci,
        z,
        p_value,
        df,
        notes,
    }
}

fn sd(values: &[f64]) -> Option<f64> {
    let n = values.len() as f64;
    if values.len() < 2 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n;
    Some((values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt())
}
