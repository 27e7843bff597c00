//! Coded interviews: the coding frame (codes, their EPL dimension and valence, or a rating
//! scale), valence-balance scores per interview and unit, code counts and co-occurrence.

use crate::error::InterviewError;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

pub mod frame;
pub mod import;
pub mod qdpx;
pub mod score;

/// Which way a code speaks about its dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Valence {
    #[serde(alias = "+")]
    Positive,
    #[serde(alias = "-")]
    Negative,
    #[serde(alias = "0")]
    Neutral,
}

/// The scale of a rated code (the coder gives a number, e.g. 1–5).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatingScale {
    pub min: f64,
    pub max: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Code {
    pub id: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_en: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The EPL dimension the code speaks to; `None` for codes outside the index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimension: Option<String>,
    /// Valenced codes count for or against their dimension; group codes have neither
    /// valence nor scale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valence: Option<Valence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<RatingScale>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodingFrame {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub dimensions: Vec<String>,
    pub codes: Vec<Code>,
}

const BUILTINS: [(&str, &str); 1] = [(
    "epl-interviews",
    include_str!("builtin/epl-interviews.toml"),
)];

impl CodingFrame {
    pub fn builtin_names() -> Vec<&'static str> {
        BUILTINS.iter().map(|(name, _)| *name).collect()
    }

    pub fn builtin(name: &str) -> Result<Self, InterviewError> {
        let (_, text) = BUILTINS.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            InterviewError::UnknownBuiltin {
                name: name.into(),
                available: Self::builtin_names().join(", "),
            }
        })?;
        Self::from_toml_str(text, &format!("built-in `{name}`"))
    }

    /// Parses and validates a coding frame; `source_name` goes into errors.
    pub fn from_toml_str(text: &str, source_name: &str) -> Result<Self, InterviewError> {
        let frame: CodingFrame = toml::from_str(text).map_err(|e| InterviewError::Parse {
            source_name: source_name.into(),
            message: e.to_string(),
        })?;
        frame.validate()?;
        Ok(frame)
    }

    pub fn from_toml_file(path: &str) -> Result<Self, InterviewError> {
        let text = std::fs::read_to_string(path).map_err(|e| InterviewError::Io {
            path: path.into(),
            message: e.to_string(),
        })?;
        Self::from_toml_str(&text, path)
    }

    // Invariant: strings, numbers and arrays of tables only, which TOML always writes.
    #[allow(clippy::expect_used)]
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a coding frame always serialises to TOML")
    }

    pub fn code(&self, id: &str) -> Option<&Code> {
        self.codes.iter().find(|c| c.id == id)
    }

    fn invalid(&self, key: String, message: impl Into<String>) -> InterviewError {
        InterviewError::Invalid {
            frame: self.id.clone(),
            key,
            message: message.into(),
        }
    }

    /// Every rule a frame must meet, each failure naming its key.
    pub fn validate(&self) -> Result<(), InterviewError> {
        if self.codes.is_empty() {
            return Err(self.invalid("codes".into(), "the frame has no codes"));
        }
        let mut seen = HashSet::new();
        for (i, c) in self.codes.iter().enumerate() {
            let key = |field: &str| format!("codes[{i}].{field}");
            if c.id.trim().is_empty() {
                return Err(self.invalid(key("id"), "is empty"));
            }
            if !seen.insert(c.id.as_str()) {
                return Err(self.invalid(key("id"), format!("`{}` is defined twice", c.id)));
            }
            self.check_code(c, &key)?;
        }
        for (i, c) in self.codes.iter().enumerate() {
            self.check_ancestry(c, &format!("codes[{i}].parent"))?;
        }
        Ok(())
    }

    fn check_code(&self, c: &Code, key: &dyn Fn(&str) -> String) -> Result<(), InterviewError> {
        if let Some(d) = &c.dimension {
            if !self.dimensions.contains(d) {
                return Err(self.invalid(
                    key("dimension"),
                    format!(
                        "`{d}` is not one of the frame's dimensions ({}); add it to `dimensions`",
                        self.dimensions.join(", ")
                    ),
                ));
            }
        }
        if c.valence.is_some() && c.scale.is_some() {
            return Err(self.invalid(
                key("scale"),
                format!(
                    "code `{}` has both a valence and a rating scale; give one",
                    c.id
                ),
            ));
        }
        let counts =
            matches!(c.valence, Some(Valence::Positive | Valence::Negative)) || c.scale.is_some();
        if counts && c.dimension.is_none() {
            return Err(self.invalid(
                key("dimension"),
                format!(
                    "code `{}` counts for or against a dimension but names none",
                    c.id
                ),
            ));
        }
        if let Some(s) = c.scale {
            if !(s.min.is_finite() && s.max.is_finite() && s.min < s.max) {
                return Err(self.invalid(
                    key("scale"),
                    format!("min ({}) must be below max ({})", s.min, s.max),
                ));
            }
        }
        Ok(())
    }

    /// Parents exist and never lead back to the code itself.
    fn check_ancestry(&self, c: &Code, key: &str) -> Result<(), InterviewError> {
        let mut current = c;
        for _ in 0..=self.codes.len() {
            let Some(parent) = &current.parent else {
                return Ok(());
            };
            current = self.code(parent).ok_or_else(|| {
                self.invalid(
                    key.into(),
                    format!(
                        "code `{}` has parent `{parent}`, which is not in the frame",
                        c.id
                    ),
                )
            })?;
            if current.id == c.id {
                break;
            }
        }
        Err(self.invalid(
            key.into(),
            format!(
                "code `{}` is its own ancestor (the parents form a loop)",
                c.id
            ),
        ))
    }
}
