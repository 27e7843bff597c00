//! The staff-survey answer model: correlated latent traits per respondent, ordinal items
//! cut from them, then "vet ej" and missing answers laid on top.

use super::organisation::{share_women, Unit};
use super::rng::Rng;

/// Which latent trait an item mainly measures.
#[derive(Clone, Copy)]
enum Trait {
    Engagement,
    Participation,
    Learning,
    /// Leadership items: participation plus the unit's manager quality directly.
    Leadership,
    /// Governance (styrning): half participation, half learning.
    Governance,
}

/// How one item is generated.
struct ItemModel {
    id: &'static str,
    measures: Trait,
    /// Shifts the item's answers up or down (latent SD units): some statements are easier
    /// to agree with than others.
    intercept: f64,
    /// Whether the questionnaire offers "vet ej" (code 6) for this item.
    offers_dont_know: bool,
    /// Reverse-keyed statements are answered on the opposite end of the scale.
    reversed: bool,
}

const fn item(id: &'static str, measures: Trait, intercept: f64) -> ItemModel {
    ItemModel {
        id,
        measures,
        intercept,
        offers_dont_know: false,
        reversed: false,
    }
}

const fn with_dont_know(mut m: ItemModel) -> ItemModel {
    m.offers_dont_know = true;
    m
}

const fn reversed(mut m: ItemModel) -> ItemModel {
    m.reversed = true;
    m
}

use Trait::*;

/// The 28 staff items in questionnaire order (the order of `STAFF_ITEMS`).
const ITEMS: [ItemModel; 28] = [
    item("hme1", Engagement, 0.75),
    item("hme2", Engagement, 0.65),
    item("hme3", Engagement, 0.85),
    item("hme4", Leadership, 0.55),
    item("hme5", Leadership, 0.45),
    item("hme6", Leadership, 0.60),
    with_dont_know(item("hme7", Governance, 0.35)),
    with_dont_know(item("hme8", Governance, 0.40)),
    with_dont_know(item("hme9", Governance, 0.25)),
    item("eng1", Engagement, 0.80),
    item("eng2", Engagement, 0.60),
    item("eng3", Engagement, 0.70),
    reversed(item("eng4", Engagement, 0.45)),
    item("eng5", Engagement, 0.55),
    with_dont_know(item("del1", Participation, 0.50)),
    with_dont_know(item("del2", Participation, 0.30)),
    with_dont_know(item("del3", Participation, 0.40)),
    with_dont_know(item("del4", Participation, 0.20)),
    with_dont_know(reversed(item("del5", Participation, 0.35))),
    with_dont_know(item("lar1", Learning, 0.45)),
    with_dont_know(item("lar2", Learning, 0.15)),
    with_dont_know(item("lar3", Learning, 0.05)),
    with_dont_know(item("lar4", Learning, -0.05)),
    item("b47", Engagement, 0.55),
    item("b48", Engagement, 0.50),
    item("b49", Engagement, 0.40),
    item("b50", Engagement, 0.65),
    item("b51", Engagement, 0.20),
];

/// Cut points on the latent answer scale between codes 1|2, 2|3, 3|4 and 4|5.
const THRESHOLDS: [f64; 4] = [-1.9, -1.0, -0.1, 1.1];
const LOADING: f64 = 0.75;
const ITEM_NOISE_SD: f64 = 0.65;
/// Weight of the general factor shared by the three traits; gives trait correlations ≈ 0.64.
const GENERAL: f64 = 0.8;

pub const KON: [&str; 3] = ["Kvinna", "Man", "Annat/vill ej uppge"];
pub const ALDERSGRUPPER: [&str; 5] = ["-29", "30-39", "40-49", "50-59", "60-"];
const AGE_SHARES: [f64; 5] = [0.12, 0.22, 0.25, 0.27, 0.14];

/// Shift of a unit's traits in the wave (latent SD units), from the built-in change table.
#[derive(Clone, Copy, Default)]
pub struct TraitShift {
    pub engagement: f64,
    pub participation: f64,
    pub learning: f64,
    /// Added to the leadership items' signal only (what a leadership programme changes).
    pub leadership: f64,
}

/// The latent traits of one respondent.
struct Traits {
    engagement: f64,
    participation: f64,
    learning: f64,
    manager: f64,
    leadership: f64,
}

