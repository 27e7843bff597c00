//! Exempelkommun's organisation: five förvaltningar, 120 enheter, headcounts and the
//! persistent unit climate (manager quality, work climate) that drives the answers.

use super::rng::Rng;

/// Förvaltning name and its enheter with a typical headcount each.
type Forvaltning = (&'static str, &'static [(&'static str, u32)]);

const BOU: &[(&str, u32)] = &[
    ("Förskolan Solrosen", 32),
    ("Förskolan Lärkan", 38),
    ("Förskolan Ekorren", 28),
    ("Förskolan Blåklockan", 35),
    ("Förskolan Humlan", 24),
    ("Förskolan Tallbacken", 42),
    ("Förskolan Myrstacken", 30),
    ("Förskolan Regnbågen", 46),
    ("Förskolan Vitsippan", 26),
    ("Förskolan Kastanjen", 37),
    ("Förskolan Ugglan", 33),
    ("Förskolan Fjärilen", 40),
    ("Förskolan Sjöstjärnan", 28),
    ("Förskolan Nyckelpigan", 32),
    ("Pedagogisk omsorg Dagbarnvårdarna", 5),
    ("Björkskolan F-6", 84),
    ("Centralskolan 7-9", 126),
    ("Ekbackens skola F-6", 77),
    ("Hagaskolan F-9", 149),
    ("Kvarnbyskolan F-3", 46),
    ("Lindskolan F-6", 91),
    ("Norrskolan 4-9", 116),
    ("Sjöviksskolan F-6", 70),
    ("Söderskolan F-6", 96),
    ("Västerskolan 7-9", 122),
    ("Åsskolan F-3", 38),
    ("Byskolan F-6", 21),
    ("Fritidshemmen Centrum", 52),
    ("Fritidshemmen Norr", 42),
    ("Grundsärskolan", 32),
    ("Gymnasieskolan Kunskapsgymnasiet", 210),
    ("Gymnasieskolan Yrkesgymnasiet", 166),
    ("Gymnasiesärskolan", 35),
    ("Introduktionsprogrammen", 44),
    ("Vuxenutbildningen", 61),
    ("SFI", 38),
    ("Elevhälsan", 52),
    ("Modersmålsenheten", 24),
    ("Resursenheten", 49),
    ("Skolskjutsenheten", 4),
    ("Barn- och utbildningskansliet", 28),
    ("Måltidsservice skola", 79),
    ("Fritidshemmen Söder", 46),
    ("Förskolan Smultronstället", 35),
    ("Förskolan Bäckahästen", 3),
    ("Utvecklingsenheten BoU", 6),
];

const SOC: &[(&str, u32)] = &[
    ("Hemtjänst Norr", 108),
    ("Hemtjänst Söder", 102),
    ("Hemtjänst Öster", 84),
    ("Hemtjänst Väster", 91),
    ("Hemtjänst Centrum", 122),
    ("Hemtjänst Landsbygd", 70),
    ("Särskilt boende Eken", 96),
    ("Särskilt boende Linden", 105),
    ("Särskilt boende Almen", 79),
    ("Särskilt boende Björken", 88),
    ("Särskilt boende Granen", 74),
    ("Särskilt boende Rönnen", 66),
    ("Särskilt boende Solgården", 114),
    ("Särskilt boende Ängsgården", 84),
    ("Korttidsboendet", 56),
    ("Dagverksamheten Träffpunkten", 18),
    ("Hemsjukvården", 79),
    ("Rehabenheten", 49),
    ("Nattpatrullen", 42),
    ("LSS-boende Bäcken", 28),
    ("LSS-boende Forsen", 24),
    ("LSS-boende Kullen", 26),
    ("LSS-boende Ängen", 23),
    ("LSS-boende Dalen", 21),
    ("Daglig verksamhet Verkstan", 32),
    ("Daglig verksamhet Trädgården", 19),
    ("Personlig assistans", 149),
    ("Barn och familj", 52),
    ("Vuxenenheten", 38),
    ("Mottagningsenheten", 21),
    ("Ekonomiskt bistånd", 35),
    ("Familjerätten", 6),
    ("Öppenvården", 26),
    ("Stödboendet", 16),
    ("Biståndsenheten", 32),
    ("Socialpsykiatrin", 37),
    ("Bemanningsenheten", 46),
    ("Socialjouren", 4),
    ("Anhörigstöd", 3),
    ("Medicinskt ansvariga", 4),
];

const KOF: &[(&str, u32)] = &[
    ("Biblioteket Centrum", 38),
    ("Filialbiblioteket Söder", 5),
    ("Kulturskolan", 52),
    ("Fritidsgården Ungdomens hus", 21),
    ("Fritidsgården Norr", 14),
    ("Simhallen", 35),
    ("Idrottsanläggningar", 46),
    ("Föreningsservice", 6),
    ("Kulturhuset", 32),
    ("Museet", 5),
    ("Turistbyrån", 4),
    ("Fritidsbanken", 3),
];

const SBF: &[(&str, u32)] = &[
    ("Bygglov", 28),
    ("Miljö och hälsa", 35),
    ("Gata och park", 96),
    ("VA-enheten", 84),
    ("Lantmäteri", 14),
    ("Fastighetsförvaltning", 70),
    ("Lokalvård", 149),
    ("Kostenheten", 122),
    ("Trafik", 21),
    ("Planenheten", 24),
    ("Räddningstjänsten", 105),
    ("GIS-enheten", 4),
];

const KLF: &[(&str, u32)] = &[
    ("Ekonomienheten", 49),
    ("HR-enheten", 42),
    ("Lönecentrum", 32),
    ("IT-enheten", 61),
    ("Kommunikation", 21),
    ("Kansliet", 26),
    ("Kontaktcenter", 38),
    ("Upphandling", 18),
    ("Näringsliv", 5),
    ("Säkerhet och beredskap", 4),
];

pub const FORVALTNINGAR: [Forvaltning; 5] = [
    ("Barn- och utbildningsförvaltningen", BOU),
    ("Socialförvaltningen", SOC),
    ("Kultur- och fritidsförvaltningen", KOF),
    ("Samhällsbyggnadsförvaltningen", SBF),
    ("Kommunledningsförvaltningen", KLF),
];

/// Share of women by förvaltning (care and schools are female-dominated, technical services
/// less so), so background breakdowns look like a real municipality.
pub fn share_women(forvaltning_index: usize) -> f64 {
    [0.80, 0.84, 0.62, 0.38, 0.64][forvaltning_index]
}

/// A unit as the generator sees it: where it sits and its persistent climate.
#[derive(Debug, Clone)]
pub struct Unit {
    pub forvaltning_index: usize,
    pub forvaltning: &'static str,
    pub enhet: &'static str,
    pub headcount: u32,
    /// Manager quality (latent SD units): drives leadership, participation and learning.
    pub manager: f64,
    /// Work climate shared by everyone in the unit: drives all three traits.
    pub climate: f64,
}

/// The units of a wave. Climate is drawn from the seed alone, so a unit keeps its character
/// from one year to the next; headcounts vary a little between years.
pub fn units(year: i32, seed: u64) -> Vec<Unit> {
    let mut climate_rng = Rng::stream(seed, "unit-climate");
    let mut size_rng = Rng::stream(seed, &format!("headcount-{year}"));
    let mut out = Vec::with_capacity(120);
    for (fi, (forvaltning, enheter)) in FORVALTNINGAR.iter().enumerate() {
        let forvaltning_effect = [0.05, -0.10, 0.15, 0.0, 0.10][fi];
        for &(enhet, typical) in enheter.iter() {
            let manager = 0.45 * climate_rng.normal();
            let climate = forvaltning_effect + 0.25 * climate_rng.normal();
            out.push(Unit {
                forvaltning_index: fi,
                forvaltning,
                enhet,
                headcount: headcount(typical, &mut size_rng),
                manager,
                climate,
            });
        }
    }
    out
}

/// Around the typical size with ±~12 % noise; tiny units stay tiny (a unit of 3 stays 2–4).
fn headcount(typical: u32, rng: &mut Rng) -> u32 {
    if typical <= 6 {
        return (typical as i64 + rng.below(3) as i64 - 1).max(2) as u32;
    }
    let noisy = typical as f64 * (0.12 * rng.normal()).exp();
    noisy.round().max(7.0) as u32
}
