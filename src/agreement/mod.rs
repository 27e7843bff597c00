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
use crate::reliability::{percentile_ci, SplitMix64};
use std::collections::HashMap;

pub mod frame;
mod keys;

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
        let mut index: HashMap<u64, usize, BuildMixHasher> = HashMap::default();
        let unit_row = keys
            .iter()
            .map(|&key| {
                *index.entry(key).or_insert_with(|| {
                    rows.push(packing.unpack(key));
                    rows.len() - 1
                })
            })
            .collect();
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
        self.counts
            .chunks(self.q.max(1))
            .zip(self.weight.iter().copied())
            .filter(|(_, w)| *w > 0.0)
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

/// Chance-corrected coefficients of the Gwet family and percent agreement.
pub struct Family {
    pub percent_agreement: Coefficient,
    pub fleiss_kappa: Coefficient,
    pub gwet_ac: Coefficient,
    pub brennan_prediger: Coefficient,
}

const NO_PAIRS: &str = "no unit is coded by two or more coders";

/// Percent agreement, Fleiss' κ, Gwet's AC1/AC2 and Brennan–Prediger with weights `w`.
pub fn family(counts: &UnitCounts, w: &[Vec<f64>]) -> Family {
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
            pa_sum += weight
                * (0..q)
                    .map(|k| {
                        let weighted: f64 = (0..q).map(|l| w[k][l] * c[l]).sum();
                        c[k] * (weighted - 1.0)
                    })
                    .sum::<f64>()
                / (r * (r - 1.0));
        }
    }
    if n2 == 0.0 {
        let none = || Err(NO_PAIRS.to_string());
        return Family {
            percent_agreement: none(),
            fleiss_kappa: none(),
            gwet_ac: none(),
            brennan_prediger: none(),
        };
    }
    pi.iter_mut().for_each(|p| *p /= n1);
    let pa = pa_sum / n2;
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
    Family {
        percent_agreement: Ok(pa),
        fleiss_kappa: chance_corrected(pa, fleiss_pe),
        gwet_ac: chance_corrected(pa, gwet_pe),
        brennan_prediger: chance_corrected(pa, t_w / (q * q) as f64),
    }
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

/// Krippendorff's α at `level`; `values` are the category values (ascending).
pub fn krippendorff_alpha(counts: &UnitCounts, values: &[f64], level: Level) -> Coefficient {
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
        return Err(NO_PAIRS.into());
    }
    if level == Level::Ratio && values.iter().any(|v| *v < 0.0) {
        return Err("ratio level needs values ≥ 0".into());
    }
    let (mut observed, mut expected) = (0.0, 0.0);
    for c in 0..q {
        for k in 0..q {
            let d = delta2(level, values, &marginals, c, k);
            observed += o[c * q + k] * d;
            expected += marginals[c] * marginals[k] * d;
        }
    }
    if expected == 0.0 {
        return Err("all pairable values are the same category, so expected disagreement is 0 and α is undefined".into());
    }
    Ok(1.0 - (n - 1.0) * observed / expected)
}

/// Cohen's κ between coders `a` and `b` on the units both coded, with agreement weights;
/// `weight[i]` is how many units have rating row `i` of `p`.
pub fn cohen_kappa(
    p: &Patterns,
    weight: &[f64],
    q: usize,
    (a, b): (usize, usize),
    w: &[Vec<f64>],
) -> Coefficient {
    let mut table = vec![0.0; q * q];
    let mut n = 0.0;
    for (row, &f) in p.rows.iter().zip(weight) {
        if let (Some(x), Some(y)) = (row[a], row[b]) {
            table[x as usize * q + y as usize] += f;
            n += f;
        }
    }
    if n == 0.0 {
        return Err("the two coders have no unit in common".into());
    }
    let rows: Vec<f64> = (0..q)
        .map(|k| (0..q).map(|l| table[k * q + l]).sum::<f64>() / n)
        .collect();
    let cols: Vec<f64> = (0..q)
        .map(|l| (0..q).map(|k| table[k * q + l]).sum::<f64>() / n)
        .collect();
    let (mut po, mut pe) = (0.0, 0.0);
    for k in 0..q {
        for l in 0..q {
            po += w[k][l] * table[k * q + l] / n;
            pe += w[k][l] * rows[k] * cols[l];
        }
    }
    chance_corrected(po, pe)
}

