//! The one table builder: an output's rows (any row type) and its columns declared once, in
//! output order, each by a method that fixes its dtype, so the same thing has the same name
//! and dtype in every output (counts UInt64, `suppressed` Boolean, `level` UInt32, keys in
//! their original dtype).

use crate::error::Error;
use polars::prelude::*;

/// Columns over `rows`, added in output order.
pub struct Table<'a, R> {
    rows: &'a [R],
    columns: Vec<Column>,
}

impl<'a, R> Table<'a, R> {
    pub fn new(rows: &'a [R]) -> Self {
        Table {
            rows,
            columns: Vec::new(),
        }
    }

    /// The key columns: per row, its row of `keys` (a key frame from
    /// [`group_rows`](super::groups::group_rows)), or `None` for null keys (a total).
    pub fn keys(
        mut self,
        keys: &DataFrame,
        row: impl Fn(&R) -> Option<usize>,
    ) -> Result<Self, Error> {
        let idx: IdxCa = self
            .rows
            .iter()
            .map(|r| row(r).map(|k| k as IdxSize))
            .collect();
        self.columns
            .extend(keys.take(&idx)?.columns().iter().cloned());
        Ok(self)
    }

    /// The hierarchy level of each row (0 = total).
    pub fn level(self, get: impl Fn(&R) -> u32) -> Self {
        let c = UInt32Chunked::from_iter_values("level".into(), self.rows.iter().map(get));
        self.push(c.into_column())
    }

    /// Text borrowed from the rows (or anything that outlives them).
    pub fn text(self, name: &str, get: impl Fn(&'a R) -> Option<&'a str>) -> Self {
        let c = StringChunked::from_iter_options(name.into(), self.rows.iter().map(get));
        self.push(c.into_column())
    }

    /// Text made for the row (a note, a status).
    pub fn owned_text(self, name: &str, get: impl Fn(&R) -> Option<String>) -> Self {
        let c = StringChunked::from_iter_options(name.into(), self.rows.iter().map(get));
        self.push(c.into_column())
    }

    pub fn float(self, name: &str, get: impl Fn(&R) -> Option<f64>) -> Self {
        let c = Float64Chunked::from_iter_options(name.into(), self.rows.iter().map(get));
        self.push(c.into_column())
    }

    /// A statistic that is null where it is not a finite number (a zero-variance ratio, an
    /// overflow): a published NaN or ±inf would read as a value, not as "not computable".
    pub fn finite_float(self, name: &str, get: impl Fn(&R) -> Option<f64>) -> Self {
        self.float(name, |r| get(r).filter(|x| x.is_finite()))
    }

    /// A list of numbers per row (answer codes, their shares), null where the row has none;
    /// the inner dtype is `T`'s even when every row is null.
    pub fn list<T: PolarsNumericType>(
        self,
        name: &str,
        get: impl Fn(&R) -> Option<Vec<Option<T::Native>>>,
    ) -> Self {
        let mut b = ListPrimitiveChunkedBuilder::<T>::new(
            name.into(),
            self.rows.len(),
            0,
            T::get_static_dtype(),
        );
        for r in self.rows {
            match get(r) {
                Some(values) => b.append_iter(values.into_iter()),
                None => b.append_null(),
            }
        }
        self.push(b.finish().into_column())
    }

    /// A count (respondents, answers, interviews, codings): always UInt64.
    pub fn count(self, name: &str, get: impl Fn(&R) -> Option<u64>) -> Self {
        let c = UInt64Chunked::from_iter_options(name.into(), self.rows.iter().map(get));
        self.push(c.into_column())
    }

    pub fn flag(self, name: &str, get: impl Fn(&R) -> Option<bool>) -> Self {
        let c = BooleanChunked::from_iter_options(name.into(), self.rows.iter().map(get));
        self.push(c.into_column())
    }

    /// Whether the publication layer blanked the row: Boolean, never null.
    pub fn suppressed(self, get: impl Fn(&R) -> bool) -> Self {
        self.flag("suppressed", |r| Some(get(r)))
    }

    /// A column built elsewhere (e.g. one value repeated), of the table's height.
    pub fn column(self, column: Column) -> Self {
        self.push(column)
    }

    fn push(mut self, column: Column) -> Self {
        self.columns.push(column);
        self
    }

    pub fn finish(self) -> Result<DataFrame, Error> {
        Ok(DataFrame::new(self.rows.len(), self.columns)?)
    }
}
