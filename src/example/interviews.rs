//! Coded interviews for Exempelkommun (2025): managers and staff in a sample of units,
//! each interview cut into segments coded with the built-in `epl-interviews` frame. Coder
//! K1 codes every interview; K2 independently recodes about a third of them, agreeing
//! with K1 most of the time, so intercoder agreement has something real to measure.
//!
//! What interviewees say follows the same unit climate and manager quality as the staff
//! survey, so interview scores and survey scores point the same way, with the noise of
//! few voices.

use super::organisation::{units, Unit};
use super::rng::Rng;

/// One coding: a coder applying a code (with a rating for rated codes) to a segment.
pub struct Coding {
    pub interview: String,
    pub forvaltning: &'static str,
    pub enhet: &'static str,
    pub role: &'static str,
    pub segment: u32,
    pub coder: &'static str,
    pub code: &'static str,
    pub rating: Option<f64>,
}

/// The frame's leaf codes by dimension: (positive codes, negative codes).
type DimensionCodes = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);
const CODES: [DimensionCodes; 3] = [
    (
        "engagement",
        &["eng_motivation", "eng_stolthet"],
        &["eng_trotthet", "eng_meningslos"],
    ),
    (
        "participation",
        &["del_inflytande", "del_informerad", "del_lyssnad"],
        &["del_overkord", "del_oinformerad"],
    ),
    (
        "learning",
        &["lar_uppfoljning", "lar_reflektion", "lar_utveckling"],
        &["lar_ingen_uppfoljning", "lar_upprepade_fel"],
    ),
];

/// Share of interviews K2 also codes, and how often K2 picks K1's code for a segment.
const SECOND_CODER_SHARE: f64 = 0.35;
const SAME_CODE: f64 = 0.8;

/// How favourably this unit's people speak about dimension `d` (latent SD units).
fn tone(unit: &Unit, d: usize) -> f64 {
    match d {
        0 => unit.climate * 2.0 + unit.manager * 0.5,
        _ => unit.climate * 1.5 + unit.manager * 1.5,
    }
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// A segment as K1 coded it: (code, rating, dimension index or None for "ovrigt").
fn first_coding(unit: &Unit, rng: &mut Rng) -> (&'static str, Option<f64>, Option<usize>) {
    if rng.bernoulli(0.08) {
        return ("ovrigt", None, None);
    }
    let d = rng.below(3);
    let (_, pos, neg) = CODES[d];
    let code = if rng.bernoulli(logistic(0.4 + tone(unit, d))) {
        pos[rng.below(pos.len())]
    } else {
        neg[rng.below(neg.len())]
    };
    (code, None, Some(d))
}

/// K2's coding of the same segment: usually the same code, else another of the dimension.
fn second_coding(first: &'static str, d: Option<usize>, rng: &mut Rng) -> &'static str {
    match d {
        Some(d) if !rng.bernoulli(SAME_CODE) => {
            let (_, pos, neg) = CODES[d];
            let k = rng.below(pos.len() + neg.len());
            pos.get(k).copied().unwrap_or_else(|| neg[k - pos.len()])
        }
        _ => first,
    }
}

/// A 1–5 participation rating given once per interview.
fn participation_rating(unit: &Unit, rng: &mut Rng) -> f64 {
    (3.0 + tone(unit, 1) + 0.8 * rng.normal())
        .round()
        .clamp(1.0, 5.0)
}

/// Every coding of the example interviews, in interview and segment order.
pub fn interviews(seed: u64) -> Vec<Coding> {
    let mut rng = Rng::stream(seed, "interviews-2025");
    let mut out = Vec::new();
    let mut number = 0;
    for unit in units(2025, seed).iter().filter(|u| u.headcount >= 8) {
        // About a third of the larger units were visited, with 2–5 interviews each.
        if !rng.bernoulli(0.3) {
            continue;
        }
        for k in 0..2 + rng.below(4) {
            number += 1;
            let role = if k == 0 { "chef" } else { "medarbetare" };
            let double = rng.bernoulli(SECOND_CODER_SHARE);
            let segments = 10 + rng.below(16) as u32;
            let id = format!("I{number:03}");
            let mut push = |segment, coder, code, rating| {
                out.push(Coding {
                    interview: id.clone(),
                    forvaltning: unit.forvaltning,
                    enhet: unit.enhet,
                    role,
                    segment,
                    coder,
                    code,
                    rating,
                })
            };
            for segment in 1..=segments {
                let (code, rating, d) = first_coding(unit, &mut rng);
                push(segment, "K1", code, rating);
                if double {
                    let other = second_coding(code, d, &mut rng);
                    push(segment, "K2", other, None);
                }
            }
            let rating = participation_rating(unit, &mut rng);
            push(segments + 1, "K1", "del_betyg", Some(rating));
            if double {
                let shift = [-1.0, 0.0, 0.0, 0.0, 1.0][rng.below(5)];
                push(
                    segments + 1,
                    "K2",
                    "del_betyg",
                    Some((rating + shift).clamp(1.0, 5.0)),
                );
            }
        }
    }
    out
}
