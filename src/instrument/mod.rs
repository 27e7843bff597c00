//! The codebook model: items, scales, dimensions and the index rule, read from TOML and
//! validated on load. A scoring rule is data, not code: scale range, reverse keys, "don't
//! know" codes, minimum answered items, scoring mode and suppression threshold are all
//! declared here and can be overridden per instrument.

mod validate;

use crate::error::InstrumentError;
use serde::{Deserialize, Serialize};

/// Swedish and English text; Swedish is required, English optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub sv: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl Text {
    /// The text in `lang`, Swedish when there is no English text.
    pub fn get(&self, lang: Lang) -> &str {
        match (lang, &self.en) {
            (Lang::En, Some(en)) => en,
            _ => &self.sv,
        }
    }
}

/// The language of outputs meant for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Sv,
    En,
}

crate::choice!(Lang, "lang", {
    Sv => "sv",
    En => "en",
}, aliases {
    "svenska" => Sv,
    "swedish" => Sv,
    "english" => En,
    "engelska" => En,
});

/// One measure's name for people: the index and dimension labels, the item statements.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureLabel {
    pub measure: String,
    pub kind: MeasureKind,
    /// The dimension an item belongs to (its first), the index for a dimension.
    pub parent: Option<String>,
    pub label: String,
}

/// A labelled answer code (e.g. 5 = "Stämmer mycket bra").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueLabel {
    pub code: i64,
    pub sv: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

/// Answer scale of an item. `positive`/`neutral` are codes *after* reverse keying; every
/// other code of the scale counts as negative.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    pub min: i64,
    pub max: i64,
    #[serde(default)]
    pub labels: Vec<ValueLabel>,
    /// Codes meaning "don't know" ("vet ej"): treated as missing, reported separately.
    #[serde(default)]
    pub dont_know: Vec<i64>,
    /// Codes meaning "not applicable" ("ej aktuellt"): treated as missing.
    #[serde(default)]
    pub not_applicable: Vec<i64>,
    pub positive: Vec<i64>,
    #[serde(default)]
    pub neutral: Vec<i64>,
}

/// Where an oriented answer code falls for percent positive / neutral / negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Positive,
    Neutral,
    Negative,
}

/// What an item answer is before scoring.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Answer {
    /// A code on the scale, already reverse-keyed where the item says so.
    Valid(i64),
    DontKnow,
    NotApplicable,
    Missing,
}

impl Scale {
    pub fn category(&self, oriented_code: i64) -> Category {
        if self.positive.contains(&oriented_code) {
            Category::Positive
        } else if self.neutral.contains(&oriented_code) {
            Category::Neutral
        } else {
            Category::Negative
        }
    }

    /// Declared codes that are not on the scale, for error messages.
    pub fn special_codes(&self) -> String {
        let codes: Vec<String> = self
            .dont_know
            .iter()
            .chain(&self.not_applicable)
            .map(|c| c.to_string())
            .collect();
        if codes.is_empty() {
            "none declared".to_string()
        } else {
            codes.join(", ")
        }
    }
}

/// How answers become scores (0–100; −100–100 for a net promoter score).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ScoringMode {
    /// (x − min) / (max − min) · 100, e.g. HME's (x − 1) · 25 and SCB's (x − 1) · 100/9.
    #[default]
    Linear,
    /// 100 when the answer is in the positive set, else 0 (FEVS-style percent positive).
    PercentPositive,
    /// Net promoter score (Reichheld 2003): 100 for a promoter (positive set), 0 for a
    /// passive (neutral set), −100 for a detractor, so the mean is % promoters − %
    /// detractors and its t interval the usual eNPS margin.
    Nps,
}

