//! The polars edge of reliability, item analysis and driver analysis: recodes the item
//! columns exactly as scoring does, splits rows into groups (`by`), runs the kernels per
//! group and builds frames with fixed columns.
//!
//! Degenerate data: without `by`, the kernel's error is raised (the one thing asked cannot
//! be computed); with `by`, the group's row keeps its keys, its statistics are null and
//! `note` gives the reason, so one small unit does not stop the table. What may be shown of
//! each group comes from the publication layer (`Visibility`): blanked rows keep their keys
//! and `suppressed = true`, nothing else.

use super::{
    drivers, item_total, scale_reliability, CiMethod, DriverSettings, Drivers, ItemTotal,
    ItemValues, Missing, PairSums, ScaleReliability, ScoredItem,
};
use crate::error::{Error, ReliabilityError};
use crate::instrument::{Instrument, Item};
use crate::publish::groups::{group_rows, key_label};
use crate::publish::publication::Visibility;
use crate::publish::table::Table;
use crate::score::frame::{present_columns, recode_frame};
use crate::score::{score_respondents, RecodedItem, ScoreTable, DONT_KNOW};
use polars::prelude::*;

fn scale_label(keys: &DataFrame, g: usize, kind: &str, id: &str) -> String {
    let group = key_label(keys, g);
    if group.is_empty() {
        format!("{kind} `{id}`")
    } else {
        format!("{kind} `{id}` ({group})")
    }
}

/// Recoded items with their score tables and scales (min, max), in instrument order.
pub(super) struct Prepared {
    items: Vec<RecodedItem>,
    tables: Vec<ScoreTable>,
    scales: Vec<(i16, i16)>,
}

impl Prepared {
    pub(super) fn new(df: &DataFrame, inst: &Instrument) -> Result<Self, Error> {
        let items = recode_frame(df, inst)?;
        let tables = inst
            .items
            .iter()
            .map(|item| ScoreTable::new(inst, item))
            .collect();
        // Scale codes lie within ±10,000 (validated), as recoded codes do.
        let scales = inst
            .items
            .iter()
            .map(|item| {
                let scale = inst.scale_of(item);
                (scale.min as i16, scale.max as i16)
            })
            .collect();
        Ok(Prepared {
            items,
            tables,
            scales,
        })
    }

    /// The items as ordinal answers for polychoric correlations.
    fn ordinal(&self, ids: &[&str]) -> Vec<super::polychoric::OrdinalItem<'_>> {
        ids.iter()
            .map(|id| {
                let j = self.position(id);
                let (min, max) = self.scales[j];
                super::polychoric::OrdinalItem {
                    codes: &self.items[j].codes,
                    min,
                    max,
                }
            })
            .collect()
    }

    // Invariant: scale ids are the instrument's items, all of which are prepared.
    #[allow(clippy::expect_used)]
    fn position(&self, id: &str) -> usize {
        self.items
            .iter()
            .position(|r| r.id == id)
            .expect("scale items belong to the instrument")
    }

    pub(super) fn scored(&self, ids: &[&str]) -> Vec<ScoredItem<'_>> {
        ids.iter()
            .map(|id| {
                let j = self.position(id);
                ScoredItem {
                    codes: &self.items[j].codes,
                    table: &self.tables[j],
                }
            })
            .collect()
    }
}