/// What to compute for one group of ratings.
#[derive(Debug, Clone)]
pub struct Request {
    pub level: Level,
    /// Agreement weights of the κ-type coefficients (one row per statistic and weighting).
    pub weights: Vec<Weights>,
    /// Bootstrap resamples of units for the intervals (0 = no intervals).
    pub n_boot: usize,
    pub confidence: f64,
    pub seed: u64,
}

/// One coefficient of one group.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub statistic: &'static str,
    /// Agreement weights; `None` for Krippendorff's α, which uses the level's δ² instead.
    pub weights: Option<Weights>,
    pub value: Coefficient,
    /// Bootstrap standard error and percentile interval.
    pub se: Option<f64>,
    pub ci: Option<(f64, f64)>,
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

/// Every coefficient of `req` on rating rows `p` with their `counts` (whose weights say
/// how many units have each row).
fn coefficients(
    p: &Patterns,
    counts: &UnitCounts,
    values: &[f64],
    req: &Request,
) -> Vec<(&'static str, Option<Weights>, Coefficient)> {
    let q = values.len();
    let mut out = Vec::with_capacity(req.weights.len() * 5 + 1);
    for &w in &req.weights {
        let m = w.matrix(values);
        let fam = family(counts, &m);
        let cohen = if p.coders == 2 {
            cohen_kappa(p, &counts.weight, q, (0, 1), &m)
        } else {
            Err(format!(
                "Cohen's κ compares exactly two coders and this group has {}; see fleiss_kappa, gwet_ac1/ac2 or krippendorff_alpha",
                p.coders
            ))
        };
        out.push(("percent_agreement", Some(w), fam.percent_agreement));
        out.push(("cohen_kappa", Some(w), cohen));
        out.push(("fleiss_kappa", Some(w), fam.fleiss_kappa));
        out.push((gwet_name(w), Some(w), fam.gwet_ac));
        out.push(("brennan_prediger", Some(w), fam.brennan_prediger));
    }
    out.push((
        "krippendorff_alpha",
        None,
        krippendorff_alpha(counts, values, req.level),
    ));
    out
}

/// All coefficients of one group, with bootstrap intervals from resampling units.
///
/// The bootstrap draws units with replacement (the unit is the independent observation; a
/// coder's ratings are not), recomputes every coefficient and reports the SD of the
/// replicates as `se` and their percentile interval. Replicates where a coefficient is
/// undefined (e.g. a resample in which only one category occurs) are left out and counted
/// in a note.
pub fn agreement(r: &Ratings, req: &Request) -> Result<Vec<Estimate>, AgreementError> {
    agreement_on(&Patterns::of(r), &r.values, req)
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
    let mut counts = UnitCounts::of(p, values.len(), &p.frequencies());
    let point = coefficients(p, &counts, values, req);
    let units = p.unit_row.len();
    let mut reps: Vec<Vec<f64>> = vec![Vec::with_capacity(req.n_boot); point.len()];
    if req.n_boot > 0 && point.iter().any(|(_, _, v)| v.is_ok()) {
        let mut rng = SplitMix64::new(req.seed);
        for _ in 0..req.n_boot {
            counts.weight.iter_mut().for_each(|w| *w = 0.0);
            for _ in 0..units {
                counts.weight[p.unit_row[rng.below(units)]] += 1.0;
            }
            for (slot, (_, _, v)) in reps.iter_mut().zip(coefficients(p, &counts, values, req)) {
                if let Ok(v) = v {
                    slot.push(v);
                }
            }
        }
    }
    Ok(point
        .into_iter()
        .zip(reps)
        .map(|((statistic, weights, value), mut reps)| {
            let mut notes = Vec::new();
            let (se, ci) = match &value {
                Ok(_) if req.n_boot > 0 => {
                    if reps.len() < req.n_boot {
                        notes.push(format!(
                            "bootstrap: {} of {} resamples gave an undefined value and were left out",
                            req.n_boot - reps.len(),
                            req.n_boot
                        ));
                    }
                    (sd(&reps), percentile_ci(&mut reps, req.confidence))
                }
                _ => (None, None),
            };
            Estimate {
                statistic,
                weights,
                value,
                se,
                ci,
                notes,
            }
        })
        .collect())
}

fn sd(values: &[f64]) -> Option<f64> {
    let n = values.len() as f64;
    if values.len() < 2 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n;
    Some((values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt())
}