/// How many answered parts a dimension or index needs before it gets a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "MinAnsweredRaw", into = "MinAnsweredRaw")]
pub enum MinAnswered {
    All,
    AtLeast(usize),
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum MinAnsweredRaw {
    Count(usize),
    Word(String),
}

impl TryFrom<MinAnsweredRaw> for MinAnswered {
    type Error = String;
    fn try_from(raw: MinAnsweredRaw) -> Result<Self, String> {
        match raw {
            MinAnsweredRaw::Count(n) => Ok(MinAnswered::AtLeast(n)),
            MinAnsweredRaw::Word(w) if w == "all" => Ok(MinAnswered::All),
            MinAnsweredRaw::Word(w) => Err(format!(
                "min_answered must be \"all\" or a whole number, not \"{w}\""
            )),
        }
    }
}

impl From<MinAnswered> for MinAnsweredRaw {
    fn from(m: MinAnswered) -> Self {
        match m {
            MinAnswered::All => MinAnsweredRaw::Word("all".into()),
            MinAnswered::AtLeast(n) => MinAnsweredRaw::Count(n),
        }
    }
}

impl MinAnswered {
    /// The number of answered parts required out of `total`.
    pub fn required(self, total: usize) -> usize {
        match self {
            MinAnswered::All => total,
            MinAnswered::AtLeast(n) => n,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub id: String,
    pub text: Text,
    #[serde(default)]
    pub reverse: bool,
    /// Overrides the instrument's default scale for this item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<Scale>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    pub id: String,
    pub label: Text,
    pub items: Vec<String>,
    pub min_answered: MinAnswered,
    /// Kolada KPI id this dimension is reported to, if any (e.g. U00201).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kolada: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexBasis {
    /// Respondent index = mean of the answered items (of all dimensions, or all items when
    /// the instrument has no dimensions).
    MeanOfItems,
    /// Respondent index = mean of the respondent's dimension scores.
    MeanOfDimensions,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexRule {
    pub id: String,
    pub label: Text,
    pub rule: IndexBasis,
    pub min_answered: MinAnswered,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kolada: Option<String>,
}

fn default_min_group() -> usize {
    5
}

/// A survey instrument (codebook) with its scoring rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    pub id: String,
    pub name: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Respondents a group needs for its means and indices.
    #[serde(default = "default_min_group")]
    pub min_group: usize,
    /// Respondents a group needs for its answer distribution (percent positive / neutral /
    /// negative); `min_group` when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_group_distribution: Option<usize>,
    /// Respondents a cell of a background breakdown (enhet × kön) needs; `min_group` when
    /// not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_group_background: Option<usize>,
    #[serde(default)]
    pub scoring: ScoringMode,
    /// The language of the instrument's own outputs (Swedish unless it says English).
    #[serde(default)]
    pub language: Lang,
    pub scale: Scale,
    pub index: IndexRule,
    #[serde(default)]
    pub dimensions: Vec<Dimension>,
    pub items: Vec<Item>,
}

const BUILTINS: [(&str, &str); 5] = [
    ("hme", include_str!("builtin/hme.toml")),
    ("epl-staff", include_str!("builtin/epl-staff.toml")),
    ("epl-citizen", include_str!("builtin/epl-citizen.toml")),
    ("uk-engagement", include_str!("builtin/uk-engagement.toml")),
    ("enps", include_str!("builtin/enps.toml")),
];

/// The kind of measure a score column or estimate row holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeasureKind {
    Index,
    Dimension,
    Item,
}

impl MeasureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MeasureKind::Index => "index",
            MeasureKind::Dimension => "dimension",
            MeasureKind::Item => "item",
        }
    }
}

