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
    drivers, item_total, scale_reliability, CiMethod, ItemValues, Missing, PairSums, ScoredItem,
};
use crate::error::{Error, ReliabilityError};
use crate::instrument::Instrument;
use crate::publish::groups::{group_rows, key_label};
use crate::publish::publication::Visibility;
use crate::score::frame::{item_codes, present_columns, recode_frame};
use crate::score::{recode_item, score_respondents, RecodedItem, ScoreTable, DONT_KNOW};
use polars::prelude::*;

fn scale_label(keys: &DataFrame, g: usize, kind: &str, id: &str) -> String {
    let group = key_label(keys, g);
    if group.is_empty() {
        format!("{kind} `{id}`")
    } else {
        format!("{kind} `{id}` ({group})")
    }
}

/// Recoded items with their score tables, in instrument order.
struct Prepared {
    items: Vec<RecodedItem>,
    tables: Vec<ScoreTable>,
}

impl Prepared {
    fn new(df: &DataFrame, inst: &Instrument) -> Result<Self, Error> {
        let items = recode_parallel(df, inst)?;
        let tables = inst
            .items
            .iter()
            .map(|item| ScoreTable::new(inst, item))
            .collect();
        Ok(Prepared { items, tables })
    }

    fn position(&self, id: &str) -> usize {
        self.items
            .iter()
            .position(|r| r.id == id)
            .expect("scale items belong to the instrument")
    }

