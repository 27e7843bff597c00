//! The polars edge of measurement invariance: the complete respondents of every group that
//! the publication layer shows, one model per dimension (or one for the whole instrument),
//! the sequence of steps, and one table with the fit of every step, the differences between
//! steps, the items that work differently and a verdict in the instrument's language.
//!
//! Privacy: a group the publication layer blanks (for any measure of the model) is left out
//! of the model altogether, so nothing in the table depends on its answers; so is a group
//! with fewer complete respondents than the minimum group size. `note` names them.

use super::{
    fit_model, invariance_steps, Criteria, Freed, Kind, MgFit, Moments, Outcome, Step, StepResult,
};
use crate::error::{Error, ReliabilityError};
use crate::instrument::{Instrument, Lang};
use crate::publish::groups::{group_rows, Groups};
use crate::publish::publication::{Thresholds, Visibility};
use crate::publish::table::Table;
use crate::reliability::frame::{structure_items, Prepared};
use crate::reliability::linalg::spd_inverse;
use crate::reliability::{ItemValues, Missing, PairSums};
use polars::prelude::*;
use statrs::distribution::{ChiSquared, ContinuousCDF};

/// Which factor model is tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// One one-factor model per dimension: a verdict per dimension.
    Dimensions,
    /// One model of the instrument's correlated dimensions.
    Instrument,
}

crate::choice!(Model, "model", {
    Dimensions => "dimensions",
    Instrument => "instrument",
});

/// Options of [`invariance_frame`].
#[derive(Debug, Clone, PartialEq)]
pub struct InvarianceOptions {
    /// The grouping the invariance is tested across (a unit column, a year column).
    pub by: Vec<String>,
    pub model: Model,
    pub criteria: Criteria,
    pub min_group: Option<usize>,
    /// Complete respondents a group needs to enter a model; default 10 per item (never
    /// fewer than the minimum group size, nor than items + 1).
    pub min_respondents: Option<usize>,
    pub lang: Option<Lang>,
}

/// One model to test: a dimension (or the instrument) and its items.
struct Unit<'i> {
    id: &'i str,
    items: Vec<&'i str>,
    factor: Vec<usize>,
    m: usize,
}

fn units(inst: &Instrument, model: Model) -> Result<Vec<Unit<'_>>, Error> {
    if model == Model::Dimensions && !inst.dimensions.is_empty() {
        return Ok(inst
            .dimensions
            .iter()
            .map(|d| Unit {
                id: d.id.as_str(),
                items: d.items.iter().map(String::as_str).collect(),
                factor: vec![0; d.items.len()],
                m: 1,
            })
            .collect());
    }
    // The instrument's correlated dimensions (one factor over the index without any).
    let structure = structure_items(inst).map_err(|item| ReliabilityError::Parameter {
        parameter: "model".into(),
        message: format!(
            "item `{item}` belongs to more than one dimension; model=\"instrument\" needs each item in one dimension (use model=\"dimensions\")"
        ),
    })?;
    Ok(vec![Unit {
        id: inst.index.id.as_str(),
        m: structure.dims.len(),
        items: structure.ids,
        factor: structure.factor,
    }])
}

/// The group's key values for people ("Socialförvaltningen", "2025"); a missing key (the
/// group of respondents without one) in words.
fn group_name(groups: &Groups, g: usize, lang: Lang) -> String {
    let missing = match lang {
        Lang::Sv => "gruppen utan uppgift",
        Lang::En => "the group without a value",
    };
    groups
        .keys
        .columns()
        .iter()
        .map(|c| match c.get(g) {
            Ok(AnyValue::Null) | Err(_) => missing.to_string(),
            Ok(v) => v.to_string().trim_matches('"').to_string(),
        })
        .collect::<Vec<_>>()
        .join(" / ")
}

