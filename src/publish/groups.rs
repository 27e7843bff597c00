//! The one way lyhord groups rows: by any columns, keys in their original dtype, nulls kept
//! as a group of their own and sorted last, one sort order everywhere; and the hierarchy
//! view of `by` (total, first column, first two columns, ...).

use crate::error::{DataError, Error};
use crate::score::frame::present_columns;
use polars::prelude::*;

const ROW: &str = "__lyhord_row";
/// The node of a leaf that a table does not cover (another year than the table's).
pub const OUTSIDE: usize = usize::MAX;
const LEAF: &str = "__lyhord_leaf";

/// Groups of rows: their key frame (sorted by the keys, nulls last) and each row's group.
pub struct Groups {
    pub keys: DataFrame,
    pub group_of_row: Vec<u32>,
}

impl Groups {
    pub fn len(&self) -> usize {
        self.keys.height()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.height() == 0
    }

    /// The rows of each group, in row order.
    pub fn rows(&self) -> Vec<Vec<u32>> {
        let every_row = 0..self.group_of_row.len() as u32;
        if self.len() == 1 {
            return vec![every_row.collect()];
        }
        // Sized first, so no list grows a row at a time.
        let mut sizes = vec![0usize; self.len()];
        self.group_of_row
            .iter()
            .for_each(|&g| sizes[g as usize] += 1);
        let mut rows: Vec<Vec<u32>> = sizes.iter().map(|&n| Vec::with_capacity(n)).collect();
        for (row, &g) in every_row.zip(&self.group_of_row) {
            rows[g as usize].push(row);
        }
        rows
    }
}

/// Fails with the columns present when a grouping (or weight) column is missing.
pub fn check_columns<'a>(
    df: &DataFrame,
    columns: impl IntoIterator<Item = &'a str>,
) -> Result<(), Error> {
    for c in columns {
        if df.column(c).is_err() {
            return Err(DataError::UnknownGroupColumn {
                column: c.to_string(),
                present: present_columns(df),
            }
            .into());
        }
    }
    Ok(())
}

fn sort_options() -> SortMultipleOptions {
    SortMultipleOptions::default()
        .with_nulls_last(true)
        .with_maintain_order(true)
}

/// Groups the rows of `df` by `by`; without `by`, one group of every row.
pub fn group_rows(df: &DataFrame, by: &[String]) -> Result<Groups, Error> {
    check_columns(df, by.iter().map(String::as_str))?;
    if by.is_empty() {
        return Ok(Groups {
            keys: DataFrame::empty_with_height(1),
            group_of_row: vec![0; df.height()],
        });
    }
    if let [column] = by {
        if let Some(groups) = small_integer_groups(df.column(column)?)? {
            return Ok(groups);
        }
    }
    group_rows_by_polars(df, by)
}

/// Widest span of values (max − min + 1) grouped through a table of every value instead
/// of a hash: a table of 4 bytes per possible value.
const SPAN_FOR_TABLE: i64 = 1 << 16;

/// The groups of one integer column whose values span at most [`SPAN_FOR_TABLE`] (codes,
/// years, unit numbers), the same keys, order and dtype as [`group_rows_by_polars`] gives:
/// in a 100,000-row domain estimate polars' group-by was 40 % of the call. `None` for any
/// other column.
fn small_integer_groups(column: &polars::prelude::Column) -> Result<Option<Groups>, Error> {
    if !column.dtype().is_integer() {
        return Ok(None);
    }
    let Ok(values) = column.strict_cast(&DataType::Int64) else {
        return Ok(None);
    };
    let values = values.i64()?;
    let (Some(min), Some(max)) = (values.min(), values.max()) else {
        return Ok(None);
    };
    if max - min >= SPAN_FOR_TABLE {
        return Ok(None);
    }
    // The arrays' own iterators: polars' per-cell one was a tenth of a domain estimate.
    let present = values
        .downcast_iter()
        .flat_map(|a| a.iter().flatten().copied());
    let (rank, distinct) = rank_table(present, min, (max - min + 1) as usize);
    // Nulls are a group of their own, sorted last.
    let null_group = distinct.len() as u32;
    let mut group_of_row: Vec<u32> = Vec::with_capacity(values.len());
    for array in values.downcast_iter() {
        // Wrapping: a null's slot may hold any value (its rank is not looked up).
        let ranks = array.values().iter().map(|&v| v.wrapping_sub(min) as usize);
        match array.validity().filter(|valid| valid.unset_bits() > 0) {
            None => group_of_row.extend(ranks.map(|o| rank[o])),
            Some(valid) => group_of_row.extend(ranks.zip(valid.iter()).map(|(o, valid)| {
                if valid {
                    rank[o]
                } else {
                    null_group
                }
            })),
        }
    }
    let mut keys: Vec<Option<i64>> = distinct.into_iter().map(Some).collect();
    if values.null_count() > 0 {
        keys.push(None);
    }
    let Ok(keys) = Series::new(column.name().clone(), keys).strict_cast(column.dtype()) else {
        return Ok(None);
    };
    Ok(Some(Groups {
        keys: DataFrame::new(keys.len(), vec![keys.into()])?,
        group_of_row,
    }))
}