fn scales(inst: &Instrument) -> Vec<(String, &'static str, Vec<&str>)> {
    let mut out: Vec<(String, &'static str, Vec<&str>)> = inst
        .dimensions
        .iter()
        .map(|d| {
            (
                d.id.clone(),
                "dimension",
                d.items.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    out.push((inst.index.id.clone(), "index", inst.index_items()));
    out
}

/// Options of [`reliability_frame`].
#[derive(Debug, Clone)]
pub struct ReliabilityOptions {
    pub by: Vec<String>,
    pub missing: Missing,
    pub ci: CiMethod,
    pub confidence: f64,
    /// Also α and ω of the polychoric correlations (answers as ordinal).
    pub ordinal: bool,
}

impl Default for ReliabilityOptions {
    fn default() -> Self {
        ReliabilityOptions {
            by: Vec::new(),
            missing: Missing::Pairwise,
            ci: CiMethod::Feldt,
            confidence: 0.95,
            ordinal: false,
        }
    }
}

/// Output columns of [`reliability_frame`] after the `by` columns.
pub const RELIABILITY_COLUMNS: [&str; 16] = [
    "scale",
    "kind",
    "k",
    "n",
    "alpha",
    "alpha_std",
    "ci_low",
    "ci_high",
    "lambda6",
    "omega_total",
    "average_r",
    "ci_method",
    "confidence",
    "missing",
    "suppressed",
    "note",
];

/// One row of [`reliability_frame`]: a scale in a group, with its statistics or the reason
/// there are none (empty on a blanked row: a blank is bare).
struct ScaleRow {
    group: usize,
    scale: String,
    kind: &'static str,
    k: u64,
    suppressed: bool,
    result: Result<ScaleReliability, String>,
}

impl ScaleRow {
    fn stats(&self) -> Option<&ScaleReliability> {
        self.result.as_ref().ok()
    }

    fn note(&self) -> Option<String> {
        match &self.result {
            Ok(r) => (!r.notes.is_empty()).then(|| r.notes.join("; ")),
            Err(note) => (!note.is_empty()).then(|| note.clone()),
        }
    }
}

/// Reliability of one scale in one group, or why there is none. Without `by` the kernel's
/// error is raised (the one thing asked cannot be computed); with `by` it becomes the note.
fn scale_result(
    prep: &Prepared,
    members: &[u32],
    ids: &[&str],
    label: &str,
    opts: &ReliabilityOptions,
) -> Result<Result<ScaleReliability, String>, Error> {
    if ids.len() < 2 {
        return Ok(Err(format!(
            "{label}: one item; alpha, lambda6 and omega need at least two items"
        )));
    }
    let scored = prep.scored(ids);
    let refs: Vec<&dyn ItemValues> = scored.iter().map(|s| s as &dyn ItemValues).collect();
    match scale_reliability(
        &refs,
        members,
        ids,
        label,
        opts.missing,
        opts.ci,
        opts.confidence,
    ) {
        Ok(mut r) => {
            if opts.ordinal {
                add_ordinal(&mut r, prep, members, ids, label, opts.missing);
            }
            Ok(Ok(r))
        }
        Err(e) if !opts.by.is_empty() => Ok(Err(e.to_string())),
        Err(e) => Err(e.into()),
    }
}

/// Ordinal α and ω of one scale: α (Zumbo, Gadermann & Zeisser 2007) and ω of the items'
/// polychoric correlations, as R `psych::alpha(polychoric(x)$rho)` and
/// `psych::omega(polychoric(x)$rho, nfactors = 1)`. Listwise uses the respondents who
/// answered every item; what cannot be computed is said in the notes.
fn add_ordinal(
    r: &mut ScaleReliability,
    prep: &Prepared,
    members: &[u32],
    ids: &[&str],
    label: &str,
    missing: Missing,
) {
    let items = prep.ordinal(ids);
    let complete: Vec<u32>;
    let rows = match missing {
        Missing::Pairwise => members,
        Missing::Listwise => {
            complete = members
                .iter()
                .copied()
                .filter(|&row| items.iter().all(|i| i.answered(row as usize)))
                .collect();
            &complete
        }
    };
    let rho = super::polychoric::polychoric_matrix(&items, rows).rho;
    if rho.iter().any(|x| !x.is_finite()) {
        r.notes.push(
            "ordinal: an item's answers all fall in one category, or two items were never answered together"
                .into(),
        );
        return;
    }
    let k = ids.len();
    match super::alpha_from_cov(&super::Cov::from_matrix(rho.clone(), k), label, ids) {
        Ok(a) => r.alpha_ordinal = Some(a.std),
        Err(e) => r.notes.push(format!("ordinal alpha: {e}")),
    }
    match super::one_factor(&rho, k, label, ids) {
        Ok(f) => r.omega_ordinal = Some(f.omega_total),
        Err(e) => r.notes.push(format!("ordinal omega: {e}")),
    }
}

fn check_reliability_options(opts: &ReliabilityOptions) -> Result<(), Error> {
    super::check_confidence(opts.confidence)?;
    if let CiMethod::Bootstrap { n_boot, .. } = opts.ci {
        if n_boot < 2 {
            return Err(ReliabilityError::Parameter {
                parameter: "n_boot".into(),
                message: format!("a bootstrap interval needs at least 2 resamples, got {n_boot}"),
            }
            .into());
        }
    }
    Ok(())
}

/// Reliability of every dimension and of the index (all index items), per group.
pub fn reliability_frame(
    df: &DataFrame,
    inst: &Instrument,
    opts: &ReliabilityOptions,
    visible: &Visibility,
) -> Result<DataFrame, Error> {
    check_reliability_options(opts)?;
    let prep = Prepared::new(df, inst)?;
    let groups = group_rows(df, &opts.by)?;
    let mut rows = Vec::new();
    for (g, members) in groups.rows().iter().enumerate() {
        for (id, kind, ids) in scales(inst) {
            let suppressed = !visible.measure(g, &id);
            let result = if suppressed {
                Err(String::new())
            } else {
                let label = scale_label(&groups.keys, g, kind, &id);
                scale_result(&prep, members, &ids, &label, opts)?
            };
            rows.push(ScaleRow {
                group: g,
                scale: id,
                kind,
                k: ids.len() as u64,
                suppressed,
                result,
            });
        }
    }
    let method = match opts.ci {
        CiMethod::Feldt => "feldt",
        CiMethod::Bootstrap { .. } => "bootstrap",
    };
    let missing = match opts.missing {
        Missing::Pairwise => "pairwise",
        Missing::Listwise => "listwise",
    };
    Table::new(&rows)
        .keys(&groups.keys, |r| Some(r.group))?
        .text("scale", |r| Some(r.scale.as_str()))
        .text("kind", |r| Some(r.kind))
        .count("k", |r| Some(r.k))
        .count("n", |r| r.stats().map(|s| s.n))
        .finite_float("alpha", |r| r.stats().map(|s| s.alpha.raw))
        .finite_float("alpha_std", |r| r.stats().map(|s| s.alpha.std))
        .finite_float("ci_low", |r| r.stats().and_then(|s| s.ci).map(|c| c.0))
        .finite_float("ci_high", |r| r.stats().and_then(|s| s.ci).map(|c| c.1))
        .finite_float("lambda6", |r| r.stats().and_then(|s| s.alpha.g6))
        .finite_float("omega_total", |r| r.stats().and_then(|s| s.omega_total))
        .finite_float("average_r", |r| r.stats().map(|s| s.alpha.average_r))
        .finite_float("alpha_ordinal", |r| r.stats().and_then(|s| s.alpha_ordinal))
        .finite_float("omega_ordinal", |r| r.stats().and_then(|s| s.omega_ordinal))
        .text("ci_method", |_| Some(method))
        .finite_float("confidence", |_| Some(opts.confidence))
        .text("missing", |_| Some(missing))
        .suppressed(|r| r.suppressed)
        .owned_text("note", ScaleRow::note)
        .finish()
}

/// Output columns of [`item_analysis_frame`] after the `by` columns.
pub const ITEM_ANALYSIS_COLUMNS: [&str; 18] = [
    "scale",
    "item",
    "reverse",
    "n_respondents",
    "n",
    "mean",
    "sd",
    "r_drop",
    "alpha_if_deleted",
    "std_alpha_if_deleted",
    "share_missing",
    "share_dont_know",
    "floor",
    "ceiling",
    "codes",
    "shares",
    "suppressed",
    "note",
];

/// The scale an item is analysed in: the first dimension listing it, else the index.
fn scale_of_item<'a>(inst: &'a Instrument, item: &str) -> Option<(&'a str, Vec<&'a str>)> {
    if let Some(d) = inst
        .dimensions
        .iter()
        .find(|d| d.items.iter().any(|i| i == item))
    {
        return Some((d.id.as_str(), d.items.iter().map(String::as_str).collect()));
    }
    let index = inst.index_items();
    if index.contains(&item) {
        Some((inst.index.id.as_str(), index))
    } else {
        None
    }
}

/// One row of [`item_analysis_frame`]: an item in a group; `shown` is `None` on a blanked
/// row, which keeps only its keys, scale, item, reverse and `suppressed`.
struct ItemRow<'i> {
    group: usize,
    item: &'i Item,
    scale: Option<&'i str>,
    shown: Option<ItemStats>,
}

/// What a shown item row holds. The answer shares (`share_*`, floor, ceiling, codes,
/// shares) follow the distribution threshold, so they may be null on a shown row.
#[derive(Default)]
struct ItemStats {
    n_respondents: u64,
    n: u64,
    mean: Option<f64>,
    sd: Option<f64>,
    r_drop: Option<f64>,
    alpha_if_deleted: Option<f64>,
    std_alpha_if_deleted: Option<f64>,
    share_missing: Option<f64>,
    share_dont_know: Option<f64>,
    floor: Option<f64>,
    ceiling: Option<f64>,
    codes: Option<Vec<Option<i64>>>,
    shares: Option<Vec<Option<f64>>>,
    note: Option<String>,
}

impl ItemRow<'_> {
    fn stat<T>(&self, get: impl Fn(&ItemStats) -> Option<T>) -> Option<T> {
        self.shown.as_ref().and_then(get)
    }
}

/// Item–total statistics of every scale in one group (pairwise), or why there are none.
type ScaleTotals = Vec<(String, Result<Vec<ItemTotal>, String>)>;

fn scale_totals(
    prep: &Prepared,
    inst: &Instrument,
    keys: &DataFrame,
    g: usize,
    members: &[u32],
) -> ScaleTotals {
    scales(inst)
        .into_iter()
        .map(|(id, kind, ids)| {
            let label = scale_label(keys, g, kind, &id);
            let res = if ids.len() < 2 {
                Err(format!("{label}: one item; no item–total statistics"))
            } else {
                let scored = prep.scored(&ids);
                let refs: Vec<&dyn ItemValues> =
                    scored.iter().map(|s| s as &dyn ItemValues).collect();
                PairSums::compute(&refs, members, Missing::Pairwise)
                    .covariance(&label, &ids)
                    .and_then(|cov| item_total(&cov, &label, &ids))
                    .map_err(|e| e.to_string())
            };
            (id, res)
        })
        .collect()
}

/// Descriptives and answer distribution of item `j` among `members`; the shares only when
/// the distribution may be `shown`.
fn item_answers(
    prep: &Prepared,
    inst: &Instrument,
    j: usize,
    members: &[u32],
    shown: bool,
) -> ItemStats {
    let item = &inst.items[j];
    let scale = inst.scale_of(item);
    let (codes, table) = (&prep.items[j].codes, &prep.tables[j]);
    let mut counts = vec![0u64; (scale.max - scale.min + 1) as usize];
    let (mut n, mut sum, mut sum2, mut dk, mut miss) = (0u64, 0.0, 0.0, 0u64, 0u64);
    let (lo_score, hi_score) = (table.score(scale.min as i16), table.score(scale.max as i16));
    let (mut floor, mut ceil) = (0u64, 0u64);
    for &row in members {
        let code = codes[row as usize];
        match table.score(code) {
            Some(y) => {
                n += 1;
                sum += y;
                sum2 += y * y;
                // The distribution is over the answers as given, before reverse keying.
                let raw = if item.reverse {
                    scale.min + scale.max - code as i64
                } else {
                    code as i64
                };
                counts[(raw - scale.min) as usize] += 1;
                floor += u64::from(Some(y) == lo_score);
                ceil += u64::from(Some(y) == hi_score);
            }
            None if code == DONT_KNOW => dk += 1,
            None => miss += 1,
        }
    }
    let (total, nf) = (members.len() as f64, n as f64);
    let mean = (n > 0).then(|| sum / nf);
    let of_all = |c: u64| (shown && total > 0.0).then(|| c as f64 / total);
    let of_answers = |c: u64| (shown && n > 0).then(|| c as f64 / nf);
    ItemStats {
        n_respondents: members.len() as u64,
        n,
        mean,
        sd: mean.and_then(|m| (n > 1).then(|| ((sum2 - nf * m * m).max(0.0) / (nf - 1.0)).sqrt())),
        share_missing: of_all(miss),
        share_dont_know: of_all(dk),
        floor: of_answers(floor),
        ceiling: of_answers(ceil),
        codes: shown.then(|| (scale.min..=scale.max).map(Some).collect()),
        shares: shown.then(|| {
            counts
                .iter()
                .map(|&c| (n > 0).then(|| c as f64 / nf))
                .collect()
        }),
        ..ItemStats::default()
    }
}

/// r_drop and α if deleted of `item` within its home scale, or the note why not. Without
/// `by`, a scale of two or more items that cannot be analysed is an error.
fn item_total_of(
    stats: &mut ItemStats,
    item: &str,
    home: Option<&(&str, Vec<&str>)>,
    totals: &ScaleTotals,
    grouped: bool,
) -> Result<(), Error> {
    let Some((home_id, home_items)) = home else {
        stats.note = Some("item belongs to no dimension and not to the index".into());
        return Ok(());
    };
    match totals.iter().find(|(id, _)| id == home_id) {
        Some((_, Ok(per_item))) => {
            if let Some(p) = home_items.iter().position(|i| *i == item) {
                stats.r_drop = Some(per_item[p].r_drop);
                stats.alpha_if_deleted = per_item[p].alpha_if_deleted;
                stats.std_alpha_if_deleted = per_item[p].std_alpha_if_deleted;
                if stats.alpha_if_deleted.is_none() {
                    stats.note = Some(format!("alpha if deleted: `{home_id}` would keep one item"));
                }
            }
        }
        Some((_, Err(e))) if !grouped && home_items.len() >= 2 => {
            return Err(ReliabilityError::Undefined {
                scale: format!("item `{item}`"),
                message: e.clone(),
            }
            .into());
        }
        Some((_, Err(e))) => stats.note = Some(e.clone()),
        None => {}
    }
    Ok(())
}

/// Per item and group: descriptives, corrected item–total r and α if deleted (within the
/// item's dimension, pairwise), answer distribution, "don't know", floor and ceiling.
pub fn item_analysis_frame(
    df: &DataFrame,
    inst: &Instrument,
    by: &[String],
    visible: &Visibility,
) -> Result<DataFrame, Error> {
    let prep = Prepared::new(df, inst)?;
    let groups = group_rows(df, by)?;
    let mut rows = Vec::new();
    for (g, members) in groups.rows().iter().enumerate() {
        // Computed once per group, only where the group is shown at all.
        let totals = if visible.group(g) {
            scale_totals(&prep, inst, &groups.keys, g, members)
        } else {
            Vec::new()
        };
        for (j, item) in inst.items.iter().enumerate() {
            let home = scale_of_item(inst, &item.id);
            let shown = if visible.measure(g, &item.id) {
                let dist = visible.distribution(g, &item.id);
                let mut stats = item_answers(&prep, inst, j, members, dist);
                item_total_of(&mut stats, &item.id, home.as_ref(), &totals, !by.is_empty())?;
                Some(stats)
            } else {
                None
            };
            rows.push(ItemRow {
                group: g,
                item,
                scale: home.map(|h| h.0),
                shown,
            });
        }
    }
    Table::new(&rows)
        .keys(&groups.keys, |r| Some(r.group))?
        .text("scale", |r| r.scale)
        .text("item", |r| Some(r.item.id.as_str()))
        .flag("reverse", |r| Some(r.item.reverse))
        .count("n_respondents", |r| r.stat(|s| Some(s.n_respondents)))
        .count("n", |r| r.stat(|s| Some(s.n)))
        .finite_float("mean", |r| r.stat(|s| s.mean))
        .finite_float("sd", |r| r.stat(|s| s.sd))
        .finite_float("r_drop", |r| r.stat(|s| s.r_drop))
        .finite_float("alpha_if_deleted", |r| r.stat(|s| s.alpha_if_deleted))
        .finite_float("std_alpha_if_deleted", |r| {
            r.stat(|s| s.std_alpha_if_deleted)
        })
        .finite_float("share_missing", |r| r.stat(|s| s.share_missing))
        .finite_float("share_dont_know", |r| r.stat(|s| s.share_dont_know))
        .finite_float("floor", |r| r.stat(|s| s.floor))
        .finite_float("ceiling", |r| r.stat(|s| s.ceiling))
        .list::<Int64Type>("codes", |r| r.stat(|s| s.codes.clone()))
        .list::<Float64Type>("shares", |r| r.stat(|s| s.shares.clone()))
        .suppressed(|r| r.shown.is_none())
        .owned_text("note", |r| r.stat(|s| s.note.clone()))
        .finish()
}

/// Respondent outcome values: the index, a dimension, or a numeric column of the answers.
fn outcome_values(
    df: &DataFrame,
    inst: &Instrument,
    prep: &Prepared,
    outcome: &str,
) -> Result<(String, Vec<Option<f64>>), Error> {
    if outcome == "index"
        || outcome == inst.index.id
        || inst.dimensions.iter().any(|d| d.id == outcome)
    {
        let scores = score_respondents(inst, &prep.items)?;
        if outcome == "index" || outcome == inst.index.id {
            return Ok((scores.index.0, scores.index.1));
        }
        // Invariant: the outcome is a dimension (the condition above), and scoring gives
        // every dimension.
        #[allow(clippy::expect_used)]
        let (id, values) = scores
            .dimensions
            .into_iter()
            .find(|(id, _)| id == outcome)
            .expect("checked above");
        return Ok((id, values));
    }
    let known = || {
        let mut k = vec!["index".to_string(), inst.index.id.clone()];
        k.extend(inst.dimensions.iter().map(|d| d.id.clone()));
        k.push(format!("or a numeric column of: {}", present_columns(df)));
        k.join(", ")
    };
    let column = df
        .column(outcome)
        .map_err(|_| ReliabilityError::UnknownOutcome {
            outcome: outcome.into(),
            known: known(),
        })?;
    if !column.dtype().is_primitive_numeric() {
        return Err(ReliabilityError::UnknownOutcome {
            outcome: outcome.into(),
            known: known(),
        }
        .into());
    }
    let values = column
        .as_materialized_series()
        .cast(&DataType::Float64)?
        .f64()?
        .iter()
        .map(|v| v.filter(|x| x.is_finite()))
        .collect();
    Ok((outcome.to_string(), values))
}

/// Options of [`drivers_frame`].
#[derive(Debug, Clone)]
pub struct DriverOptions {
    pub outcome: String,
    pub by: Vec<String>,
    pub missing: Missing,
    pub n_boot: usize,
    pub seed: u64,
    pub confidence: f64,
}

impl Default for DriverOptions {
    fn default() -> Self {
        DriverOptions {
            outcome: "index".into(),
            by: Vec::new(),
            missing: Missing::Listwise,
            n_boot: 500,
            seed: 20250101,
            confidence: 0.95,
        }
    }
}

/// Output columns of [`drivers_frame`] after the `by` columns.
pub const DRIVER_COLUMNS: [&str; 16] = [
    "outcome",
    "item",
    "n",
    "r",
    "beta",
    "raw_weight",
    "raw_weight_ci_low",
    "raw_weight_ci_high",
    "rescaled_pct",
    "rescaled_pct_ci_low",
    "rescaled_pct_ci_high",
    "r_squared",
    "n_used",
    "confidence",
    "suppressed",
    "note",
];

/// One row of [`drivers_frame`]: predictor `item` of group `group`'s driver analysis.
struct DriverRow {
    group: usize,
    item: usize,
    suppressed: bool,
}

/// The driver analysis of one group, or why there is none (empty when blanked). Without
/// `by` the kernel's error is raised; with `by` it becomes the note.
fn group_drivers(
    refs: &[&dyn ItemValues],
    outcome: &dyn ItemValues,
    members: &[u32],
    ids: &[&str],
    outcome_id: &str,
    opts: &DriverOptions,
) -> Result<Result<Drivers, String>, Error> {
    match drivers(
        refs,
        outcome,
        members,
        ids,
        outcome_id,
        DriverSettings {
            missing: opts.missing,
            n_boot: opts.n_boot,
            seed: opts.seed,
            confidence: opts.confidence,
        },
    ) {
        Ok(d) => Ok(Ok(d)),
        Err(e) if !opts.by.is_empty() => Ok(Err(e.to_string())),
        Err(e) => Err(e.into()),
    }
}

fn drivers_note(result: &Result<Drivers, String>, n_boot: usize) -> Option<String> {
    match result {
        Ok(d) => {
            let mut notes = d.notes.clone();
            if n_boot == 0 {
                notes.push("no bootstrap (n_boot = 0)".into());
            }
            (!notes.is_empty()).then(|| notes.join("; "))
        }
        Err(note) => (!note.is_empty()).then(|| note.clone()),
    }
}

/// Correlation, standardised β and Johnson's relative weights of every index item for the
/// outcome, per group, with bootstrap CIs of the weights.
pub fn drivers_frame(
    df: &DataFrame,
    inst: &Instrument,
    opts: &DriverOptions,
    visible: &Visibility,
) -> Result<DataFrame, Error> {
    super::check_confidence(opts.confidence)?;
    let prep = Prepared::new(df, inst)?;
    let (outcome_id, outcome) = outcome_values(df, inst, &prep, &opts.outcome)?;
    // An item used as the outcome is not also its own predictor.
    let ids: Vec<&str> = inst
        .index_items()
        .into_iter()
        .filter(|i| *i != outcome_id)
        .collect();
    let scored = prep.scored(&ids);
    let refs: Vec<&dyn ItemValues> = scored.iter().map(|s| s as &dyn ItemValues).collect();
    let groups = group_rows(df, &opts.by)?;
    let mut results = Vec::new();
    let mut rows = Vec::new();
    for (g, members) in groups.rows().iter().enumerate() {
        // Weights over every index item: shown only where the group and its outcome are.
        let suppressed = !visible.group(g)
            || !visible.measure(g, &outcome_id)
            || ids.iter().any(|id| !visible.measure(g, id));
        results.push(if suppressed {
            Err(String::new())
        } else {
            group_drivers(&refs, &outcome, members, &ids, &outcome_id, opts)?
        });
        rows.extend((0..ids.len()).map(|item| DriverRow {
            group: g,
            item,
            suppressed,
        }));
    }
    let d = |r: &DriverRow| results[r.group].as_ref().ok();
    let ci = |c: &Option<Vec<(f64, f64)>>, j: usize| c.as_ref().map(|c| c[j]);
    // Rescaled once per group, not once per row.
    let pct: Vec<Option<Vec<f64>>> = results
        .iter()
        .map(|r| r.as_ref().ok().map(|d| d.weights.rescaled()))
        .collect();
    Table::new(&rows)
        .keys(&groups.keys, |r| Some(r.group))?
        .text("outcome", |_| Some(outcome_id.as_str()))
        .text("item", |r| Some(ids[r.item]))
        .count("n", |r| d(r).map(|d| d.n[r.item]))
        .finite_float("r", |r| d(r).map(|d| d.r[r.item]))
        .finite_float("beta", |r| d(r).map(|d| d.weights.beta[r.item]))
        .finite_float("raw_weight", |r| d(r).map(|d| d.weights.raw[r.item]))
        .finite_float("raw_weight_ci_low", |r| {
            d(r).and_then(|d| ci(&d.raw_ci, r.item)).map(|c| c.0)
        })
        .finite_float("raw_weight_ci_high", |r| {
            d(r).and_then(|d| ci(&d.raw_ci, r.item)).map(|c| c.1)
        })
        .finite_float("rescaled_pct", |r| pct[r.group].as_ref().map(|p| p[r.item]))
        .finite_float("rescaled_pct_ci_low", |r| {
            d(r).and_then(|d| ci(&d.pct_ci, r.item)).map(|c| c.0)
        })
        .finite_float("rescaled_pct_ci_high", |r| {
            d(r).and_then(|d| ci(&d.pct_ci, r.item)).map(|c| c.1)
        })
        .finite_float("r_squared", |r| d(r).map(|d| d.weights.r_squared))
        .count("n_used", |r| d(r).map(|d| d.n_used))
        .finite_float("confidence", |_| Some(opts.confidence))
        .suppressed(|r| r.suppressed)
        .owned_text("note", |r| drivers_note(&results[r.group], opts.n_boot))
        .finish()
}

/// Output columns of [`priority_frame`] after the `by` columns.
pub const PRIORITY_COLUMNS: [&str; 11] = [
    "n_respondents",
    "item",
    "importance_pct",
    "score",
    "score_all",
    "n",
    "priority",
    "rank",
    "focus",
    "suppressed",
    "note",
];

/// Importance (rescaled relative weight for the outcome, over all respondents) against the
/// current item score per unit; `priority = importance_pct · (100 − score) / 100`, ranked
/// per unit, the `top` first flagged as `focus`.
pub fn priority_frame(
    df: &DataFrame,
    inst: &Instrument,
    by: &[String],
    top: usize,
    outcome: &str,
    visible: &Visibility,
) -> Result<DataFrame, Error> {
    if by.is_empty() {
        return Err(ReliabilityError::Parameter {
            parameter: "by".into(),
            message: "name the unit column(s), e.g. by=\"enhet\"".into(),
        }
        .into());
    }
    if top == 0 {
        return Err(ReliabilityError::Parameter {
            parameter: "top".into(),
            message: "must be at least 1".into(),
        }
        .into());
    }
    let prep = Prepared::new(df, inst)?;
    let (outcome_id, outcome_vals) = outcome_values(df, inst, &prep, outcome)?;
    // An item used as the outcome is not also its own predictor.
    let ids: Vec<&str> = inst
        .index_items()
        .into_iter()
        .filter(|i| *i != outcome_id)
        .collect();
    let scored = prep.scored(&ids);
    let refs: Vec<&dyn ItemValues> = scored.iter().map(|s| s as &dyn ItemValues).collect();
    let all: Vec<u32> = (0..df.height() as u32).collect();
    let d = drivers(
        &refs,
        &outcome_vals,
        &all,
        &ids,
        &outcome_id,
        DriverSettings {
            missing: Missing::Listwise,
            n_boot: 0,
            seed: 0,
            confidence: 0.95,
        },
    )?;
    let importance = d.weights.rescaled();
    let mean_of = |j: usize, rows: &[u32]| -> (u64, Option<f64>) {
        let (mut n, mut s) = (0u64, 0.0);
        for &row in rows {
            if let Some(y) = scored[j].table.score(scored[j].codes[row as usize]) {
                n += 1;
                s += y;
            }
        }
        (n, (n > 0).then(|| s / n as f64))
    };
    let score_all: Vec<Option<f64>> = (0..ids.len()).map(|j| mean_of(j, &all).1).collect();
    let groups = group_rows(df, by)?;
    let mut rows = Vec::new();
    for (g, members) in groups.rows().iter().enumerate() {
        let stats: Vec<(u64, Option<f64>)> = (0..ids.len()).map(|j| mean_of(j, members)).collect();
        rows.extend(unit_priorities(
            g,
            members.len() as u64,
            &stats,
            &importance,
            &ids,
            top,
            visible,
        ));
    }
    Table::new(&rows)
        .keys(&groups.keys, |r| Some(r.group))?
        .count("n_respondents", |r| r.n_respondents)
        .text("item", |r| Some(ids[r.item]))
        .finite_float("importance_pct", |r| Some(importance[r.item]))
        .finite_float("score", |r| r.score)
        .finite_float("score_all", |r| score_all[r.item])
        .count("n", |r| r.n)
        .finite_float("priority", |r| r.priority)
        .count("rank", |r| r.rank)
        .flag("focus", |r| r.focus)
        .suppressed(|r| r.suppressed)
        .text("note", |_| None)
        .finish()
}

/// One row of [`priority_frame`]: item `item` in unit `group`; a blanked unit keeps only
/// its keys, the item and the all-respondent columns (importance, score_all).
#[derive(Default)]
struct PriorityRow {
    group: usize,
    item: usize,
    suppressed: bool,
    n_respondents: Option<u64>,
    n: Option<u64>,
    score: Option<f64>,
    priority: Option<f64>,
    rank: Option<u64>,
    focus: Option<bool>,
}

/// The rows of unit `g` from its per-item (answers, mean score): priorities of the items
/// shown, ranked highest first, the `top` flagged as focus.
fn unit_priorities(
    g: usize,
    n_respondents: u64,
    stats: &[(u64, Option<f64>)],
    importance: &[f64],
    ids: &[&str],
    top: usize,
    visible: &Visibility,
) -> Vec<PriorityRow> {
    let suppressed = !visible.group(g);
    if suppressed {
        return (0..ids.len())
            .map(|item| PriorityRow {
                group: g,
                item,
                suppressed,
                ..PriorityRow::default()
            })
            .collect();
    }
    let shown: Vec<bool> = ids.iter().map(|id| visible.measure(g, id)).collect();
    let priority: Vec<Option<f64>> = stats
        .iter()
        .zip(importance)
        .enumerate()
        .map(|(j, ((n, m), imp))| {
            m.filter(|_| shown[j] && *n > 0)
                .map(|m| imp * (100.0 - m) / 100.0)
        })
        .collect();
    let mut order: Vec<usize> = (0..ids.len()).filter(|&j| priority[j].is_some()).collect();
    order.sort_by(|&a, &b| {
        priority[b]
            .unwrap_or(0.0)
            .total_cmp(&priority[a].unwrap_or(0.0))
    });
    let mut rank = vec![None; ids.len()];
    for (r, &j) in order.iter().enumerate() {
        rank[j] = Some(r as u64 + 1);
    }
    (0..ids.len())
        .map(|j| PriorityRow {
            group: g,
            item: j,
            suppressed,
            n_respondents: Some(n_respondents),
            n: shown[j].then_some(stats[j].0),
            score: stats[j].1.filter(|_| shown[j]),
            priority: priority[j],
            rank: rank[j],
            focus: Some(rank[j].is_some_and(|r| r as usize <= top)),
        })
        .collect()
}

/// Confirmatory check of the dimension structure (one factor per dimension, correlated
/// factors) on the complete respondents: ML on the item correlation matrix
/// ([`super::cfa`]), or with `ordinal` DWLS on the polychoric correlations with the
/// scaled-and-shifted test ([`super::wls`], lavaan's WLSMV).
pub fn structure_frame(
    df: &DataFrame,
    inst: &Instrument,
    ordinal: bool,
) -> Result<DataFrame, Error> {
    let prep = Prepared::new(df, inst)?;
    let CheckItems { dims, ids, factor } =
        structure_items(inst).map_err(|item| ReliabilityError::Undefined {
            scale: "dimension structure".into(),
            message: format!(
                "item `{item}` belongs to more than one dimension; the check needs each item in one dimension"
            ),
        })?;
    let fit = if ordinal {
        let items = prep.ordinal(&ids);
        let complete: Vec<usize> = (0..df.height())
            .filter(|&r| items.iter().all(|it| it.answered(r)))
            .collect();
        let codes: Vec<Vec<i16>> = items
            .iter()
            .map(|it| complete.iter().map(|&r| it.codes[r]).collect())
            .collect();
        let o = super::wls::fit_wlsmv(&codes, &factor, &ids, &dims)?;
        StructureFit {
            n: o.n,
            loadings: o.loadings,
            uniqueness: o.uniqueness,
            factor_correlations: o.factor_correlations,
            chi: o.scaled,
            srmr: o.srmr,
            notes: o.notes,
            total_variance: o.polychoric.iter().sum(),
            estimator: "WLSMV",
        }
    } else {
        let scored = prep.scored(&ids);
        let refs: Vec<&dyn ItemValues> = scored.iter().map(|s| s as &dyn ItemValues).collect();
        let rows: Vec<u32> = (0..df.height() as u32).collect();
        let sums = PairSums::compute(&refs, &rows, Missing::Listwise);
        let label = "dimension structure (complete respondents)";
        if sums.rows_complete < 3 {
            return Err(ReliabilityError::TooFewRespondents {
                scale: label.into(),
                n: sums.rows_complete,
                needed: 3,
            }
            .into());
        }
        let r = sums.covariance(label, &ids)?.correlation();
        let o = super::cfa::fit_cfa(&r, sums.rows_complete, &factor, &ids, &dims)?;
        StructureFit {
            n: o.n,
            loadings: o.loadings,
            uniqueness: o.uniqueness,
            factor_correlations: o.factor_correlations,
            chi: o.chi,
            srmr: o.srmr,
            notes: o.notes,
            total_variance: r.iter().sum(),
            estimator: "ML",
        }
    };
    structure_table(&fit, &dims, &ids, &factor)
}

/// The dimension check's model, from either estimator.
struct StructureFit {
    n: u64,
    loadings: Vec<f64>,
    uniqueness: Vec<f64>,
    factor_correlations: Vec<f64>,
    chi: super::fit::ChisqFit,
    srmr: f64,
    notes: Vec<String>,
    /// The sum of the correlation matrix the model was fitted to (ω's denominator, as
    /// psych::omega takes the observed matrix).
    total_variance: f64,
    estimator: &'static str,
}

/// The correlated-factors structure of an instrument: its dimensions, their items and each
/// item's dimension, or one factor over the index items when it has none. `Err` names an
/// item listed in two dimensions (each caller says what that means for its model).
pub(crate) fn structure_items(inst: &Instrument) -> Result<CheckItems<'_>, String> {
    if inst.dimensions.is_empty() {
        let ids = inst.index_items();
        let n = ids.len();
        return Ok(CheckItems {
            dims: vec![inst.index.id.as_str()],
            ids,
            factor: vec![0; n],
        });
    }
    let mut ids = Vec::new();
    let mut factor = Vec::new();
    for (a, d) in inst.dimensions.iter().enumerate() {
        for item in &d.items {
            if ids.contains(&item.as_str()) {
                return Err(item.clone());
            }
            ids.push(item.as_str());
            factor.push(a);
        }
    }
    Ok(CheckItems {
        dims: inst.dimensions.iter().map(|d| d.id.as_str()).collect(),
        ids,
        factor,
    })
}

