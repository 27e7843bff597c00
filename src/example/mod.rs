//! Exempelkommun: a seeded, realistic example municipality shared by the demo, notebooks,
//! tests and benchmarks.
//!
//! About 6,000 employees in 5 förvaltningar and 120 enheter (16 of them so small that they
//! usually have fewer than five respondents). Each respondent has correlated latent
//! engagement, participation and learning traits, coloured by the unit's work climate and
//! manager; items are ordinal cuts of those traits. Missing answers (about 4–5 %, some
//! respondents stop part-way), "vet ej" (code 6) on the governance, participation and
//! learning items, and four waves, 2023–2026: the units of [`changed_units`] really changed
//! from 2024 to 2025 (and keep that level), and the actions of [`actions`] had the effect
//! their register row says from their first wave on. Reverse-keyed items (eng4, del5) are
//! answered reversed, as a real respondent would.
//!
//! The PRNG is our own (see `rng`), so a seed gives the same data on every platform and
//! version.

pub mod citizens;
pub mod interviews;
mod organisation;
mod rng;
mod staff;

use crate::error::ExampleError;
use organisation::Unit;
use rng::Rng;
use staff::TraitShift;

/// The seed of the documented data set.
pub const DEFAULT_SEED: u64 = 20250101;
/// The waves that exist (each fielded in October, see [`FIELDWORK`]).
pub const YEARS: [i32; 4] = [2023, 2024, 2025, 2026];
/// Month and day of each wave's fieldwork: an action started after it counts from the
/// next wave on.
pub const FIELDWORK: &str = "10-01";

/// A unit and its population for a wave.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitSpec {
    pub forvaltning: String,
    pub enhet: String,
    pub headcount: u32,
}

/// Item columns of the staff survey: HME (hme1–9), the EPL staff items (eng, del, lar) and
/// the People Survey engagement items (b47–b51).
pub const STAFF_ITEMS: [&str; 28] = [
    "hme1", "hme2", "hme3", "hme4", "hme5", "hme6", "hme7", "hme8", "hme9", "eng1", "eng2", "eng3",
    "eng4", "eng5", "del1", "del2", "del3", "del4", "del5", "lar1", "lar2", "lar3", "lar4", "b47",
    "b48", "b49", "b50", "b51",
];

/// One wave of the staff survey, column by column.
pub struct StaffWave {
    pub year: i32,
    pub respondent_id: Vec<String>,
    pub forvaltning: Vec<String>,
    pub enhet: Vec<String>,
    pub kon: Vec<String>,
    pub aldersgrupp: Vec<String>,
    /// (item id, answers): `None` = no answer, 6 = "vet ej".
    pub items: Vec<(String, Vec<Option<i64>>)>,
}

/// Built-in real changes from 2024 to 2025: (enhet, dimension, change in 0–100 points).
const CHANGES: [(&str, &str, f64); 15] = [
    ("Hemtjänst Norr", "participation", 10.0),
    ("Särskilt boende Linden", "participation", 12.0),
    ("Björkskolan F-6", "participation", 9.0),
    ("Centralskolan 7-9", "participation", 11.0),
    ("Förskolan Regnbågen", "participation", 10.0),
    ("Gata och park", "participation", 8.0),
    ("IT-enheten", "participation", 9.0),
    ("Kulturskolan", "participation", 10.0),
    ("Personlig assistans", "participation", 11.0),
    ("Lokalvård", "participation", 12.0),
    ("Hemtjänst Söder", "engagement", -8.0),
    ("Särskilt boende Solgården", "engagement", -8.0),
    ("Norrskolan 4-9", "engagement", -8.0),
    ("Kostenheten", "engagement", -8.0),
    ("Kontaktcenter", "engagement", -8.0),
];

/// How many 0–100 points a dimension's mean moves per latent SD of its trait, calibrated on
/// 400,000-respondent draws of both waves: the changed units then move 85–110 % of the
/// listed change (units near the ceiling move less, as real ones do).
const POINTS_PER_LATENT_SD: f64 = 15.0;

/// Units with a built-in real change from 2024 to 2025: (enhet, dimension, change in points).
pub fn changed_units() -> Vec<(String, &'static str, f64)> {
    CHANGES
        .iter()
        .map(|&(enhet, dimension, change)| (enhet.to_string(), dimension, change))
        .collect()
}

/// One row of Exempelkommun's action register, with the true effect built into the data.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionRow {
    pub forvaltning: &'static str,
    pub enhet: &'static str,
    pub action: &'static str,
    /// ISO date the action started.
    pub start: &'static str,
    /// The measure it aims at (an `hme` dimension).
    pub measure: &'static str,
    /// Cost in kronor.
    pub cost: f64,
    /// The true effect on `measure` in 0–100 points from the first wave after `start` on.
    pub true_effect: f64,
}

