//! Nonresponse adjustment by weighting classes: within each class (district × age group, …)
//! the respondents' design weights are scaled up to carry the whole sample's,
//! `w_i = d_i · Σ_{c} d / Σ_{c, responded} d` (Kalton & Flores-Cervantes 2003, §2;
//! Valliant, Dever & Kreuter 2018, §13.5). The weighted response rate of a class is the
//! inverse of its factor.

use crate::error::DesignError;

/// One class: sampled and responding rows and design weights.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ClassCounts {
    pub sampled: u64,
    pub responded: u64,
    pub sampled_weight: f64,
    pub responded_weight: f64,
}

impl ClassCounts {
    /// The factor respondents' weights are multiplied by; 0 where the respondents weigh
    /// nothing (a replicate that left out all their clusters: they stay at 0).
    pub fn factor(&self) -> f64 {
        if self.responded_weight > 0.0 {
            self.sampled_weight / self.responded_weight
        } else {
            0.0
        }
    }
}

/// Sums per class of the sampled rows (`class[i]` for each row, `classes` of them).
pub fn class_counts(
    base: &[f64],
    responded: &[bool],
    class: &[u32],
    classes: usize,
) -> Vec<ClassCounts> {
    let mut counts = vec![ClassCounts::default(); classes];
    for ((&d, &r), &c) in base.iter().zip(responded).zip(class) {
        let k = &mut counts[c as usize];
        k.sampled += 1;
        k.sampled_weight += d;
        if r {
            k.responded += 1;
            k.responded_weight += d;
        }
    }
    counts
}

/// The adjusted weight of every responding row, in row order; a class without
/// respondents is an error naming it (`labels[c]`), since its sample would be lost.
pub fn adjust_by_class(
    base: &[f64],
    responded: &[bool],
    class: &[u32],
    counts: &[ClassCounts],
    labels: &[String],
) -> Result<Vec<f64>, DesignError> {
    if let Some(c) = counts.iter().position(|k| k.responded == 0) {
        return Err(DesignError::Parameter {
            parameter: "classes".into(),
            message: format!(
                "class `{}` has {} sampled and no respondents, so its share of the sample cannot be carried; merge it with a neighbouring class",
                labels[c], counts[c].sampled
            ),
        });
    }
    Ok(base
        .iter()
        .zip(responded)
        .zip(class)
        .filter(|((_, &r), _)| r)
        .map(|((&d, _), &c)| d * counts[c as usize].factor())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn respondents_carry_their_class_weight() {
        // Class 0: weights 1, 2, 3 sampled, 1 and 3 responded → factor 6/4 = 1.5.
        let base = [1.0, 2.0, 3.0, 5.0];
        let responded = [true, false, true, true];
        let class = [0, 0, 0, 1];
        let counts = class_counts(&base, &responded, &class, 2);
        let labels = ["a".to_string(), "b".to_string()];
        let w = adjust_by_class(&base, &responded, &class, &counts, &labels).unwrap();
        assert_eq!(w, vec![1.5, 4.5, 5.0]);
        let none = [false, false, false, true];
        let counts = class_counts(&base, &none, &class, 2);
        let err = adjust_by_class(&base, &none, &class, &counts, &labels).unwrap_err();
        assert!(err
            .to_string()
            .contains("class `a` has 3 sampled and no respondents"));
    }
}