/// The factors of a correlated-factors model and the items loading on each.
pub(crate) struct CheckItems<'a> {
    pub dims: Vec<&'a str>,
    pub ids: Vec<&'a str>,
    /// Each item's factor (position in `dims`).
    pub factor: Vec<usize>,
}

fn structure_table(
    fit: &StructureFit,
    dims: &[&str],
    ids: &[&str],
    factor: &[usize],
) -> Result<DataFrame, Error> {
    let m = dims.len();
    // The strongest correlation of an item's factor with any other factor.
    let max_r = |a: usize| {
        (0..m)
            .filter(|&b| b != a)
            .map(|b| fit.factor_correlations[a * m + b].abs())
            .reduce(f64::max)
    };
    let mut notes = fit.notes.clone();
    let sl = super::omega::schmid_leiman(
        &fit.loadings,
        factor,
        &fit.factor_correlations,
        m,
        fit.total_variance,
    )
    .map_err(|e| notes.push(format!("omega hierarchical: {e}")))
    .ok();
    let note = (!notes.is_empty()).then(|| notes.join("; "));
    // One row per item; the fit statistics repeat on every row.
    let items: Vec<usize> = (0..ids.len()).collect();
    let chi = &fit.chi;
    Table::new(&items)
        .text("dimension", |&i| Some(dims[factor[i]]))
        .text("item", |&i| Some(ids[i]))
        .finite_float("loading", |&i| Some(fit.loadings[i]))
        .finite_float("uniqueness", |&i| Some(fit.uniqueness[i]))
        .finite_float("max_factor_r", |&i| max_r(factor[i]))
        .count("n", |_| Some(fit.n))
        .finite_float("chisq", |_| Some(chi.chisq))
        .count("df", |_| Some(chi.df as u64))
        .finite_float("p_value", |_| Some(chi.p_value))
        .finite_float("cfi", |_| Some(chi.cfi))
        .finite_float("tli", |_| chi.tli)
        .finite_float("rmsea", |_| chi.rmsea)
        .finite_float("srmr", |_| Some(fit.srmr))
        .finite_float("general_loading", |&i| sl.as_ref().map(|sl| sl.general[i]))
        .finite_float("group_loading", |&i| sl.as_ref().map(|sl| sl.group[i]))
        .finite_float("omega_hierarchical", |_| {
            sl.as_ref().map(|sl| sl.omega_hierarchical)
        })
        .finite_float("omega_total", |_| sl.as_ref().map(|sl| sl.omega_total))
        .finite_float("omega_asymptotic", |_| {
            sl.as_ref().map(|sl| sl.omega_asymptotic)
        })
        .text("estimator", |_| Some(fit.estimator))
        .owned_text("note", |_| note.clone())
        .finish()
}