/// A leadership programme for eleven managers after the 2025 wave (the effect is real: the
/// staff's leadership items sit [`LEADERSHIP_PROGRAMME_LATENT`] latent SD higher from 2026),
/// and goals discussed at every workplace meeting in eight units before the 2025 wave (no
/// effect at all: a null for the method to get right). Familjerätten is so small that it is
/// usually blanked. No unit of [`changed_units`] is in the register.
const ACTIONS: [(&str, &str, &str, &str, &str, f64); 19] = [
    (
        "Socialförvaltningen",
        "Hemtjänst Öster",
        LEADERSHIP,
        "2025-11-03",
        "ledarskap",
        42_000.0,
    ),
    (
        "Socialförvaltningen",
        "Särskilt boende Almen",
        LEADERSHIP,
        "2025-11-03",
        "ledarskap",
        42_000.0,
    ),
    (
        "Socialförvaltningen",
        "Hemsjukvården",
        LEADERSHIP,
        "2025-11-03",
        "ledarskap",
        42_000.0,
    ),
    (
        "Socialförvaltningen",
        "Familjerätten",
        LEADERSHIP,
        "2025-11-03",
        "ledarskap",
        42_000.0,
    ),
    (
        "Barn- och utbildningsförvaltningen",
        "Lindskolan F-6",
        LEADERSHIP,
        "2025-11-17",
        "ledarskap",
        42_000.0,
    ),
    (
        "Barn- och utbildningsförvaltningen",
        "Söderskolan F-6",
        LEADERSHIP,
        "2025-11-17",
        "ledarskap",
        42_000.0,
    ),
    (
        "Barn- och utbildningsförvaltningen",
        "Förskolan Tallbacken",
        LEADERSHIP,
        "2025-11-17",
        "ledarskap",
        42_000.0,
    ),
    (
        "Samhällsbyggnadsförvaltningen",
        "VA-enheten",
        LEADERSHIP,
        "2026-01-12",
        "ledarskap",
        42_000.0,
    ),
    (
        "Samhällsbyggnadsförvaltningen",
        "Räddningstjänsten",
        LEADERSHIP,
        "2026-01-12",
        "ledarskap",
        42_000.0,
    ),
    (
        "Kommunledningsförvaltningen",
        "Ekonomienheten",
        LEADERSHIP,
        "2026-01-12",
        "ledarskap",
        42_000.0,
    ),
    (
        "Kultur- och fritidsförvaltningen",
        "Idrottsanläggningar",
        LEADERSHIP,
        "2026-01-12",
        "ledarskap",
        42_000.0,
    ),
    (
        "Socialförvaltningen",
        "Hemtjänst Väster",
        GOALS,
        "2025-02-03",
        "styrning",
        8_000.0,
    ),
    (
        "Socialförvaltningen",
        "Särskilt boende Eken",
        GOALS,
        "2025-02-03",
        "styrning",
        8_000.0,
    ),
    (
        "Socialförvaltningen",
        "Korttidsboendet",
        GOALS,
        "2025-02-03",
        "styrning",
        8_000.0,
    ),
    (
        "Barn- och utbildningsförvaltningen",
        "Ekbackens skola F-6",
        GOALS,
        "2025-02-03",
        "styrning",
        8_000.0,
    ),
    (
        "Barn- och utbildningsförvaltningen",
        "Hagaskolan F-9",
        GOALS,
        "2025-02-03",
        "styrning",
        8_000.0,
    ),
    (
        "Barn- och utbildningsförvaltningen",
        "Gymnasieskolan Yrkesgymnasiet",
        GOALS,
        "2025-02-03",
        "styrning",
        8_000.0,
    ),
    (
        "Samhällsbyggnadsförvaltningen",
        "Bygglov",
        GOALS,
        "2025-02-03",
        "styrning",
        8_000.0,
    ),
    (
        "Kommunledningsförvaltningen",
        "HR-enheten",
        GOALS,
        "2025-02-03",
        "styrning",
        8_000.0,
    ),
];
const LEADERSHIP: &str = "Ledarskapsutbildning";
const GOALS: &str = "Målbild på APT";
/// The leadership programme's shift of the leadership items' latent signal, calibrated on
/// a million-respondent draw: Ledarskap rises [`LEADERSHIP_PROGRAMME_POINTS`] on average
/// over the programme's units (3.4–7.2: units near the ceiling move less).
const LEADERSHIP_PROGRAMME_LATENT: f64 = 0.43;
/// The programme's true effect on Ledarskap (0–100 points) in its units from 2026.
pub const LEADERSHIP_PROGRAMME_POINTS: f64 = 5.8;

/// Exempelkommun's action register, each row with its true effect.
pub fn actions() -> Vec<ActionRow> {
    ACTIONS
        .iter()
        .map(
            |&(forvaltning, enhet, action, start, measure, cost)| ActionRow {
                forvaltning,
                enhet,
                action,
                start,
                measure,
                cost,
                true_effect: if action == LEADERSHIP {
                    LEADERSHIP_PROGRAMME_POINTS
                } else {
                    0.0
                },
            },
        )
        .collect()
}