/// For integers in `lo..lo + span`: a table from value − lo to its rank among the values
/// present, and those values ascending (the grouping of one small-integer column, and the
/// agreement kernels' numbering of ids and ratings).
pub fn rank_table(v: impl Iterator<Item = i64>, lo: i64, span: usize) -> (Vec<u32>, Vec<i64>) {
    let mut table = vec![u32::MAX; span];
    v.for_each(|x| table[(x - lo) as usize] = 0);
    let mut distinct = Vec::new();
    for (offset, slot) in table.iter_mut().enumerate() {
        if *slot == 0 {
            *slot = distinct.len() as u32;
            distinct.push(lo + offset as i64);
        }
    }
    (table, distinct)
}

/// [`group_rows`] through polars' group-by: any columns and dtypes.
fn group_rows_by_polars(df: &DataFrame, by: &[String]) -> Result<Groups, Error> {
    let by_exprs: Vec<Expr> = by.iter().map(|c| col(c.as_str())).collect();
    let grouped = df
        .select(by.iter().map(|c| c.as_str()))?
        .lazy()
        .with_row_index(ROW, None)
        .group_by(&by_exprs)
        .agg([col(ROW)])
        .sort(
            by.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            sort_options(),
        )
        .collect()?;
    let mut group_of_row = vec![0u32; df.height()];
    for (g, rows) in grouped.column(ROW)?.list()?.amortized_iter().enumerate() {
        // Invariant: polars' group_by gives every group a (non-null) list of its rows.
        #[allow(clippy::expect_used)]
        let rows = rows.expect("group_by lists are never null");
        for row in rows.as_ref().idx()?.into_no_null_iter() {
            group_of_row[row as usize] = g as u32;
        }
    }
    Ok(Groups {
        keys: grouped.drop(ROW)?,
        group_of_row,
    })
}

/// Leaf → node mapping per level: level 0 is the total, the last level the leaves' own
/// groups of `by`. Several leaves may share a node at every level (leaves finer than `by`).
/// A leaf outside the table (see [`hierarchy_within`]) maps to [`OUTSIDE`] at every level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hierarchy {
    pub node_of_leaf: Vec<Vec<usize>>,
    pub nodes_per_level: Vec<usize>,
}

impl Hierarchy {
    /// Global node number of the first node of each level.
    pub fn offsets(&self) -> Vec<usize> {
        let mut acc = 0;
        self.nodes_per_level
            .iter()
            .map(|n| {
                let start = acc;
                acc += n;
                start
            })
            .collect()
    }

    pub fn n_nodes(&self) -> usize {
        self.nodes_per_level.iter().sum()
    }

    pub fn n_leaves(&self) -> usize {
        self.node_of_leaf.last().map_or(0, Vec::len)
    }

    /// The level each global node belongs to.
    pub fn level_of_nodes(&self) -> Vec<usize> {
        self.nodes_per_level
            .iter()
            .enumerate()
            .flat_map(|(level, &count)| std::iter::repeat_n(level, count))
            .collect()
    }

    /// Only the last level (a flat grouping, without the total and coarser levels).
    pub fn flat(&self) -> Hierarchy {
        Hierarchy {
            node_of_leaf: vec![self.node_of_leaf.last().cloned().unwrap_or_default()],
            nodes_per_level: vec![self.nodes_per_level.last().copied().unwrap_or(0)],
        }
    }

    /// Leaves of every global node.
    pub fn leaves_of_nodes(&self) -> Vec<Vec<u32>> {
        let offsets = self.offsets();
        let mut out = vec![Vec::new(); self.n_nodes()];
        for (level, mapping) in self.node_of_leaf.iter().enumerate() {
            for (leaf, &node) in mapping.iter().enumerate() {
                if node != OUTSIDE {
                    out[offsets[level] + node].push(leaf as u32);
                }
            }
        }
        out
    }
}