/// Polychoric correlations of the instrument's items (answers as scoring recodes them:
/// reverse keys applied, "vet ej" and not-applicable codes missing), pairwise: one row per
/// item with its answers (`n`) and its correlation with every item. The thresholds are
/// not shown: with `n` they are the item's exact answer counts, which the publication
/// layer may blank elsewhere. Fewer respondents than the instrument's minimum group size
/// are refused, as the publication layer blanks such a group.
pub fn polychoric_frame(df: &DataFrame, inst: &Instrument) -> Result<DataFrame, Error> {
    let respondents = df.height() as u64;
    if respondents < inst.min_group as u64 {
        return Err(ReliabilityError::TooFewRespondents {
            scale: format!(
                "polychoric correlations (the instrument's minimum group size is {})",
                inst.min_group
            ),
            n: respondents,
            needed: inst.min_group as u64,
        }
        .into());
    }
    let prep = Prepared::new(df, inst)?;
    let ids: Vec<&str> = inst.items.iter().map(|i| i.id.as_str()).collect();
    let items = prep.ordinal(&ids);
    let rows: Vec<u32> = (0..df.height() as u32).collect();
    let fit = super::polychoric::polychoric_matrix(&items, &rows);
    let k = items.len();
    let rows: Vec<usize> = (0..k).collect();
    let mut table = Table::new(&rows)
        .text("item", |&i| Some(ids[i]))
        .count("n", |&i| Some(fit.pair_n[i * k + i]));
    for (j, id) in ids.iter().enumerate() {
        table = table.finite_float(id, |&i| Some(fit.rho[i * k + j]));
    }
    table.finish()
}