/// The groups that enter a unit's model with their moments, and a note on those left out.
fn unit_moments(
    prep: &Prepared,
    unit: &Unit,
    names: &[String],
    members: &[Vec<u32>],
    visible: &Visibility,
    min_complete: u64,
) -> (Vec<usize>, Vec<Moments>, Vec<String>) {
    let scored = prep.scored(&unit.items);
    let refs: Vec<&dyn ItemValues> = scored.iter().map(|s| s as &dyn ItemValues).collect();
    let p = unit.items.len();
    let mut kept = Vec::new();
    let mut moments = Vec::new();
    let mut left_out = Vec::new();
    for (g, rows) in members.iter().enumerate() {
        let shown = visible.group(g)
            && visible.measure(g, unit.id)
            && unit.items.iter().all(|id| visible.measure(g, id));
        let name = &names[g];
        if !shown {
            left_out.push(format!("{name}: blanked by the publication layer"));
            continue;
        }
        let sums = PairSums::compute(&refs, rows, Missing::Listwise);
        let n = sums.rows_complete;
        if n < min_complete {
            left_out.push(format!(
                "{name}: fewer complete respondents than the {min_complete} a group needs"
            ));
            continue;
        }
        let cov = match sums.covariance(&format!("`{}`", unit.id), &unit.items) {
            Ok(c) => c,
            Err(e) => {
                left_out.push(format!("{name}: {e}"));
                continue;
            }
        };
        let scale = (n as f64 - 1.0) / n as f64;
        let cov: Vec<f64> = cov.c.iter().map(|v| v * scale).collect();
        if spd_inverse(&cov, p).is_none() {
            left_out.push(format!(
                "{name}: its answers to these items are linearly dependent (a singular covariance matrix)"
            ));
            continue;
        }
        let mean = (0..p).map(|j| sums.mean(j).unwrap_or(f64::NAN)).collect();
        let own = Moments { n, mean, cov };
        // A group whose own factor model has no proper solution would stop every model.
        let alone = fit_model(
            std::slice::from_ref(&own),
            &unit.factor,
            unit.m,
            Step::Configural,
            &Freed::default(),
            name,
        );
        if alone.is_err() {
            left_out.push(format!(
                "{name}: its own factor model does not converge (no proper solution)"
            ));
            continue;
        }
        moments.push(own);
        kept.push(g);
    }
    (kept, moments, left_out)
}

/// The highest step accepted ("partial …" when any step up to it freed items), and whether
/// the dimension's means compare: metric and scalar both hold without freed items.
fn level(steps: &[StepResult]) -> (String, bool) {
    let outcome = |step: Step| steps.iter().find(|s| s.step == step).map(|s| s.outcome);
    let accepted = |o: Option<Outcome>| matches!(o, Some(Outcome::Holds | Outcome::Partial));
    if !accepted(outcome(Step::Configural)) {
        return ("none".into(), false);
    }
    let highest = Step::ALL
        .iter()
        .take_while(|s| accepted(outcome(**s)))
        .last()
        .copied()
        .unwrap_or(Step::Configural);
    let partial = Step::ALL
        .iter()
        .filter(|s| **s <= highest)
        .any(|s| outcome(*s) == Some(Outcome::Partial));
    let comparable = [Step::Metric, Step::Scalar]
        .iter()
        .all(|s| outcome(*s) == Some(Outcome::Holds));
    let name = if partial {
        format!("partial {}", highest.name())
    } else {
        highest.name().to_string()
    };
    (name, comparable)
}

/// The group whose own parameter of `kind` for `item` lies furthest from the mean of the
/// other groups' (in `fit`, where that parameter is free per group), the distance weighted
/// by √n so that a small group's noise does not outrank a large group's real difference.
/// Leave-one-out and unweighted mean, so one large deviating group does not pull the
/// reference towards itself.
fn most_different(fit: &MgFit, kind: Kind, item: usize) -> usize {
    let groups = fit.group_n.len();
    let p = fit.loadings.len() / groups;
    let values = match kind {
        Kind::Loading => &fit.loadings,
        Kind::Intercept => &fit.intercepts,
        Kind::Residual => &fit.residuals,
    };
    let value = |g: usize| values[g * p + item];
    let total: f64 = (0..groups).map(value).sum();
    let distance = |g: usize| {
        let others = (total - value(g)) / (groups - 1) as f64;
        (value(g) - others).abs() * (fit.group_n[g] as f64).sqrt()
    };
    (0..groups)
        .max_by(|&a, &b| distance(a).total_cmp(&distance(b)))
        .unwrap_or(0)
}

