//! The Exempelkommun citizen survey (2025): a population table by district × age group ×
//! sex (about 48,000 residents 16–84), a sample stratified by district with equal
//! allocation (1,200 per district), and answers from those who responded (about 42 %).
//!
//! Response is skewed as in real citizen surveys: older people and women answer more, and
//! the outer districts less. Opinions differ by district and age, so unweighted means are
//! biased and weighting to the population margins moves them. Answers are on the 1–10
//! scale of `epl-citizen`; 11 is "vet ej", used most on the learning items (residents
//! often do not know whether the municipality follows up).

use super::rng::Rng;

pub const DISTRICTS: [&str; 6] = ["Centrum", "Norra", "Södra", "Östra", "Västra", "Landsbygd"];
pub const AGE_GROUPS: [&str; 4] = ["16–29", "30–44", "45–64", "65–84"];
pub const SEXES: [&str; 2] = ["Kvinna", "Man"];
pub const SAMPLE_PER_DISTRICT: u32 = 1200;
pub const DONT_KNOW: f64 = 11.0;

/// Items of `epl-citizen` per dimension.
pub const CITIZEN_ITEMS: [(&str, &[&str]); 3] = [
    (
        "participation",
        &[
            "del_paverka",
            "del_fortroende",
            "del_information",
            "del_kontakt",
        ],
    ),
    ("engagement", &["eng_engagerad", "eng_delta", "eng_framtid"]),
    (
        "learning",
        &["lar_lyssnar", "lar_aterkoppling", "lar_forbattrar"],
    ),
];

/// Residents per district and the age profile of each (share per age group).
const DISTRICT_SIZE: [u32; 6] = [12_000, 9_000, 8_500, 7_000, 6_500, 5_000];
const AGE_PROFILE: [[f64; 4]; 6] = [
    [0.32, 0.30, 0.24, 0.14],
    [0.22, 0.28, 0.30, 0.20],
    [0.20, 0.30, 0.32, 0.18],
    [0.18, 0.24, 0.32, 0.26],
    [0.24, 0.30, 0.28, 0.18],
    [0.12, 0.20, 0.34, 0.34],
];
/// How favourably each district sees the municipality (latent SD units).
const DISTRICT_MOOD: [f64; 6] = [0.25, 0.1, 0.0, -0.15, -0.05, -0.35];
const AGE_MOOD: [f64; 4] = [-0.4, -0.15, 0.05, 0.45];
/// Logit of responding: base, per age group, women, per district.
const RESPONSE_AGE: [f64; 4] = [-1.4, -0.8, -0.1, 0.7];
const RESPONSE_DISTRICT: [f64; 6] = [0.1, 0.0, 0.0, -0.2, -0.1, -0.3];
const RESPONSE_WOMEN: f64 = 0.3;

/// One population cell.
pub struct Cell {
    pub district: usize,
    pub age: usize,
    pub sex: usize,
    pub population: u32,
}

pub fn population() -> Vec<Cell> {
    let mut out = Vec::new();
    for (d, &size) in DISTRICT_SIZE.iter().enumerate() {
        for (a, share) in AGE_PROFILE[d].iter().enumerate() {
            let people = (size as f64 * share).round();
            // Slightly more women among the oldest.
            let women = if a == 3 { 0.54 } else { 0.495 };
            let w = (people * women).round() as u32;
            for (s, count) in [w, people as u32 - w].into_iter().enumerate() {
                out.push(Cell {
                    district: d,
                    age: a,
                    sex: s,
                    population: count,
                });
            }
        }
    }
    out
}

pub struct Respondent {
    pub id: u32,
    pub district: usize,
    pub age: usize,
    pub sex: usize,
    /// Inverse of the selection probability within the district.
    pub design_weight: f64,
    /// Residents of the district (the stratum's population for the FPC).
    pub district_population: u32,
    /// Answers in item order of [`CITIZEN_ITEMS`]; `None` = no answer.
    pub answers: Vec<Option<f64>>,
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// A 1–10 answer from a latent opinion.
fn answer(latent: f64, rng: &mut Rng) -> f64 {
    (6.2 + 1.9 * latent + 1.1 * rng.normal())
        .round()
        .clamp(1.0, 10.0)
}

// Invariant: example data, no input; the draw is below the district's total, so a cell
// is always found.
#[allow(clippy::expect_used)]
pub fn respondents(seed: u64) -> Vec<Respondent> {
    let mut rng = Rng::stream(seed, "citizens-2025");
    let cells = population();
    let mut out = Vec::new();
    for (d, &size) in DISTRICT_SIZE.iter().enumerate() {
        let district_cells: Vec<&Cell> = cells.iter().filter(|c| c.district == d).collect();
        let total: u32 = district_cells.iter().map(|c| c.population).sum();
        debug_assert!(total.abs_diff(size) <= 4);
        for _ in 0..SAMPLE_PER_DISTRICT {
            // Simple random sampling within the district: a resident's cell by its share.
            let mut k = rng.below(total as usize) as u32;
            let cell = district_cells
                .iter()
                .find(|c| {
                    if k < c.population {
                        true
                    } else {
                        k -= c.population;
                        false
                    }
                })
                .expect("k is below the district total");
            let p = logistic(
                RESPONSE_AGE[cell.age]
                    + RESPONSE_DISTRICT[d]
                    + if cell.sex == 0 { RESPONSE_WOMEN } else { 0.0 },
            );
            if !rng.bernoulli(p) {
                continue;
            }
            out.push(Respondent {
                id: out.len() as u32 + 1,
                district: d,
                age: cell.age,
                sex: cell.sex,
                design_weight: total as f64 / SAMPLE_PER_DISTRICT as f64,
                district_population: total,
                answers: answers(d, cell.age, &mut rng),
            });
        }
    }
    out
}

/// Correlated opinions on the three dimensions, then items with missing and "vet ej".
fn answers(district: usize, age: usize, rng: &mut Rng) -> Vec<Option<f64>> {
    let general = DISTRICT_MOOD[district] + AGE_MOOD[age] + 0.8 * rng.normal();
    let mut out = Vec::new();
    for (dim, items) in CITIZEN_ITEMS.iter() {
        let own = general + 0.55 * rng.normal() + if *dim == "engagement" { 0.3 } else { 0.0 };
        let dont_know = if *dim == "learning" { 0.12 } else { 0.04 };
        for _ in items.iter() {
            let v = if rng.bernoulli(0.03) {
                None
            } else if rng.bernoulli(dont_know) {
                Some(DONT_KNOW)
            } else {
                Some(answer(own + 0.45 * rng.normal(), rng))
            };
            out.push(v);
        }
    }
    out
}
