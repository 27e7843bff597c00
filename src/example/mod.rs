//! PLACEHOLDER — replaced by the generator.
use crate::error::ExampleError;
pub const DEFAULT_SEED: u64 = 20250101;
pub const YEARS: [i32; 2] = [2024, 2025];
#[derive(Debug, Clone, PartialEq)]
pub struct UnitSpec {
    pub forvaltning: String,
    pub enhet: String,
    pub headcount: u32,
}
pub const STAFF_ITEMS: [&str; 28] = [
    "hme1", "hme2", "hme3", "hme4", "hme5", "hme6", "hme7", "hme8", "hme9", "eng1", "eng2", "eng3",
    "eng4", "eng5", "del1", "del2", "del3", "del4", "del5", "lar1", "lar2", "lar3", "lar4", "b47",
    "b48", "b49", "b50", "b51",
];
pub struct StaffWave {
    pub year: i32,
    pub respondent_id: Vec<String>,
    pub forvaltning: Vec<String>,
    pub enhet: Vec<String>,
    pub kon: Vec<String>,
    pub aldersgrupp: Vec<String>,
    pub items: Vec<(String, Vec<Option<i64>>)>,
}
pub fn organisation(_year: i32, _seed: u64) -> Result<Vec<UnitSpec>, ExampleError> {
    Ok(vec![])
}
pub fn staff_wave(year: i32, _seed: u64) -> Result<StaffWave, ExampleError> {
    Ok(StaffWave {
        year,
        respondent_id: vec![],
        forvaltning: vec![],
        enhet: vec![],
        kon: vec![],
        aldersgrupp: vec![],
        items: vec![],
    })
}
pub fn staff_wave_scaled(year: i32, seed: u64, _n: usize) -> Result<StaffWave, ExampleError> {
    staff_wave(year, seed)
}
pub fn changed_units() -> Vec<(String, &'static str, f64)> {
    vec![]
}
