//! A design coded once from its data, for many estimates on the same rows — what R's
//! `svydesign` object and svy's `Sample` are. Coding the design (weights checked, strata and
//! clusters hashed, the finite-population factors and calibration read) is most of a
//! one-domain-set call on a large sample; a prepared design pays it once.
//!
//! The prepared design keeps the columns it was coded from (shared, not copied) and checks
//! every later frame against them: the same buffers pass at once (Arrow buffers are
//! immutable), other buffers are compared value by value, so a frame whose design columns
//! changed is refused rather than estimated with a stale design.

use super::calibration::Calibration;
use super::Design;
use crate::error::{DesignError, Error};
use polars::prelude::*;
use polars_arrow::array::Array;

/// The design (and calibration) of one frame's rows, with the columns they came from.
#[derive(Debug, Clone)]
pub struct PreparedDesign {
    pub design: Design,
    pub calibration: Option<Calibration>,
    columns: Vec<Column>,
    height: usize,
}

impl PreparedDesign {
    /// `names`: every column the design and calibration were read from.
    pub fn new(
        df: &DataFrame,
        design: Design,
        calibration: Option<Calibration>,
        names: &[String],
    ) -> Result<Self, Error> {
        let mut columns: Vec<Column> = Vec::with_capacity(names.len());
        for name in names {
            if columns.iter().any(|c| c.name().as_str() == name) {
                continue;
            }
            columns.push(df.column(name)?.clone());
        }
        Ok(PreparedDesign {
            design,
            calibration,
            columns,
            height: df.height(),
        })
    }

    /// Rows the design was prepared on.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Refuses a frame whose rows or design columns are not those the design was prepared
    /// on, naming the first difference.
    pub fn check(&self, df: &DataFrame) -> Result<(), Error> {
        let refuse = |what: String| -> Error {
            DesignError::Parameter {
                parameter: "design".into(),
                message: format!(
                    "was prepared (Design.prepare) on other rows: {what}; prepare the design again on this data (design.prepare(data)), or pass the Design itself"
                ),
            }
            .into()
        };
        if df.height() != self.height {
            return Err(refuse(format!(
                "it has {} rows, the data {}",
                self.height,
                df.height()
            )));
        }
        for kept in &self.columns {
            let name = kept.name().as_str();
            let Ok(now) = df.column(name) else {
                return Err(refuse(format!("the data has no column `{name}`")));
            };
            if !same_values(kept, now) {
                return Err(refuse(format!("column `{name}` holds other values")));
            }
        }
        Ok(())
    }
}

/// Whether two columns hold the same values: at once when they share their buffers.
fn same_values(a: &Column, b: &Column) -> bool {
    if a.dtype() != b.dtype() || a.len() != b.len() {
        return false;
    }
    match (buffers(a), buffers(b)) {
        (Some(x), Some(y)) if x == y => true,
        _ => a.equals_missing(b),
    }
}

/// Where each chunk's values and validity live (address, length), for the dtypes design
/// columns have; `None` for others (compared by value).
fn buffers(c: &Column) -> Option<Vec<(usize, usize, usize)>> {
    let series = c.as_series()?;
    fn of<T: PolarsNumericType>(ca: &ChunkedArray<T>) -> Vec<(usize, usize, usize)> {
        ca.downcast_iter()
            .map(|a| {
                let validity = a.validity().map_or(0, |v| v.as_slice().0.as_ptr() as usize);
                (a.values().as_ptr() as usize, a.len(), validity)
            })
            .collect()
    }
    Some(match series.dtype() {
        DataType::Float64 => of(series.f64().ok()?),
        DataType::Float32 => of(series.f32().ok()?),
        DataType::Int64 => of(series.i64().ok()?),
        DataType::Int32 => of(series.i32().ok()?),
        DataType::UInt32 => of(series.u32().ok()?),
        DataType::String => series
            .str()
            .ok()?
            .downcast_iter()
            .map(|a| {
                let validity = a.validity().map_or(0, |v| v.as_slice().0.as_ptr() as usize);
                (a.views().as_ptr() as usize, a.len(), validity)
            })
            .collect(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::design::frame::{design_from_frame, DesignColumns};
    use crate::design::LonelyPsu;

    fn frame() -> DataFrame {
        df!("w" => [1.0, 2.0, 3.0, 4.0], "h" => ["a", "a", "b", "b"], "y" => [1.0, 2.0, 3.0, 4.0])
            .unwrap()
    }

    fn prepared(df: &DataFrame) -> PreparedDesign {
        let cols = DesignColumns {
            weights: Some("w".into()),
            strata: Some("h".into()),
            psu: None,
            fpc: None,
            lonely: LonelyPsu::Fail,
            replicates: None,
        };
        let design = design_from_frame(df, &cols).unwrap();
        PreparedDesign::new(df, design, None, &["w".into(), "h".into()]).unwrap()
    }

    #[test]
    fn the_same_frame_and_a_copy_pass_other_values_fail() {
        let df = frame();
        let p = prepared(&df);
        assert!(p.check(&df).is_ok());
        // Same values in new buffers (another frame built alike) pass by value.
        assert!(p.check(&frame()).is_ok());
        // Another column changed: nothing the design reads, so it passes.
        let mut other_y = df.clone();
        other_y
            .replace("y", Column::new("y".into(), [9.0, 9.0, 9.0, 9.0]))
            .unwrap();
        assert!(p.check(&other_y).is_ok());
        let mut changed = df.clone();
        changed
            .replace("w", Column::new("w".into(), [1.0, 2.0, 3.0, 5.0]))
            .unwrap();
        let message = p.check(&changed).unwrap_err().to_string();
        assert!(
            message.contains("column `w` holds other values"),
            "{message}"
        );
        let fewer = df.slice(0, 3);
        let message = p.check(&fewer).unwrap_err().to_string();
        assert!(message.contains("it has 4 rows, the data 3"), "{message}");
        let renamed = df.clone().drop("h").unwrap();
        assert!(p
            .check(&renamed)
            .unwrap_err()
            .to_string()
            .contains("no column `h`"));
    }
}