/// The organisation and headcounts of a wave.
pub fn organisation(year: i32, seed: u64) -> Result<Vec<UnitSpec>, ExampleError> {
    check_year(year)?;
    Ok(organisation::units(year, seed)
        .into_iter()
        .map(|u| UnitSpec {
            forvaltning: u.forvaltning.to_string(),
            enhet: u.enhet.to_string(),
            headcount: u.headcount,
        })
        .collect())
}

/// One wave of the staff survey: every unit's respondents, in a shuffled (export-like) order.
pub fn staff_wave(year: i32, seed: u64) -> Result<StaffWave, ExampleError> {
    check_year(year)?;
    let units = organisation::units(year, seed);
    let mut rng = Rng::stream(seed, &format!("staff-{year}"));
    let mut rows = Vec::with_capacity(5000);
    for unit in &units {
        let rate = response_rate(&mut rng);
        let responding = rng.binomial(unit.headcount, rate);
        let shift = shift_of(unit, year);
        for _ in 0..responding {
            rows.push(respondent(unit, shift, &mut rng));
        }
    }
    shuffle(&mut rows, &mut rng);
    let ids = (1..=rows.len())
        .map(|i| format!("EK{}-{i:05}", year % 100))
        .collect();
    Ok(columns(year, ids, rows))
}

/// `n` respondents drawn over the same organisation in proportion to headcount, for
/// benchmarks at scales no municipality has.
pub fn staff_wave_scaled(year: i32, seed: u64, n: usize) -> Result<StaffWave, ExampleError> {
    check_year(year)?;
    if n == 0 {
        return Err(ExampleError::Parameter {
            parameter: "n".into(),
            message: "must be at least 1 respondent".into(),
        });
    }
    let units = organisation::units(year, seed);
    let cumulative: Vec<f64> = units
        .iter()
        .scan(0.0, |acc, u| {
            *acc += u.headcount as f64;
            Some(*acc)
        })
        .collect();
    let mut rng = Rng::stream(seed, &format!("scaled-{year}"));
    let rows: Vec<Row> = (0..n)
        .map(|_| {
            let unit = &units[rng.weighted_index(&cumulative)];
            respondent(unit, shift_of(unit, year), &mut rng)
        })
        .collect();
    let ids = (1..=n).map(|i| format!("B{i:07}")).collect();
    Ok(columns(year, ids, rows))
}

fn check_year(year: i32) -> Result<(), ExampleError> {
    if YEARS.contains(&year) {
        Ok(())
    } else {
        Err(ExampleError::Parameter {
            parameter: "year".into(),
            message: format!("Exempelkommun has the waves 2023 to 2026; got {year}"),
        })
    }
}

/// Response rates of staff surveys in Swedish municipalities: 70–85 % per unit.
fn response_rate(rng: &mut Rng) -> f64 {
    0.70 + 0.15 * rng.uniform()
}

fn shift_of(unit: &Unit, year: i32) -> TraitShift {
    let mut shift = TraitShift::default();
    if year >= 2026
        && ACTIONS
            .iter()
            .any(|a| a.1 == unit.enhet && a.2 == LEADERSHIP)
    {
        shift.leadership += LEADERSHIP_PROGRAMME_LATENT;
    }
    if year < 2025 {
        return shift;
    }
    for &(_, dimension, points) in CHANGES.iter().filter(|c| c.0 == unit.enhet) {
        let latent = points / POINTS_PER_LATENT_SD;
        match dimension {
            "engagement" => shift.engagement += latent,
            "participation" => shift.participation += latent,
            _ => shift.learning += latent,
        }
    }
    shift
}

struct Row {
    forvaltning: &'static str,
    enhet: &'static str,
    kon: &'static str,
    aldersgrupp: &'static str,
    answers: [Option<i64>; 28],
}

fn respondent(unit: &Unit, shift: TraitShift, rng: &mut Rng) -> Row {
    let (kon, aldersgrupp) = staff::background(unit, rng);
    Row {
        forvaltning: unit.forvaltning,
        enhet: unit.enhet,
        kon,
        aldersgrupp,
        answers: staff::answers(unit, shift, rng),
    }
}

/// Fisher–Yates, so rows come in no particular unit order, as in a survey tool's export.
fn shuffle<T>(items: &mut [T], rng: &mut Rng) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.below(i + 1));
    }
}

fn columns(year: i32, respondent_id: Vec<String>, rows: Vec<Row>) -> StaffWave {
    let text = |f: fn(&Row) -> &'static str| rows.iter().map(|r| f(r).to_string()).collect();
    let items = staff::item_ids()
        .enumerate()
        .map(|(j, id)| (id.to_string(), rows.iter().map(|r| r.answers[j]).collect()))
        .collect();
    StaffWave {
        year,
        respondent_id,
        forvaltning: text(|r| r.forvaltning),
        enhet: text(|r| r.enhet),
        kon: text(|r| r.kon),
        aldersgrupp: text(|r| r.aldersgrupp),
        items,
    }
}
