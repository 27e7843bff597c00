//! Checks an instrument after parsing, so that scoring never meets an inconsistent codebook.
//! Every error names the offending key path, e.g. `dimensions[1].items[2]`.

use super::{Dimension, IndexBasis, Instrument, MinAnswered, Scale};
use crate::error::InstrumentError;
use std::collections::HashSet;

impl Instrument {
    pub fn validate(&self) -> Result<(), InstrumentError> {
        let fail = |key: String, message: String| InstrumentError::Invalid {
            instrument: self.id.clone(),
            key,
            message,
        };
        if self.id.trim().is_empty() {
            return Err(fail("id".into(), "must not be empty".into()));
        }
        if self.min_group == 0 {
            return Err(fail("min_group".into(), "must be at least 1".into()));
        }
        for (key, value) in [
            ("min_group_distribution", self.min_group_distribution),
            ("min_group_background", self.min_group_background),
        ] {
            if value.is_some_and(|v| v < self.min_group) {
                return Err(fail(
                    key.into(),
                    format!(
                        "must be at least min_group ({}): a stricter threshold for a finer output",
                        self.min_group
                    ),
                ));
            }
        }
        check_scale(&self.scale, "scale").map_err(|(k, m)| fail(k, m))?;
        if self.items.is_empty() {
            return Err(fail("items".into(), "the instrument has no items".into()));
        }
        let mut ids = HashSet::new();
        for (i, item) in self.items.iter().enumerate() {
            if item.id.trim().is_empty() {
                return Err(fail(format!("items[{i}].id"), "must not be empty".into()));
            }
            if !ids.insert(item.id.as_str()) {
                return Err(fail(
                    format!("items[{i}].id"),
                    format!("duplicate item id `{}`", item.id),
                ));
            }
            if let Some(scale) = &item.scale {
                check_scale(scale, &format!("items[{i}].scale")).map_err(|(k, m)| fail(k, m))?;
            }
        }
        let mut measure_ids: HashSet<&str> = ids.clone();
        for (d, dim) in self.dimensions.iter().enumerate() {
            if !measure_ids.insert(dim.id.as_str()) {
                return Err(fail(
                    format!("dimensions[{d}].id"),
                    format!("`{}` is already used by an item or dimension", dim.id),
                ));
            }
            self.check_dimension(d, dim).map_err(|(k, m)| fail(k, m))?;
        }
        if !measure_ids.insert(self.index.id.as_str()) {
            return Err(fail(
                "index.id".into(),
                format!(
                    "`{}` is already used by an item or dimension",
                    self.index.id
                ),
            ));
        }
        self.check_index().map_err(|(k, m)| fail(k, m))
    }

    fn check_dimension(&self, d: usize, dim: &Dimension) -> Result<(), (String, String)> {
        if dim.items.is_empty() {
            return Err((
                format!("dimensions[{d}].items"),
                "a dimension needs at least one item".into(),
            ));
        }
        for (j, id) in dim.items.iter().enumerate() {
            if self.item(id).is_none() {
                return Err((
                    format!("dimensions[{d}].items[{j}]"),
                    format!("refers to item `{id}`, which is not in [[items]]; add the item or fix the id"),
                ));
            }
        }
        check_min_answered(
            dim.min_answered,
            dim.items.len(),
            &format!("dimensions[{d}].min_answered"),
        )
    }

    fn check_index(&self) -> Result<(), (String, String)> {
        let parts = match self.index.rule {
            IndexBasis::MeanOfItems => self.index_items().len(),
            IndexBasis::MeanOfDimensions => {
                if self.dimensions.is_empty() {
                    return Err((
                        "index.rule".into(),
                        "`mean_of_dimensions` needs at least one [[dimensions]] entry; use `mean_of_items`".into(),
                    ));
                }
                self.dimensions.len()
            }
        };
        check_min_answered(self.index.min_answered, parts, "index.min_answered")
    }
}

fn check_min_answered(m: MinAnswered, parts: usize, key: &str) -> Result<(), (String, String)> {
    match m {
        MinAnswered::AtLeast(0) => Err((key.into(), "must be at least 1 (or \"all\")".into())),
        MinAnswered::AtLeast(n) if n > parts => Err((
            key.into(),
            format!("requires {n} answered parts but there are only {parts}"),
        )),
        _ => Ok(()),
    }
}

/// Answer codes are stored compactly (see `score::MISSING`), so scales stay within ±10,000.
const CODE_LIMIT: i64 = 10_000;

fn check_scale(scale: &Scale, key: &str) -> Result<(), (String, String)> {
    if scale.min < -CODE_LIMIT || scale.max > CODE_LIMIT {
        return Err((
            format!("{key}.min"),
            format!("scale codes must lie within ±{CODE_LIMIT}"),
        ));
    }
    if scale.min >= scale.max {
        return Err((
            format!("{key}.min"),
            format!("min ({}) must be below max ({})", scale.min, scale.max),
        ));
    }
    let on_scale = |c: &i64| (scale.min..=scale.max).contains(c);
    for (name, codes) in [("positive", &scale.positive), ("neutral", &scale.neutral)] {
        if let Some(c) = codes.iter().find(|c| !on_scale(c)) {
            return Err((
                format!("{key}.{name}"),
                format!("code {c} is outside {}–{}", scale.min, scale.max),
            ));
        }
    }
    if scale.positive.is_empty() {
        return Err((
            format!("{key}.positive"),
            "declare at least one positive code".into(),
        ));
    }
    if let Some(c) = scale.positive.iter().find(|c| scale.neutral.contains(c)) {
        return Err((
            format!("{key}.neutral"),
            format!("code {c} is both positive and neutral"),
        ));
    }
    for (name, codes) in [
        ("dont_know", &scale.dont_know),
        ("not_applicable", &scale.not_applicable),
    ] {
        if let Some(c) = codes.iter().find(|c| on_scale(c)) {
            return Err((
                format!("{key}.{name}"),
                format!(
                    "code {c} lies on the answer scale {}–{}; special codes must be outside it",
                    scale.min, scale.max
                ),
            ));
        }
    }
    Ok(())
}
