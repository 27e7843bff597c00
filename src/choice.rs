//! Keyword options with a fixed set of values (`missing="pairwise"`, `ci="feldt"`, ...).
//!
//! Every such option is an enum implementing [`Choice`]; [`choice!`](crate::choice!)
//! writes `as_str`, `FromStr` and `Display` for it, so a value is parsed in this one place
//! and a bad value always gives the same error ([`ChoiceError`]) naming the keyword and
//! listing the valid values.

use crate::error::ChoiceError;

/// An option enum: its keyword, its values and each value's canonical name.
pub trait Choice: Sized + Copy + 'static {
    /// The keyword the value is given as (used in error messages).
    const KEYWORD: &'static str;
    /// Every value, in the order the documentation lists them.
    const ALL: &'static [Self];
    /// Other accepted spellings (lower case) and the value each stands for.
    const ALIASES: &'static [(&'static str, Self)] = &[];

    /// The canonical name (what `Literal` types in Python list).
    fn as_str(self) -> &'static str;

    /// The canonical names of every value.
    fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|v| v.as_str()).collect()
    }
}

/// Parses `text` as a value of `T`: canonical names and aliases, ignoring case and
/// surrounding blanks (people type "Pairwise" and " en").
pub fn parse<T: Choice>(text: &str) -> Result<T, ChoiceError> {
    let wanted = text.trim().to_ascii_lowercase();
    T::ALL
        .iter()
        .map(|v| (v.as_str(), *v))
        .chain(T::ALIASES.iter().copied())
        .find(|(name, _)| *name == wanted)
        .map(|(_, v)| v)
        .ok_or_else(|| ChoiceError {
            keyword: T::KEYWORD.into(),
            value: text.into(),
            valid: T::names().iter().map(|s| s.to_string()).collect(),
        })
}

/// Implements [`Choice`], `FromStr` and `Display` for an option enum:
/// `choice!(Missing, "missing", { Pairwise => "pairwise", Listwise => "listwise" })`,
/// optionally followed by `aliases { "fdr_bh" => BenjaminiHochberg }`.
#[macro_export]
macro_rules! choice {
    ($ty:ident, $keyword:literal, { $($variant:ident => $name:literal),+ $(,)? }
     $(, aliases { $($alias:literal => $target:ident),+ $(,)? })?) => {
        impl $crate::choice::Choice for $ty {
            const KEYWORD: &'static str = $keyword;
            const ALL: &'static [Self] = &[$($ty::$variant),+];
            $(const ALIASES: &'static [(&'static str, Self)] = &[$(($alias, $ty::$target)),+];)?

            fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $crate::error::ChoiceError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                $crate::choice::parse(text)
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::choice::Choice::as_str(*self))
            }
        }
    };
}

/// One option enum as Python sees it: the name of its `Literal` type in `lyhord._types`,
/// its keyword, its values, and its parser giving the canonical name.
pub struct ChoiceInfo {
    pub name: &'static str,
    pub keyword: &'static str,
    pub values: Vec<&'static str>,
    pub canonical: fn(&str) -> Result<&'static str, ChoiceError>,
}

fn info<T: Choice>(name: &'static str) -> ChoiceInfo {
    ChoiceInfo {
        name,
        keyword: T::KEYWORD,
        values: T::names(),
        canonical: |text| parse::<T>(text).map(T::as_str),
    }
}

/// Every option enum, for the Python `Literal` types (a test checks that they agree) and
/// for options that Python code checks itself (`lyhord._args.choice`).
pub fn all_choices() -> Vec<ChoiceInfo> {
    use crate::{agreement, design, followup, import, instrument, interviews, reliability};
    vec![
        info::<instrument::Lang>("Lang"),
        info::<import::headers::HeaderChoice>("Header"),
        info::<reliability::Missing>("Missing"),
        info::<reliability::CiKind>("CiMethod"),
        info::<agreement::Level>("AgreementLevel"),
        info::<agreement::Weights>("AgreementWeights"),
        info::<agreement::SeMethod>("AgreementSe"),
        info::<agreement::AgreementStatistic>("AgreementStatistic"),
        info::<followup::compare::Adjust>("Adjust"),
        info::<followup::targets::Direction>("Direction"),
        info::<design::LonelyPsu>("LonelyPsu"),
        info::<design::estimate::Statistic>("Statistic"),
        info::<design::interval::ShareInterval>("ShareInterval"),
        info::<crate::estimate::stats::Convention>("Convention"),
        info::<design::calibrate::Distance>("CalibrationMethod"),
        info::<design::replicate::ReplicateMethod>("ReplicateMethod"),
        info::<interviews::import::Unmatched>("Unmatched"),
        info::<interviews::frame::ScoreLevel>("InterviewLevel"),
        info::<reliability::invariance::frame::Model>("InvarianceModel"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reliability::Missing;

    #[test]
    fn parses_names_ignoring_case_and_lists_values_when_bad() {
        assert_eq!(" Pairwise".parse::<Missing>(), Ok(Missing::Pairwise));
        let err = "both".parse::<Missing>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "parameter `missing` must be \"pairwise\" or \"listwise\", not \"both\""
        );
    }

    #[test]
    fn every_value_round_trips() {
        for c in all_choices() {
            for v in &c.values {
                assert_eq!((c.canonical)(v), Ok(*v), "{}", c.keyword);
            }
        }
        assert_eq!(
            Missing::Listwise.as_str().parse::<Missing>(),
            Ok(Missing::Listwise)
        );
    }
}