fn draw_traits(unit: &Unit, shift: TraitShift, rng: &mut Rng) -> Traits {
    let general = rng.normal();
    let own = (1.0 - GENERAL * GENERAL).sqrt();
    let mut trait_of = |extra: f64| GENERAL * general + own * rng.normal() + unit.climate + extra;
    Traits {
        engagement: trait_of(shift.engagement),
        participation: trait_of(0.6 * unit.manager + shift.participation),
        learning: trait_of(0.4 * unit.manager + shift.learning),
        manager: unit.manager,
        leadership: shift.leadership,
    }
}

/// An item that works differently in one förvaltning (measurement non-invariance for
/// `ly.invariance` to find): in Socialförvaltningen, with its caseloads and shift work,
/// there is less time for reflection ("Det finns tid för reflektion i arbetsgruppen")
/// whatever the unit's learning climate, so the item sits lower there at equal learning.
fn item_bias(model: &ItemModel, unit: &Unit) -> f64 {
    if model.id == "lar3" && unit.forvaltning == "Socialförvaltningen" {
        -0.5
    } else {
        0.0
    }
}

fn latent_answer(model: &ItemModel, t: &Traits, rng: &mut Rng) -> f64 {
    let signal = match model.measures {
        Engagement => t.engagement,
        Participation => t.participation,
        Learning => t.learning,
        Leadership => 0.6 * t.participation + 0.8 * t.manager + t.leadership,
        Governance => 0.5 * (t.participation + t.learning),
    };
    model.intercept + LOADING * signal + ITEM_NOISE_SD * rng.normal()
}

fn code_of(latent: f64, reversed: bool) -> i64 {
    let agreement = 1 + THRESHOLDS.iter().filter(|&&cut| latent > cut).count() as i64;
    if reversed {
        6 - agreement
    } else {
        agreement
    }
}

/// How a respondent leaves answers out: most skip the odd item, some skip many, a few
/// stop part-way through the questionnaire.
enum MissingPattern {
    Occasional(f64),
    StopsAt(usize),
}

fn draw_missing_pattern(rng: &mut Rng) -> MissingPattern {
    let u = rng.uniform();
    if u < 0.84 {
        MissingPattern::Occasional(0.015)
    } else if u < 0.96 {
        MissingPattern::Occasional(0.10)
    } else {
        MissingPattern::StopsAt(5 + rng.below(ITEMS.len() - 5))
    }
}

/// Items late in a block and free-standing items are skipped a little more often.
fn item_skip_factor(position: usize) -> f64 {
    0.7 + 0.2 * (position % 5) as f64
}

fn is_skipped(pattern: &MissingPattern, position: usize, rng: &mut Rng) -> bool {
    match *pattern {
        MissingPattern::Occasional(rate) => rng.bernoulli(rate * item_skip_factor(position)),
        MissingPattern::StopsAt(stop) => position >= stop,
    }
}

/// "Vet ej" is likelier when the respondent has no clear view (latent answer near the middle).
fn says_dont_know(latent: f64, rng: &mut Rng) -> bool {
    rng.bernoulli(0.02 + 0.05 * (-(latent - 0.4).powi(2)).exp())
}

/// One respondent's answers in questionnaire order.
pub fn answers(unit: &Unit, shift: TraitShift, rng: &mut Rng) -> [Option<i64>; 28] {
    let traits = draw_traits(unit, shift, rng);
    let pattern = draw_missing_pattern(rng);
    let mut out = [None; 28];
    for (position, model) in ITEMS.iter().enumerate() {
        let latent = latent_answer(model, &traits, rng) + item_bias(model, unit);
        if is_skipped(&pattern, position, rng) {
            continue;
        }
        out[position] = if model.offers_dont_know && says_dont_know(latent, rng) {
            Some(6)
        } else {
            Some(code_of(latent, model.reversed))
        };
    }
    out
}

/// Gender and age group, drawn with the förvaltning's gender balance.
pub fn background(unit: &Unit, rng: &mut Rng) -> (&'static str, &'static str) {
    let u = rng.uniform();
    let women = share_women(unit.forvaltning_index);
    let kon = if u < 0.015 {
        KON[2]
    } else if u < 0.015 + women * 0.985 {
        KON[0]
    } else {
        KON[1]
    };
    let cumulative: Vec<f64> = AGE_SHARES
        .iter()
        .scan(0.0, |acc, s| {
            *acc += s;
            Some(*acc)
        })
        .collect();
    (kon, ALDERSGRUPPER[rng.weighted_index(&cumulative)])
}

pub fn item_ids() -> impl Iterator<Item = &'static str> {
    ITEMS.iter().map(|m| m.id)
}