impl Instrument {
    /// Names of the instruments shipped with lyhord.
    pub fn builtin_names() -> Vec<&'static str> {
        BUILTINS.iter().map(|(name, _)| *name).collect()
    }

    /// A shipped instrument by name, case-insensitively: people write "HME" as SKR does.
    pub fn builtin(name: &str) -> Result<Self, InstrumentError> {
        let wanted = name.trim();
        let (id, text) = BUILTINS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(wanted))
            .ok_or_else(|| InstrumentError::UnknownBuiltin {
                name: name.to_string(),
                available: Self::builtin_names().join(", "),
            })?;
        Self::from_toml_str(text, &format!("built-in `{id}`"))
    }

    /// Parses and validates an instrument; `source_name` (a path or label) goes into errors.
    pub fn from_toml_str(text: &str, source_name: &str) -> Result<Self, InstrumentError> {
        let inst: Instrument = toml::from_str(text).map_err(|e| InstrumentError::Parse {
            source_name: source_name.to_string(),
            message: e.to_string(),
        })?;
        inst.validate()?;
        Ok(inst)
    }

    pub fn from_toml_file(path: &str) -> Result<Self, InstrumentError> {
        let text = std::fs::read_to_string(path).map_err(|e| InstrumentError::Io {
            path: path.to_string(),
            message: e.to_string(),
        })?;
        Self::from_toml_str(&text, path)
    }

    // Invariant: the struct has only strings, numbers, tables and arrays of them, which TOML
    // and JSON always write (the built-ins are written in the tests); no value can fail.
    #[allow(clippy::expect_used)]
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("an instrument always serialises to TOML")
    }

    #[allow(clippy::expect_used)] // invariant: as `to_toml`
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an instrument always serialises to JSON")
    }

    pub fn from_json(text: &str) -> Result<Self, InstrumentError> {
        let inst: Instrument = serde_json::from_str(text).map_err(|e| InstrumentError::Parse {
            source_name: "JSON".to_string(),
            message: e.to_string(),
        })?;
        inst.validate()?;
        Ok(inst)
    }

    /// Every measure's name in `lang`, in the order of an estimate table.
    pub fn labels(&self, lang: Lang) -> Vec<MeasureLabel> {
        let parent_of_item = |id: &str| {
            self.dimensions
                .iter()
                .find(|d| d.items.iter().any(|i| i == id))
                .map(|d| d.id.clone())
        };
        self.measures()
            .into_iter()
            .map(|(id, kind)| {
                let (parent, label) = match kind {
                    MeasureKind::Index => (None, self.index.label.get(lang)),
                    MeasureKind::Dimension => {
                        let d = self.dimensions.iter().find(|d| d.id == id);
                        (
                            Some(self.index.id.clone()),
                            d.map_or(id, |d| d.label.get(lang)),
                        )
                    }
                    MeasureKind::Item => {
                        let item = self.item(id);
                        (parent_of_item(id), item.map_or(id, |i| i.text.get(lang)))
                    }
                };
                MeasureLabel {
                    measure: id.to_string(),
                    kind,
                    parent,
                    label: label.to_string(),
                }
            })
            .collect()
    }

    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.id == id)
    }

    /// The scale an item is answered on (its own, or the instrument default).
    pub fn scale_of<'a>(&'a self, item: &'a Item) -> &'a Scale {
        item.scale.as_ref().unwrap_or(&self.scale)
    }

    /// Items the index averages when its rule is `mean_of_items`: the items of all
    /// dimensions (in declaration order, without repeats), or every item if there are none.
    pub fn index_items(&self) -> Vec<&str> {
        if self.dimensions.is_empty() {
            return self.items.iter().map(|i| i.id.as_str()).collect();
        }
        let mut ids: Vec<&str> = Vec::new();
        for item in self.dimensions.iter().flat_map(|d| &d.items) {
            if !ids.contains(&item.as_str()) {
                ids.push(item);
            }
        }
        ids
    }

    /// Every measure the instrument scores, in output order: index, dimensions, items.
    pub fn measures(&self) -> Vec<(&str, MeasureKind)> {
        let mut out = vec![(self.index.id.as_str(), MeasureKind::Index)];
        out.extend(
            self.dimensions
                .iter()
                .map(|d| (d.id.as_str(), MeasureKind::Dimension)),
        );
        out.extend(
            self.items
                .iter()
                .map(|i| (i.id.as_str(), MeasureKind::Item)),
        );
        out
    }

    /// Classifies one raw answer of `item` (reverse keying applied to valid codes).
    /// Returns `None` when the code is neither on the scale nor a declared special code.
    pub fn classify(&self, item: &Item, raw: Option<i64>) -> Option<Answer> {
        let scale = self.scale_of(item);
        let Some(code) = raw else {
            return Some(Answer::Missing);
        };
        if scale.dont_know.contains(&code) {
            return Some(Answer::DontKnow);
        }
        if scale.not_applicable.contains(&code) {
            return Some(Answer::NotApplicable);
        }
        if code < scale.min || code > scale.max {
            return None;
        }
        let oriented = if item.reverse {
            scale.min + scale.max - code
        } else {
            code
        };
        Some(Answer::Valid(oriented))
    }

    /// The 0–100 score of an oriented valid code under the instrument's scoring mode.
    pub fn score_code(&self, scale: &Scale, oriented: i64) -> f64 {
        match self.scoring {
            ScoringMode::Linear => {
                (oriented - scale.min) as f64 / (scale.max - scale.min) as f64 * 100.0
            }
            ScoringMode::PercentPositive => {
                if scale.positive.contains(&oriented) {
                    100.0
                } else {
                    0.0
                }
            }
            ScoringMode::Nps => {
                if scale.positive.contains(&oriented) {
                    100.0
                } else if scale.neutral.contains(&oriented) {
                    0.0
                } else {
                    -100.0
                }
            }
        }
    }

    /// The lowest and highest score an answer can get.
    pub fn score_range(&self) -> (f64, f64) {
        match self.scoring {
            ScoringMode::Nps => (-100.0, 100.0),
            _ => (0.0, 100.0),
        }
    }

    /// Same instrument with another default minimum group size.
    pub fn with_min_group(mut self, min_group: usize) -> Result<Self, InstrumentError> {
        self.min_group = min_group;
        self.validate()?;
        Ok(self)
    }
}