/// The hierarchy of `by` over the leaves where `keep` is true; the others are [`OUTSIDE`]
/// (a table of one year, or of a pooled period, among the leaves of every year).
pub fn hierarchy_within(
    leaf_keys: &DataFrame,
    by: &[String],
    keep: &[bool],
) -> Result<(Hierarchy, Vec<DataFrame>), Error> {
    let mask = BooleanChunked::from_slice("keep".into(), keep);
    let (inner, level_keys) = hierarchy(&leaf_keys.filter(&mask)?, by)?;
    let kept: Vec<usize> = (0..keep.len()).filter(|&l| keep[l]).collect();
    let node_of_leaf = inner
        .node_of_leaf
        .iter()
        .map(|mapping| {
            let mut full = vec![OUTSIDE; keep.len()];
            for (i, &node) in mapping.iter().enumerate() {
                full[kept[i]] = node;
            }
            full
        })
        .collect();
    Ok((
        Hierarchy {
            node_of_leaf,
            nodes_per_level: inner.nodes_per_level,
        },
        level_keys,
    ))
}

/// The hierarchy of `by` over leaf groups (`leaf_keys` holds at least the `by` columns) and
/// each level's node key frame with the `by` columns only, those below the level null.
pub fn hierarchy(
    leaf_keys: &DataFrame,
    by: &[String],
) -> Result<(Hierarchy, Vec<DataFrame>), Error> {
    let n_leaves = leaf_keys.height();
    let leaf_keys = leaf_keys.select(by.iter().map(String::as_str))?;
    let mut node_of_leaf = vec![vec![0usize; n_leaves]];
    let mut nodes_per_level = vec![1usize];
    let mut level_keys = vec![null_keys(&leaf_keys, 0, 1)?];
    for level in 1..=by.len() {
        let prefix: Vec<&str> = by[..level].iter().map(String::as_str).collect();
        let exprs: Vec<Expr> = prefix.iter().map(|c| col(*c)).collect();
        let grouped = leaf_keys
            .clone()
            .lazy()
            .with_row_index(LEAF, None)
            .group_by(&exprs)
            .agg([col(LEAF)])
            .sort(prefix.clone(), sort_options())
            .collect()?;
        let mut mapping = vec![0usize; n_leaves];
        for (node, leaves) in grouped.column(LEAF)?.list()?.amortized_iter().enumerate() {
            // Invariant: polars' group_by gives every group a (non-null) list.
            #[allow(clippy::expect_used)]
            let leaves = leaves.expect("group_by lists are never null");
            for leaf in leaves.as_ref().idx()?.into_no_null_iter() {
                mapping[leaf as usize] = node;
            }
        }
        nodes_per_level.push(grouped.height());
        node_of_leaf.push(mapping);
        level_keys.push(pad_keys(&grouped.drop(LEAF)?, &leaf_keys, level)?);
    }
    Ok((
        Hierarchy {
            node_of_leaf,
            nodes_per_level,
        },
        level_keys,
    ))
}

/// A key frame of `height` rows whose columns from `from` on are null, typed like `template`.
fn null_keys(template: &DataFrame, from: usize, height: usize) -> Result<DataFrame, Error> {
    let cols = template.columns()[from..]
        .iter()
        .map(|c| Column::full_null(c.name().clone(), height, c.dtype()))
        .collect();
    Ok(DataFrame::new(height, cols)?)
}

/// Adds the grouping columns below `level` as nulls so every level has the same schema.
fn pad_keys(prefix: &DataFrame, template: &DataFrame, level: usize) -> Result<DataFrame, Error> {
    let mut cols: Vec<Column> = prefix.columns().to_vec();
    cols.extend(
        null_keys(template, level, prefix.height())?
            .columns()
            .iter()
            .cloned(),
    );
    Ok(DataFrame::new(prefix.height(), cols)?)
}

/// "forvaltning=X, enhet=Y": the keys of one row of a key frame, for messages (empty when
/// the frame has no columns).
pub fn key_label(keys: &DataFrame, row: usize) -> String {
    label(keys.columns(), row)
}