/// A sentence for people: are the dimension's means comparable across the groups, and if
/// not, which items work differently (loadings or intercepts, at most two named; residual
/// variances do not decide it) and in which group most. "Partly comparable" when scalar
/// invariance holds once some items keep their own parameters (the latent means compare,
/// the plain index of all items not quite); "not comparable" when it does not hold.
fn verdict(
    inst: &Instrument,
    lang: Lang,
    steps: &[StepResult],
    unit: &Unit,
    group_names: &[String],
) -> String {
    let (level, comparable) = level(steps);
    if comparable {
        return match lang {
            Lang::Sv => "jämförbar mellan grupperna".into(),
            Lang::En => "comparable across the groups".into(),
        };
    }
    if level == "none" {
        return match lang {
            Lang::Sv => "inte jämförbar: frågorna hänger inte ihop på samma sätt i alla grupper (den konfigurala modellen passar dåligt)".into(),
            Lang::En => "not comparable: the items do not hang together the same way in every group (the configural model fits poorly)".into(),
        };
    }
    let differing = steps.iter().filter(|s| {
        matches!(s.step, Step::Metric | Step::Scalar)
            && matches!(s.outcome, Outcome::Partial | Outcome::Fails)
    });
    let named: Vec<String> = differing
        .flat_map(|s| s.freed_here.iter().map(move |&i| (s, i)))
        .take(2)
        .map(|(s, i)| {
            let label = inst
                .items
                .iter()
                .find(|it| it.id == unit.items[i])
                .map_or(unit.items[i], |it| it.text.get(lang));
            let kind = s.step.equates().unwrap_or(Kind::Intercept);
            let place = s
                .search
                .as_ref()
                .map(|f| group_names[most_different(f, kind, i)].clone());
            match (lang, place) {
                (Lang::Sv, Some(g)) => format!("”{label}” fungerar olika (mest i {g})"),
                (Lang::En, Some(g)) => format!("“{label}” works differently (most in {g})"),
                (Lang::Sv, None) => format!("”{label}” fungerar olika"),
                (Lang::En, None) => format!("“{label}” works differently"),
            }
        })
        .collect();
    let items = named.join("; ");
    let scalar_accepted = steps
        .iter()
        .any(|s| s.step == Step::Scalar && matches!(s.outcome, Outcome::Holds | Outcome::Partial));
    match (lang, scalar_accepted, items.is_empty()) {
        (Lang::Sv, _, true) => "inte jämförbar mellan grupperna".into(),
        (Lang::En, _, true) => "not comparable across the groups".into(),
        (Lang::Sv, true, false) => format!("delvis jämförbar: {items}"),
        (Lang::En, true, false) => format!("partly comparable: {items}"),
        (Lang::Sv, false, false) => format!("inte jämförbar: {items}"),
        (Lang::En, false, false) => format!("not comparable: {items}"),
    }
}

/// Negative residual variances (Heywood cases) in any model of the sequence, once each by
/// item and group: the estimate is kept, as lavaan keeps it, and said.
fn heywood_cases(steps: &[StepResult], unit: &Unit, group_names: &[String]) -> Vec<String> {
    let p = unit.items.len();
    let mut seen = Vec::new();
    for fit in steps
        .iter()
        .flat_map(|s| [&s.fit, &s.constrained, &s.search])
    {
        let Some(fit) = fit else { continue };
        for (gi, v) in fit.residuals.iter().enumerate() {
            let key = (gi / p, gi % p);
            if *v < 0.0 && !seen.contains(&key) {
                seen.push(key);
            }
        }
    }
    seen.sort_unstable();
    seen.iter()
        .map(|&(g, i)| {
            format!(
                "negative residual variance (a Heywood case) for `{}` in {}",
                unit.items[i], group_names[g]
            )
        })
        .collect()
}

/// A unit's models: the steps (or why it could not be tested), the groups that entered
/// (positions in the grouping), and the groups left out and why.
struct Tested {
    steps: Result<Vec<StepResult>, String>,
    kept: Vec<usize>,
    left_out: Vec<String>,
}

/// One output row: a model of a unit's sequence (or a unit that could not be tested).
struct Row<'a> {
    unit: &'a str,
    step: Step,
    outcome: Option<&'static str>,
    model: Option<&'a MgFit>,
    /// The model the step is compared with (the last accepted one).
    previous: Option<&'a MgFit>,
    /// Items of this row's model whose parameter stays free per group at this step.
    freed: Option<String>,
    groups: usize,
    level: Option<String>,
    comparable: Option<bool>,
    verdict: Option<String>,
    note: Option<String>,
}

impl Row<'_> {
    fn delta(&self) -> Option<(&MgFit, &MgFit)> {
        Some((self.model?, self.previous?))
    }
}

/// The models of one step as (outcome, model, whether it is the search's): the fully
/// constrained model, then, where the search for partial invariance ran, the model it
/// ended with (accepted: "partial"; not: "fails" again). None for a step not tested.
fn step_models(s: &StepResult) -> Vec<(&'static str, &MgFit, bool)> {
    match (
        s.outcome,
        s.constrained.as_ref(),
        s.fit.as_ref(),
        s.search.as_ref(),
    ) {
        (Outcome::Partial, Some(full), Some(partial), _) => vec![
            (Outcome::Fails.name(), full, false),
            (Outcome::Partial.name(), partial, true),
        ],
        (Outcome::Fails, _, Some(full), Some(searched)) => vec![
            (Outcome::Fails.name(), full, false),
            (Outcome::Fails.name(), searched, true),
        ],
        (outcome, _, Some(fit), _) => vec![(outcome.name(), fit, false)],
        // Not tested: no model.
        _ => Vec::new(),
    }
}