    fn scored(&self, ids: &[&str]) -> Vec<ScoredItem<'_>> {
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

/// `score::frame::recode_frame` with the items spread over threads for large inputs (the
/// same `item_codes` + `recode_item` per column, so the same classification and errors).
fn recode_parallel(df: &DataFrame, inst: &Instrument) -> Result<Vec<RecodedItem>, Error> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(df.height() / 50_000)
        .min(inst.items.len());
    if threads <= 1 {
        return recode_frame(df, inst);
    }
    let per = inst.items.len().div_ceil(threads);
    let parts: Vec<Result<Vec<RecodedItem>, Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = inst
            .items
            .chunks(per)
            .map(|items| {
                scope.spawn(move || {
                    items
                        .iter()
                        .map(|item| {
                            let codes = item_codes(df, &item.id, &inst.id)?;
                            Ok(recode_item(inst, item, codes.iter(), &item.id)?)
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("recoding thread panicked"))
            .collect()
    });
    let mut out = Vec::with_capacity(inst.items.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

/// (scale id, kind, item ids): every dimension, then the index over all its items.
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
}

impl Default for ReliabilityOptions {
    fn default() -> Self {
        ReliabilityOptions {
            by: Vec::new(),
            missing: Missing::Pairwise,
            ci: CiMethod::Feldt,
            confidence: 0.95,
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

#[derive(Default)]
struct Rows {
    group: Vec<IdxSize>,
    text: Vec<(String, Vec<Option<String>>)>,
    num: Vec<(String, Vec<Option<f64>>)>,
    count: Vec<(String, Vec<Option<u64>>)>,
    flag: Vec<(String, Vec<Option<bool>>)>,
    order: Vec<(char, usize)>,
}

impl Rows {
    fn text(&mut self, name: &str) -> usize {
        self.order.push(('t', self.text.len()));
        self.text.push((name.into(), Vec::new()));
        self.text.len() - 1
    }
    fn num(&mut self, name: &str) -> usize {
        self.order.push(('n', self.num.len()));
        self.num.push((name.into(), Vec::new()));
        self.num.len() - 1
    }
    fn count(&mut self, name: &str) -> usize {
        self.order.push(('c', self.count.len()));
        self.count.push((name.into(), Vec::new()));
        self.count.len() - 1
    }
    fn flag(&mut self, name: &str) -> usize {
        self.order.push(('f', self.flag.len()));
        self.flag.push((name.into(), Vec::new()));
        self.flag.len() - 1
    }

    fn finish(self, keys: &DataFrame, extra: Vec<Column>) -> Result<DataFrame, Error> {
        let idx = IdxCa::from_vec("g".into(), self.group);
        let height = idx.len();
        let mut cols: Vec<Column> = keys.take(&idx)?.columns().to_vec();
        let mut extra = extra.into_iter();
        for (kind, i) in self.order {
            let c = match kind {
                't' => {
                    let (name, v) = &self.text[i];
                    StringChunked::from_iter_options(name.as_str().into(), v.iter().cloned())
                        .into_column()
                }
                'n' => {
                    let (name, v) = &self.num[i];
                    Float64Chunked::from_iter_options(
                        name.as_str().into(),
                        v.iter().map(|x| x.filter(|x| x.is_finite())),
                    )
                    .into_column()
                }
                'c' => {
                    let (name, v) = &self.count[i];
                    UInt64Chunked::from_iter_options(name.as_str().into(), v.iter().copied())
                        .into_column()
                }
                'f' => {
                    let (name, v) = &self.flag[i];
                    BooleanChunked::from_iter_options(name.as_str().into(), v.iter().copied())
                        .into_column()
                }
                _ => extra.next().expect("one extra column per placeholder"),
            };
            cols.push(c);
        }
        Ok(DataFrame::new(height, cols)?)
    }
}

/// Reliability of every dimension and of the index (all index items), per group.
pub fn reliability_frame(
    df: &DataFrame,
    inst: &Instrument,
    opts: &ReliabilityOptions,
    visible: &Visibility,
) -> Result<DataFrame, Error> {
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
    let prep = Prepared::new(df, inst)?;
    let groups = group_rows(df, &opts.by)?;
    let grouped = !opts.by.is_empty();
    let mut out = Rows::default();
    let c_scale = out.text("scale");
    let c_kind = out.text("kind");
    let c_k = out.count("k");
    let c_n = out.count("n");
    let c_alpha = out.num("alpha");
    let c_std = out.num("alpha_std");
    let c_lo = out.num("ci_low");
    let c_hi = out.num("ci_high");
    let c_g6 = out.num("lambda6");
    let c_omega = out.num("omega_total");
    let c_avr = out.num("average_r");
    let c_method = out.text("ci_method");
    let c_conf = out.num("confidence");
    let c_missing = out.text("missing");
    let c_supp = out.flag("suppressed");
    let c_note = out.text("note");
    let method = match opts.ci {
        CiMethod::Feldt => "feldt",
        CiMethod::Bootstrap { .. } => "bootstrap",
    };
    let missing = match opts.missing {
        Missing::Pairwise => "pairwise",
        Missing::Listwise => "listwise",
    };
    for (g, rows) in groups.rows().iter().enumerate() {
        for (id, kind, ids) in scales(inst) {
            let label = scale_label(&groups.keys, g, kind, &id);
            let scored = prep.scored(&ids);
            let refs: Vec<&dyn ItemValues> = scored.iter().map(|s| s as &dyn ItemValues).collect();
            out.group.push(g as IdxSize);
            out.text[c_scale].1.push(Some(id.clone()));
            out.text[c_kind].1.push(Some(kind.to_string()));
            out.count[c_k].1.push(Some(ids.len() as u64));
            out.text[c_method].1.push(Some(method.into()));
            out.num[c_conf].1.push(Some(opts.confidence));
            out.text[c_missing].1.push(Some(missing.into()));
            let suppressed = !visible.measure(g, &id);
            out.flag[c_supp].1.push(Some(suppressed));
            let result = if suppressed {
                Err(String::new())
            } else if ids.len() < 2 {
                Err(format!(
                    "{label}: one item; alpha, lambda6 and omega need at least two items"
                ))
            } else {
                match scale_reliability(
                    &refs,
                    rows,
                    &ids,
                    &label,
                    opts.missing,
                    opts.ci,
                    opts.confidence,
                ) {
                    Ok(r) => Ok(r),
                    Err(e) if grouped => Err(e.to_string()),
                    Err(e) => return Err(e.into()),
                }
            };
            match result {
                Ok(r) => {
                    out.count[c_n].1.push(Some(r.n));
                    out.num[c_alpha].1.push(Some(r.alpha.raw));
                    out.num[c_std].1.push(Some(r.alpha.std));
                    out.num[c_lo].1.push(r.ci.map(|c| c.0));
                    out.num[c_hi].1.push(r.ci.map(|c| c.1));
                    out.num[c_g6].1.push(r.alpha.g6);
                    out.num[c_omega].1.push(r.omega_total);
                    out.num[c_avr].1.push(Some(r.alpha.average_r));
                    out.text[c_note]
                        .1
                        .push((!r.notes.is_empty()).then(|| r.notes.join("; ")));
                }
                Err(note) => {
                    out.count[c_n].1.push(None);
                    for c in [c_alpha, c_std, c_lo, c_hi, c_g6, c_omega, c_avr] {
                        out.num[c].1.push(None);
                    }
                    // A blanked row is bare: no reason.
                    out.text[c_note].1.push((!note.is_empty()).then_some(note));
                }
            }
        }
    }
    out.finish(&groups.keys, Vec::new())
}

/// Output columns of [`item_analysis_frame`] after the `by` columns.
pub const ITEM_ANALYSIS_COLUMNS: [&str; 17] = [
    "scale",
    "item",
    "reverse",
    "n_respondents",
    "n",
    "mean",
    "sd",
    "r_drop",
    "alpha_if_deleted",
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
    let grouped = !by.is_empty();
    let mut out = Rows::default();
    let c_scale = out.text("scale");
    let c_item = out.text("item");
    let c_rev = out.flag("reverse");
    let c_nresp = out.count("n_respondents");
    let c_n = out.count("n");
    let c_mean = out.num("mean");
    let c_sd = out.num("sd");
    let c_rdrop = out.num("r_drop");
    let c_aid = out.num("alpha_if_deleted");
    let c_miss = out.num("share_missing");
    let c_dk = out.num("share_dont_know");
    let c_floor = out.num("floor");
    let c_ceil = out.num("ceiling");
    out.order.push(('x', 0)); // codes
    out.order.push(('x', 1)); // shares
    let c_supp = out.flag("suppressed");
    let c_note = out.text("note");
    let mut codes_col: Vec<Option<Series>> = Vec::new();
    let mut shares_col: Vec<Option<Series>> = Vec::new();
    for (g, rows) in groups.rows().iter().enumerate() {
        // Item–total statistics per scale, computed once per group.
        let mut per_scale: Vec<(String, Result<Vec<super::ItemTotal>, String>)> = Vec::new();
        if visible.group(g) {
            for (id, kind, ids) in scales(inst) {
                let label = scale_label(&groups.keys, g, kind, &id);
                let scored = prep.scored(&ids);
                let refs: Vec<&dyn ItemValues> =
                    scored.iter().map(|s| s as &dyn ItemValues).collect();
                let res = if ids.len() < 2 {
                    Err(format!("{label}: one item; no item–total statistics"))
                } else {
                    PairSums::compute(&refs, rows, Missing::Pairwise)
                        .covariance(&label, &ids)
                        .and_then(|cov| item_total(&cov, &label, &ids))
                        .map_err(|e| e.to_string())
                };
                per_scale.push((id, res));
            }
        }
        for (j, item) in inst.items.iter().enumerate() {
            let scale = inst.scale_of(item);
            let recoded = &prep.items[j];
            let table = &prep.tables[j];
            let home = scale_of_item(inst, &item.id);
            out.group.push(g as IdxSize);
            out.text[c_scale]
                .1
                .push(home.as_ref().map(|h| h.0.to_string()));
            out.text[c_item].1.push(Some(item.id.clone()));
            out.flag[c_rev].1.push(Some(item.reverse));
            let suppressed = !visible.measure(g, &item.id);
            out.flag[c_supp].1.push(Some(suppressed));
            if suppressed {
                out.count[c_nresp].1.push(None);
                out.count[c_n].1.push(None);
                for c in [c_mean, c_sd, c_rdrop, c_aid, c_miss, c_dk, c_floor, c_ceil] {
                    out.num[c].1.push(None);
                }
                codes_col.push(None);
                shares_col.push(None);
                out.text[c_note].1.push(None);
                continue;
            }
            // Answer shares (codes, "don't know", floor, ceiling) follow the distribution
            // threshold.
            let shown = visible.distribution(g, &item.id);
            let width = (scale.max - scale.min + 1) as usize;
            let mut counts = vec![0u64; width];
            let (mut n, mut sum, mut sum2, mut dk, mut miss) = (0u64, 0.0, 0.0, 0u64, 0u64);
            let lo_score = table.score(scale.min as i16);
            let hi_score = table.score(scale.max as i16);
            let (mut floor, mut ceil) = (0u64, 0u64);
            for &row in rows {
                let code = recoded.codes[row as usize];
                match table.score(code) {
                    Some(y) => {
                        n += 1;
                        sum += y;
                        sum2 += y * y;
                        let raw = if item.reverse {
                            scale.min + scale.max - code as i64
                        } else {
                            code as i64
                        };
                        counts[(raw - scale.min) as usize] += 1;
                        if Some(y) == lo_score {
                            floor += 1;
                        }
                        if Some(y) == hi_score {
                            ceil += 1;
                        }
                    }
                    None if code == DONT_KNOW => dk += 1,
                    None => miss += 1,
                }
            }
            let total = rows.len() as f64;
            let nf = n as f64;
            out.count[c_nresp].1.push(Some(rows.len() as u64));
            out.count[c_n].1.push(Some(n));
            let mean = (n > 0).then(|| sum / nf);
            out.num[c_mean].1.push(mean);
            out.num[c_sd].1.push(
                mean.and_then(|m| {
                    (n > 1).then(|| ((sum2 - nf * m * m).max(0.0) / (nf - 1.0)).sqrt())
                }),
            );
            out.num[c_miss]
                .1
                .push((shown && total > 0.0).then(|| miss as f64 / total));
            out.num[c_dk]
                .1
                .push((shown && total > 0.0).then(|| dk as f64 / total));
            out.num[c_floor]
                .1
                .push((shown && n > 0).then(|| floor as f64 / nf));
            out.num[c_ceil]
                .1
                .push((shown && n > 0).then(|| ceil as f64 / nf));
            codes_col
                .push(shown.then(|| {
                    Series::new("".into(), (scale.min..=scale.max).collect::<Vec<i64>>())
                }));
            shares_col.push(shown.then(|| {
                Series::new(
                    "".into(),
                    counts
                        .iter()
                        .map(|&c| (n > 0).then(|| c as f64 / nf))
                        .collect::<Vec<Option<f64>>>(),
                )
            }));
            let mut note = None;
            let (mut r_drop, mut aid) = (None, None);
            if let Some((home_id, home_items)) = &home {
                let pos = home_items.iter().position(|i| *i == item.id);
                match per_scale.iter().find(|(id, _)| id == home_id) {
                    Some((_, Ok(stats))) => {
                        if let Some(p) = pos {
                            r_drop = Some(stats[p].r_drop);
                            aid = stats[p].alpha_if_deleted;
                            if aid.is_none() {
                                note = Some(format!(
                                    "alpha if deleted: `{home_id}` would keep one item"
                                ));
                            }
                        }
                    }
                    Some((_, Err(e))) => {
                        if !grouped && home_items.len() >= 2 {
                            return Err(ReliabilityError::Undefined {
                                scale: format!("item `{}`", item.id),
                                message: e.clone(),
                            }
                            .into());
                        }
                        note = Some(e.clone());
                    }
                    None => {}
                }
            } else {
                note = Some("item belongs to no dimension and not to the index".into());
            }
            out.num[c_rdrop].1.push(r_drop);
            out.num[c_aid].1.push(aid);
            out.text[c_note].1.push(note);
        }
    }
    let list = |name: &str, v: Vec<Option<Series>>, inner: DataType| -> Column {
        let mut ca: ListChunked = v.into_iter().collect();
        ca.rename(name.into());
        ca.cast(&DataType::List(Box::new(inner)))
            .map(|s| s.into_column())
            .unwrap_or_else(|_| ca.into_column())
    };
    let extra = vec![
        list("codes", codes_col, DataType::Int64),
        list("shares", shares_col, DataType::Float64),
    ];
    out.finish(&groups.keys, extra)
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
    let grouped = !opts.by.is_empty();
    let mut out = Rows::default();
    let c_outcome = out.text("outcome");
    let c_item = out.text("item");
    let c_n = out.count("n");
    let c_r = out.num("r");
    let c_beta = out.num("beta");
    let c_raw = out.num("raw_weight");
    let c_raw_lo = out.num("raw_weight_ci_low");
    let c_raw_hi = out.num("raw_weight_ci_high");
    let c_pct = out.num("rescaled_pct");
    let c_pct_lo = out.num("rescaled_pct_ci_low");
    let c_pct_hi = out.num("rescaled_pct_ci_high");
    let c_r2 = out.num("r_squared");
    let c_used = out.count("n_used");
    let c_conf = out.num("confidence");
    let c_supp = out.flag("suppressed");
    let c_note = out.text("note");
    for (g, rows) in groups.rows().iter().enumerate() {
        // Weights over every index item: shown only where the group and its outcome are.
        let suppressed = !visible.group(g)
            || !visible.measure(g, &outcome_id)
            || ids.iter().any(|id| !visible.measure(g, id));
        let result = if suppressed {
            Err(String::new())
        } else {
            match drivers(
                &refs,
                &outcome,
                rows,
                &ids,
                &outcome_id,
                opts.missing,
                opts.n_boot,
                opts.seed,
                opts.confidence,
            ) {
                Ok(d) => Ok(d),
                Err(e) if grouped => Err(e.to_string()),
                Err(e) => return Err(e.into()),
            }
        };
        for (j, id) in ids.iter().enumerate() {
            out.group.push(g as IdxSize);
            out.text[c_outcome].1.push(Some(outcome_id.clone()));
            out.text[c_item].1.push(Some(id.to_string()));
            out.num[c_conf].1.push(Some(opts.confidence));
            out.flag[c_supp].1.push(Some(suppressed));
            match &result {
                Ok(d) => {
                    let pct = d.weights.rescaled();
                    out.count[c_n].1.push(Some(d.n[j]));
                    out.num[c_r].1.push(Some(d.r[j]));
                    out.num[c_beta].1.push(Some(d.weights.beta[j]));
                    out.num[c_raw].1.push(Some(d.weights.raw[j]));
                    out.num[c_raw_lo].1.push(d.raw_ci.as_ref().map(|c| c[j].0));
                    out.num[c_raw_hi].1.push(d.raw_ci.as_ref().map(|c| c[j].1));
                    out.num[c_pct].1.push(Some(pct[j]));
                    out.num[c_pct_lo].1.push(d.pct_ci.as_ref().map(|c| c[j].0));
                    out.num[c_pct_hi].1.push(d.pct_ci.as_ref().map(|c| c[j].1));
                    out.num[c_r2].1.push(Some(d.weights.r_squared));
                    out.count[c_used].1.push(Some(d.n_used));
                    let mut notes = d.notes.clone();
                    if opts.n_boot == 0 {
                        notes.push("no bootstrap (n_boot = 0)".into());
                    }
                    out.text[c_note]
                        .1
                        .push((!notes.is_empty()).then(|| notes.join("; ")));
                }
                Err(note) => {
                    out.count[c_n].1.push(None);
                    for c in [
                        c_r, c_beta, c_raw, c_raw_lo, c_raw_hi, c_pct, c_pct_lo, c_pct_hi, c_r2,
                    ] {
                        out.num[c].1.push(None);
                    }
                    out.count[c_used].1.push(None);
                    out.text[c_note]
                        .1
                        .push((!note.is_empty()).then(|| note.clone()));
                }
            }
        }
    }
    out.finish(&groups.keys, Vec::new())
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
        Missing::Listwise,
        0,
        0,
        0.95,
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
    let mut out = Rows::default();
    let c_nresp = out.count("n_respondents");
    let c_item = out.text("item");
    let c_imp = out.num("importance_pct");
    let c_score = out.num("score");
    let c_all = out.num("score_all");
    let c_n = out.count("n");
    let c_prio = out.num("priority");
    let c_rank = out.count("rank");
    let c_focus = out.flag("focus");
    let c_supp = out.flag("suppressed");
    let c_note = out.text("note");
    for (g, rows) in groups.rows().iter().enumerate() {
        let suppressed = !visible.group(g);
        let stats: Vec<(u64, Option<f64>)> = (0..ids.len()).map(|j| mean_of(j, rows)).collect();
        let priority: Vec<Option<f64>> = stats
            .iter()
            .zip(&importance)
            .enumerate()
            .map(|(j, ((n, m), imp))| {
                m.filter(|_| !suppressed && visible.measure(g, ids[j]) && *n > 0)
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
        for (j, id) in ids.iter().enumerate() {
            out.group.push(g as IdxSize);
            out.text[c_item].1.push(Some(id.to_string()));
            out.num[c_imp].1.push(Some(importance[j]));
            out.num[c_all].1.push(score_all[j]);
            out.flag[c_supp].1.push(Some(suppressed));
            if suppressed {
                out.count[c_nresp].1.push(None);
                out.count[c_n].1.push(None);
                out.num[c_score].1.push(None);
                out.num[c_prio].1.push(None);
                out.count[c_rank].1.push(None);
                out.flag[c_focus].1.push(None);
                out.text[c_note].1.push(None);
                continue;
            }
            let (n, m) = stats[j];
            out.count[c_nresp].1.push(Some(rows.len() as u64));
            let shown = visible.measure(g, id);
            out.count[c_n].1.push(shown.then_some(n));
            out.num[c_score].1.push(m.filter(|_| shown));
            out.num[c_prio].1.push(priority[j]);
            out.count[c_rank].1.push(rank[j]);
            out.flag[c_focus]
                .1
                .push(Some(rank[j].is_some_and(|r| r as usize <= top)));
            out.text[c_note].1.push(None);
        }
    }
    out.finish(&groups.keys, Vec::new())
}

/// Output columns of [`structure_frame`].
pub const STRUCTURE_COLUMNS: [&str; 14] = [
    "dimension",
    "item",
    "loading",
    "uniqueness",
    "max_factor_r",
    "n",
    "chisq",
    "df",
    "p_value",
    "cfi",
    "tli",
    "rmsea",
    "srmr",
    "note",
];

/// Confirmatory check of the dimension structure (one factor per dimension, correlated
/// factors, ML on the listwise item correlation matrix); see [`super::cfa`].
pub fn structure_frame(df: &DataFrame, inst: &Instrument) -> Result<DataFrame, Error> {
    let prep = Prepared::new(df, inst)?;
    let (dims, ids, factor): (Vec<&str>, Vec<&str>, Vec<usize>) = if inst.dimensions.is_empty() {
        let ids = inst.index_items();
        let n = ids.len();
        (vec![inst.index.id.as_str()], ids, vec![0; n])
    } else {
        let mut ids = Vec::new();
        let mut factor = Vec::new();
        for (a, d) in inst.dimensions.iter().enumerate() {
            for item in &d.items {
                if ids.contains(&item.as_str()) {
                    return Err(ReliabilityError::Undefined {
                        scale: "dimension structure".into(),
                        message: format!(
                            "item `{item}` belongs to more than one dimension; the check needs each item in one dimension"
                        ),
                    }
                    .into());
                }
                ids.push(item.as_str());
                factor.push(a);
            }
        }
        (
            inst.dimensions.iter().map(|d| d.id.as_str()).collect(),
            ids,
            factor,
        )
    };
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
    let fit = super::cfa::fit_cfa(&r, sums.rows_complete, &factor, &ids, &dims)?;
    let m = dims.len();
    let mut out = Rows::default();
    let c_dim = out.text("dimension");
    let c_item = out.text("item");
    let c_load = out.num("loading");
    let c_uniq = out.num("uniqueness");
    let c_maxr = out.num("max_factor_r");
    let c_n = out.count("n");
    let c_chisq = out.num("chisq");
    let c_df = out.count("df");
    let c_p = out.num("p_value");
    let c_cfi = out.num("cfi");
    let c_tli = out.num("tli");
    let c_rmsea = out.num("rmsea");
    let c_srmr = out.num("srmr");
    let c_note = out.text("note");
    let note = (!fit.notes.is_empty()).then(|| fit.notes.join("; "));
    for (i, id) in ids.iter().enumerate() {
        let a = factor[i];
        out.group.push(0);
        out.text[c_dim].1.push(Some(dims[a].to_string()));
        out.text[c_item].1.push(Some(id.to_string()));
        out.num[c_load].1.push(Some(fit.loadings[i]));
        out.num[c_uniq].1.push(Some(fit.uniqueness[i]));
        out.num[c_maxr].1.push(
            (0..m)
                .filter(|&b| b != a)
                .map(|b| fit.factor_correlations[a * m + b].abs())
                .reduce(f64::max),
        );
        out.count[c_n].1.push(Some(fit.n));
        out.num[c_chisq].1.push(Some(fit.chisq));
        out.count[c_df].1.push(Some(fit.df as u64));
        out.num[c_p].1.push(Some(fit.p_value));
        out.num[c_cfi].1.push(Some(fit.cfi));
        out.num[c_tli].1.push(Some(fit.tli));
        out.num[c_rmsea].1.push(Some(fit.rmsea));
        out.num[c_srmr].1.push(Some(fit.srmr));
        out.text[c_note].1.push(note.clone());
    }
    out.finish(&DataFrame::empty_with_height(1), Vec::new())
}