fn label(columns: &[Column], row: usize) -> String {
    columns
        .iter()
        .map(|c| {
            let v = c.get(row).map(|v| v.to_string()).unwrap_or_default();
            format!("{}={}", c.name(), v.trim_matches('"'))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A node of `level` named by its keys; "(total)" at level 0.
pub fn describe_node(keys: &DataFrame, node: usize, level: usize) -> String {
    if level == 0 {
        return "(total)".to_string();
    }
    label(&keys.columns()[..level], node)
}

/// The `names` columns of two tables to be matched on them, cast to one dtype per column:
/// equal dtypes as they are, integers of different widths (or integers and floats) to their
/// supertype. Text against numbers is an error naming the column and both dtypes: reading
/// "09" as 9 silently could match groups the user does not mean.
pub fn align_keys(
    left: (&DataFrame, &str),
    right: (&DataFrame, &str),
    names: &[String],
) -> Result<(DataFrame, DataFrame), Error> {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for name in names {
        let (ca, cb) = (left.0.column(name)?, right.0.column(name)?);
        let (da, db) = (ca.dtype(), cb.dtype());
        let common = if da == db {
            da.clone()
        } else if da.is_primitive_numeric() && db.is_primitive_numeric() {
            numeric_supertype(da, db)
        } else if is_text(da) && is_text(db) {
            DataType::String
        } else if da.is_null() || db.is_null() {
            // An all-null column (an empty table's keys) takes the other's dtype.
            if da.is_null() {
                db.clone()
            } else {
                da.clone()
            }
        } else {
            return Err(DataError::KeyDtype {
                column: name.clone(),
                left: left.1.into(),
                left_dtype: da.to_string(),
                right: right.1.into(),
                right_dtype: db.to_string(),
            }
            .into());
        };
        a.push(ca.cast(&common)?);
        b.push(cb.cast(&common)?);
    }
    Ok((
        DataFrame::new(left.0.height(), a)?,
        DataFrame::new(right.0.height(), b)?,
    ))
}

/// Integers of any width meet as Int64 (keys are codes, never near its limits); with a
/// float, as Float64.
fn numeric_supertype(a: &DataType, b: &DataType) -> DataType {
    if a.is_float() || b.is_float() {
        DataType::Float64
    } else {
        DataType::Int64
    }
}

fn is_text(dtype: &DataType) -> bool {
    matches!(
        dtype,
        DataType::String | DataType::Categorical(..) | DataType::Enum(..)
    )
}

/// Each row's keys as text, for matching rows of key frames whose dtypes were aligned
/// ([`align_keys`]): within one dtype equal text is equal value; null stays `None`.
pub fn key_texts(keys: &DataFrame) -> Result<Vec<Vec<Option<String>>>, Error> {
    let columns = keys
        .columns()
        .iter()
        .map(|c| {
            let text = c.cast(&DataType::String)?;
            Ok(text
                .str()?
                .iter()
                .map(|v| v.map(str::to_string))
                .collect::<Vec<_>>())
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok((0..keys.height())
        .map(|r| columns.iter().map(|c| c[r].clone()).collect())
        .collect())
}

/// `value` (text a user gave, e.g. a unit in a unit map) read as a value of key column
/// `column`, as the text [`key_texts`] gives for it: "9" and "09" name the integer 9.
pub fn key_value_text(value: &str, column: &Column, role: &str) -> Result<String, Error> {
    let bad = || {
        Error::from(DataError::KeyValue {
            role: role.into(),
            value: value.into(),
            column: column.name().to_string(),
            dtype: column.dtype().to_string(),
        })
    };
    let dtype = match column.dtype() {
        DataType::Null => DataType::String,
        d => d.clone(),
    };
    let typed = Series::new("v".into(), [value])
        .strict_cast(&dtype)
        .map_err(|_| bad())?;
    let text = typed.cast(&DataType::String)?;
    text.str()?.get(0).map(str::to_string).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn same_groups(a: &Groups, b: &Groups) -> bool {
        a.keys.equals_missing(&b.keys) && a.group_of_row == b.group_of_row
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// The table of small integers groups as polars' group-by does: the same keys in
        /// the same order (nulls last), dtype and group of every row.
        #[test]
        fn small_integer_table_groups_as_polars_does(
            cells in prop::collection::vec(prop::option::weighted(0.9, -40i64..40), 1..200),
            offset in prop::sample::select(vec![0i64, 1_000_000, -70_000]),
            as_u32 in any::<bool>(),
        ) {
            let values: Vec<Option<i64>> = cells.iter().map(|c| c.map(|v| v + offset)).collect();
            let mut s = Series::new("unit".into(), values);
            if as_u32 && offset == 0 {
                s = (s + 40).strict_cast(&DataType::UInt32).unwrap();
            }
            let df = DataFrame::new(s.len(), vec![s.into()]).unwrap();
            let by = ["unit".to_string()];
            let fast = group_rows(&df, &by).unwrap();
            let general = group_rows_by_polars(&df, &by).unwrap();
            prop_assert!(same_groups(&fast, &general), "{:?}\n{:?}", fast.keys, general.keys);
        }
    }

    #[test]
    fn wide_integer_spans_and_all_null_columns_go_through_polars() {
        let wide = Series::new("unit".into(), [Some(0i64), Some(1 << 20), None, Some(0)]);
        let column: polars::prelude::Column = wide.into();
        assert!(small_integer_groups(&column).unwrap().is_none());
        let empty = Series::new("unit".into(), [None::<i64>, None]);
        assert!(small_integer_groups(&empty.into()).unwrap().is_none());
        let text = Series::new("unit".into(), ["a", "b"]);
        assert!(small_integer_groups(&text.into()).unwrap().is_none());
    }
}