/// Measurement invariance of the instrument across the groups of `opts.by`.
pub fn invariance_frame(
    df: &DataFrame,
    inst: &Instrument,
    opts: &InvarianceOptions,
    visible: &Visibility,
) -> Result<DataFrame, Error> {
    check_options(opts)?;
    let prep = Prepared::new(df, inst)?;
    let groups = group_rows(df, &opts.by)?;
    let members = groups.rows();
    let lang = opts.lang.unwrap_or(inst.language);
    let min_group = Thresholds::of(inst, opts.min_group)?.min_group;
    let names: Vec<String> = (0..groups.len())
        .map(|g| group_name(&groups, g, lang))
        .collect();
    let units = units(inst, opts.model)?;
    let tested: Vec<Tested> = units
        .iter()
        .map(|unit| {
            let p = unit.items.len() as u64;
            let min_complete = opts
                .min_respondents
                .map_or(10 * p, |m| m as u64)
                .max(min_group)
                .max(p + 1);
            let (kept, moments, left_out) =
                unit_moments(&prep, unit, &names, &members, visible, min_complete);
            let label = format!("invariance of `{}`", unit.id);
            let steps = if unit.items.len() < 3 {
                Err(format!(
                    "{} item(s); a factor model of its own needs at least 3",
                    unit.items.len()
                ))
            } else if kept.len() < 2 {
                Err(format!(
                    "{} group(s) may enter the model; invariance needs at least 2",
                    kept.len()
                ))
            } else {
                invariance_steps(&moments, &unit.factor, unit.m, opts.criteria, &label)
                    .map_err(|e| e.to_string())
            };
            Tested {
                steps,
                kept,
                left_out,
            }
        })
        .collect();
    if tested.iter().all(|t| t.steps.is_err()) {
        let reason = units
            .iter()
            .zip(&tested)
            .map(|(unit, t)| {
                let mut why = format!(
                    "`{}`: {}",
                    unit.id,
                    t.steps.as_ref().err().map_or("", |e| e)
                );
                if !t.left_out.is_empty() {
                    why.push_str(&format!(" (left out: {})", t.left_out.join("; ")));
                }
                why
            })
            .collect::<Vec<_>>()
            .join("; ");
        return Err(ReliabilityError::Undefined {
            scale: format!("invariance across `{}`", opts.by.join(", ")),
            message: format!("no model could be tested: {reason}"),
        }
        .into());
    }
    let mut rows = Vec::new();
    for (unit, t) in units.iter().zip(&tested) {
        let (steps, n_groups, left_out) = (&t.steps, &t.kept.len(), &t.left_out);
        let kept_names: Vec<String> = t.kept.iter().map(|&g| names[g].clone()).collect();
        let mut note_parts = Vec::new();
        if !left_out.is_empty() {
            note_parts.push(format!("left out: {}", left_out.join("; ")));
        }
        match steps {
            Err(why) => {
                note_parts.insert(0, why.clone());
                rows.push(Row {
                    unit: unit.id,
                    step: Step::Configural,
                    outcome: None,
                    model: None,
                    previous: None,
                    groups: *n_groups,
                    freed: None,
                    level: None,
                    comparable: None,
                    verdict: None,
                    note: Some(note_parts.join("; ")),
                });
            }
            Ok(steps) => {
                let (lvl, comparable) = level(steps);
                let sentence = verdict(inst, lang, steps, unit, &kept_names);
                note_parts.extend(heywood_cases(steps, unit, &kept_names));
                note_parts.extend(
                    steps
                        .iter()
                        .filter(|s| s.outcome == Outcome::Fails && s.fit.is_none())
                        .map(|s| format!("the {} model did not converge", s.step.name())),
                );
                let note = (!note_parts.is_empty()).then(|| note_parts.join("; "));
                for s in steps {
                    let freed = (!s.freed_here.is_empty()).then(|| {
                        s.freed_here
                            .iter()
                            .map(|&i| unit.items[i])
                            .collect::<Vec<_>>()
                            .join(", ")
                    });
                    let models = step_models(s);
                    let untested = models.is_empty().then_some((s.outcome.name(), None, false));
                    let models = models
                        .into_iter()
                        .map(|(o, m, f)| (o, Some(m), f))
                        .chain(untested);
                    for (outcome, model, searched) in models {
                        rows.push(Row {
                            unit: unit.id,
                            step: s.step,
                            outcome: Some(outcome),
                            model,
                            previous: s.previous.as_ref(),
                            freed: freed.clone().filter(|_| searched),
                            groups: *n_groups,
                            level: Some(lvl.clone()),
                            comparable: Some(comparable),
                            verdict: Some(sentence.clone()),
                            note: note.clone(),
                        });
                    }
                }
            }
        }
    }
    let across = opts.by.join(", ");
    Table::new(&rows)
        .text("across", |_| Some(across.as_str()))
        .text("dimension", |r| Some(r.unit))
        .text("step", |r| Some(r.step.name()))
        .text("outcome", |r| r.outcome)
        .count("groups", |r| Some(r.groups as u64))
        .count("n", |r| r.model.map(|f| f.n))
        .finite_float("chisq", |r| r.model.map(|f| f.chi.chisq))
        .count("df", |r| r.model.map(|f| f.chi.df as u64))
        .finite_float("p_value", |r| r.model.map(|f| f.chi.p_value))
        .finite_float("cfi", |r| r.model.map(|f| f.chi.cfi))
        .finite_float("tli", |r| r.model.and_then(|f| f.chi.tli))
        .finite_float("rmsea", |r| r.model.and_then(|f| f.chi.rmsea))
        .finite_float("rmsea_low", |r| {
            r.model.and_then(|f| f.chi.rmsea_ci).map(|c| c.0)
        })
        .finite_float("rmsea_high", |r| {
            r.model.and_then(|f| f.chi.rmsea_ci).map(|c| c.1)
        })
        .finite_float("srmr", |r| r.model.map(|f| f.srmr))
        .finite_float("aic", |r| r.model.map(|f| f.aic))
        .finite_float("bic", |r| r.model.map(|f| f.bic))
        .finite_float("delta_chisq", |r| {
            r.delta().map(|(f, p)| f.chi.chisq - p.chi.chisq)
        })
        .count("delta_df", |r| {
            r.delta().map(|(f, p)| (f.chi.df - p.chi.df) as u64)
        })
        .finite_float("delta_p", |r| {
            r.delta().and_then(|(f, p)| {
                let d = (f.chi.df - p.chi.df) as f64;
                ChiSquared::new(d)
                    .ok()
                    .map(|c| c.sf((f.chi.chisq - p.chi.chisq).max(0.0)))
            })
        })
        .finite_float("delta_cfi", |r| {
            r.delta().map(|(f, p)| f.chi.cfi - p.chi.cfi)
        })
        .finite_float("delta_rmsea", |r| {
            r.delta()
                .map(|(f, p)| f.chi.rmsea.unwrap_or(0.0) - p.chi.rmsea.unwrap_or(0.0))
        })
        .owned_text("freed", |r| r.freed.clone())
        .owned_text("level", |r| r.level.clone())
        .flag("comparable", |r| r.comparable)
        .owned_text("verdict", |r| r.verdict.clone())
        .text("estimator", |_| Some("ML"))
        .owned_text("note", |r| r.note.clone())
        .finish()
}

fn check_options(opts: &InvarianceOptions) -> Result<(), Error> {
    if opts.by.is_empty() {
        return Err(ReliabilityError::Parameter {
            parameter: "group".into(),
            message: "name the column whose groups are compared (e.g. group=\"forvaltning\"), or give waves".into(),
        }
        .into());
    }
    let cfi = opts.criteria.min_configural_cfi;
    if !(0.0..=1.0).contains(&cfi) {
        return Err(ReliabilityError::Parameter {
            parameter: "min_configural_cfi".into(),
            message: format!("must lie in 0–1 (the usual value is 0.90), got {cfi}"),
        }
        .into());
    }
    let rmsea = opts.criteria.max_rmsea_rise;
    for (name, v, hint) in [
        ("max_cfi_drop", Some(opts.criteria.max_cfi_drop), "0.01"),
        ("max_rmsea_rise", rmsea, "0.015"),
    ] {
        let Some(v) = v else { continue };
        if !(v.is_finite() && v >= 0.0) {
            return Err(ReliabilityError::Parameter {
                parameter: name.into(),
                message: format!("must be a number ≥ 0 (the usual value is {hint}), got {v}"),
            }
            .into());
        }
    }
    Ok(())
}
