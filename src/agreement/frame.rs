//! The polars edge of agreement: a long table of ratings (unit, coder, value) in, one row
//! per group × coefficient out; and code presence per unit from coded segments.

use super::keys::{dense_int_values, dense_keys, dense_values, DenseKeys};
use super::{
    agreement_on, Estimate, Level, Patterns, Ratings, Request, RowPacking, SeMethod, Weights,
};
use crate::choice::Choice;
use crate::error::{AgreementError, Error};
use crate::parallel::threads_for;
use crate::publish::groups::{group_rows, key_label};
use crate::score::frame::present_columns;
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub struct AgreementOptions {
    pub unit: String,
    pub coder: String,
    pub value: String,
    pub by: Vec<String>,
    pub level: Level,
    /// The categories in order (all of them, also unused ones); `None` = the values seen.
    pub categories: Option<Vec<String>>,
    /// `None` = unweighted for nominal data, unweighted + linear + quadratic otherwise.
    pub weights: Option<Vec<Weights>>,
    pub se_method: SeMethod,
    pub n_boot: usize,
    pub confidence: f64,
    pub seed: u64,
    /// Only these coefficients; `None`: all.
    pub statistics: Option<Vec<super::AgreementStatistic>>,
}

/// Each rating's category index, and each category's numeric value.
struct Coded {
    category: Vec<Option<u32>>,
    values: Vec<f64>,
}

fn column<'a>(df: &'a DataFrame, name: &str, role: &str) -> Result<&'a Column, Error> {
    df.column(name).map_err(|_| {
        AgreementError::MissingColumn {
            role: role.into(),
            column: name.into(),
            present: present_columns(df),
        }
        .into()
    })
}

/// Unit or coder ids as text; an empty id is an error naming the row.
fn keys(df: &DataFrame, name: &str, role: &str) -> Result<Vec<String>, Error> {
    let text = column(df, name, role)?.cast(&DataType::String)?;
    text.str()?
        .iter()
        .enumerate()
        .map(|(row, v)| {
            v.map(str::to_string).ok_or_else(|| {
                AgreementError::EmptyKey {
                    role: role.into(),
                    column: name.into(),
                    row,
                }
                .into()
            })
        })
        .collect()
}

fn is_numeric(dtype: &DataType) -> bool {
    dtype.is_primitive_numeric()
}

/// Categories from the value column: numeric values keep their numbers; text needs
/// `categories` for anything but nominal data (an order cannot be guessed from labels).
fn code_values(df: &DataFrame, opts: &AgreementOptions) -> Result<Coded, Error> {
    let col = column(df, &opts.value, "value")?;
    let bad = |message: String| -> Error {
        AgreementError::Values {
            column: opts.value.clone(),
            message,
        }
        .into()
    };
    if let Some(cats) = &opts.categories {
        return coded_by_list(col, cats, &opts.value);
    }
    if col.dtype().is_integer() {
        if let Some((category, values)) = dense_int_values(col)? {
            return Ok(Coded { category, values });
        }
    }
    if is_numeric(col.dtype()) {
        let x: Vec<Option<f64>> = col.cast(&DataType::Float64)?.f64()?.iter().collect();
        if let Some(row) = x.iter().position(|v| v.is_some_and(|v| !v.is_finite())) {
            return Err(bad(format!(
                "row {row} is not a finite number; use null for a missing rating"
            )));
        }
        let (category, values) = dense_values(&x);
        return Ok(Coded { category, values });
    }
    if opts.level != Level::Nominal {
        return Err(bad(format!(
            "holds text ({}), which has no order; give `categories` in order for {:?} data or use numeric codes",
            col.dtype(),
            opts.level
        )
        .to_lowercase()));
    }
    let text = col.cast(&DataType::String)?;
    let labels: BTreeSet<&str> = text.str()?.iter().flatten().collect();
    let labels: Vec<String> = labels.into_iter().map(str::to_string).collect();
    coded_by_list(col, &labels, &opts.value)
}

/// Categories in the given order; their values are the numbers they spell if all do,
/// otherwise 1, 2, ….
fn coded_by_list(col: &Column, cats: &[String], name: &str) -> Result<Coded, Error> {
    if cats.is_empty() {
        return Err(AgreementError::Parameter {
            parameter: "categories".into(),
            message: "is empty; list every category in order, or leave it out".into(),
        }
        .into());
    }
    let position: HashMap<&str, u32> = cats
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i as u32))
        .collect();
    let unknown = |row: usize, value: String| -> Error {
        AgreementError::UnknownCategory {
            column: name.into(),
            row,
            value,
            categories: cats.join(", "),
        }
        .into()
    };
    if position.len() != cats.len() {
        return Err(AgreementError::Parameter {
            parameter: "categories".into(),
            message: "lists a category twice".into(),
        }
        .into());
    }
    let parsed: Option<Vec<f64>> = cats.iter().map(|c| c.trim().parse().ok()).collect();
    let category = if is_numeric(col.dtype()) {
        let numbers = parsed.clone().ok_or_else(|| AgreementError::Parameter {
            parameter: "categories".into(),
            message: format!("column `{name}` holds numbers, so every category must be a number"),
        })?;
        let x = col.cast(&DataType::Float64)?;
        x.f64()?
            .iter()
            .enumerate()
            .map(|(row, v)| match v {
                None => Ok(None),
                Some(v) => numbers
                    .iter()
                    .position(|&c| c == v)
                    .map(|k| Some(k as u32))
                    .ok_or_else(|| unknown(row, v.to_string())),
            })
            .collect::<Result<Vec<_>, Error>>()?
    } else {
        let text = col.cast(&DataType::String)?;
        text.str()?
            .iter()
            .enumerate()
            .map(|(row, v)| match v {
                None => Ok(None),
                Some(v) => position
                    .get(v)
                    .map(|&k| Some(k))
                    .ok_or_else(|| unknown(row, v.to_string())),
            })
            .collect::<Result<Vec<_>, Error>>()?
    };
    let values = match parsed {
        Some(v) if v.windows(2).all(|w| w[0] < w[1]) => v,
        _ => (1..=cats.len()).map(|i| i as f64).collect(),
    };
    Ok(Coded { category, values })
}

/// One group's rows with its units and coders numbered within the group (in sorted order
/// of their ids, so the order of the input rows changes nothing, not even the bootstrap).
struct GroupRatings<'a> {
    rows: &'a [u32],
    unit: &'a DenseKeys,
    coder: &'a DenseKeys,
    coded: &'a Coded,
    /// "by" values for messages.
    name: &'a str,
    units: LocalIds,
    coders: LocalIds,
}

impl<'a> GroupRatings<'a> {
    fn new(
        rows: &'a [u32],
        unit: &'a DenseKeys,
        coder: &'a DenseKeys,
        coded: &'a Coded,
        name: &'a str,
    ) -> Self {
        GroupRatings {
            rows,
            unit,
            coder,
            coded,
            name,
            units: LocalIds::of(rows, &unit.id, unit.labels.len()),
            coders: LocalIds::of(rows, &coder.id, coder.labels.len()),
        }
    }

    /// Unit and coder of the group's `i`-th row (row `r` of the table).
    fn unit_coder(&self, i: usize, r: u32) -> (usize, usize) {
        (
            self.units.id(i, r, &self.unit.id) as usize,
            self.coders.id(i, r, &self.coder.id) as usize,
        )
    }

    /// The rating patterns and how many ratings are missing (null values). Where a unit's
    /// row packs into an integer the rows go straight into their numbers, without the
    /// units × coders table.
    fn patterns(&self) -> Result<(Patterns, usize), Error> {
        let n_coders = self.coders.count;
        let table = || self.table().map(|(r, missing)| (Patterns::of(&r), missing));
        let Some(packing) = RowPacking::new(self.coded.values.len(), n_coders) else {
            return table();
        };
        // The rows in parts on the cores: a unit's number is a sum of its ratings' digits,
        // so the parts' numbers add up; a coder rating a unit in two parts shows as a coder
        // marked in both.
        let threads = crate::parallel::threads_for(self.rows.len());
        let per = self.rows.len().div_ceil(threads).max(1);
        let parts: Vec<usize> = (0..self.rows.len()).step_by(per).collect();
        let sums = crate::parallel::map_in_order(&parts, threads, |&start| {
            let rows = &self.rows[start..(start + per).min(self.rows.len())];
            self.packed_part(start, rows, &packing)
        });
        let mut sums = sums.into_iter();
        let Some(Some((mut keys, mut rated, mut missing))) = sums.next() else {
            // Rare: the table builder finds both rows for the message.
            return table();
        };
        for part in sums {
            let Some((more_keys, more_rated, more_missing)) = part else {
                return table();
            };
            if rated.add(&more_rated) {
                return table();
            }
            keys.iter_mut()
                .zip(more_keys)
                .for_each(|(k, more)| *k += more);
            missing += more_missing;
        }
        Ok((Patterns::from_packed(&keys, &packing), missing))
    }

    /// The packed numbers of the units (from the ratings in `rows`, the group's rows from
    /// `start` on), which coders rated each, and how many ratings are missing; `None` when a
    /// coder rated a unit twice.
    fn packed_part(
        &self,
        start: usize,
        rows: &[u32],
        packing: &RowPacking,
    ) -> Option<(Vec<u64>, RatedBy, usize)> {
        let mut keys = vec![0u64; self.units.count];
        let mut rated = RatedBy::new(self.units.count, self.coders.count);
        let mut missing = 0;
        for (i, &r) in (start..).zip(rows) {
            let (u, c) = self.unit_coder(i, r);
            if rated.again(u, c) {
                return None;
            }
            match self.coded.category[r as usize] {
                Some(k) => keys[u] += packing.digit(c, k),
                None => missing += 1,
            }
        }
        Some((keys, rated, missing))
    }

    /// The units × coders table and how many ratings are missing; a coder rating a unit
    /// twice is an error naming both rows.
    fn table(&self) -> Result<(Ratings, usize), Error> {
        let n_coders = self.coders.count;
        let cell_of = |i: usize, r: u32| {
            let (u, c) = self.unit_coder(i, r);
            u * n_coders + c
        };
        let mut cells = vec![None; self.units.count * n_coders];
        let mut filled = vec![false; cells.len()];
        let mut missing = 0;
        for (i, &r) in self.rows.iter().enumerate() {
            let cell = cell_of(i, r);
            if filled[cell] {
                let first = (0..i).find(|&j| cell_of(j, self.rows[j]) == cell);
                return Err(self.duplicate(self.rows[first.unwrap_or(i)], r));
            }
            filled[cell] = true;
            let category = self.coded.category[r as usize];
            cells[cell] = category;
            missing += usize::from(category.is_none());
        }
        let ratings = Ratings {
            units: self.units.count,
            coders: n_coders,
            cells,
            values: self.coded.values.clone(),
        };
        Ok((ratings, missing))
    }

    fn duplicate(&self, first: u32, second: u32) -> Error {
        AgreementError::DuplicateRating {
            group: self.name.into(),
            unit: self.unit.labels.get(self.unit.id[second as usize]),
            coder: self.coder.labels.get(self.coder.id[second as usize]),
            first: first.min(second) as usize,
            second: first.max(second) as usize,
        }
        .into()
    }
}

/// Which coders have rated each unit, to find a coder rating a unit twice.
enum RatedBy {
    /// Up to 8 coders: a byte per unit. Rows of one coder after another touch a different
    /// byte each (a bit per unit × coder made each row wait for the one before, which wrote
    /// the same word: a third of an α-only call).
    Few(Vec<u8>),
    /// A bit per unit × coder.
    Many { bits: Vec<u64>, coders: usize },
}

impl RatedBy {
    fn new(units: usize, coders: usize) -> Self {
        if coders <= 8 {
            RatedBy::Few(vec![0; units])
        } else {
            RatedBy::Many {
                bits: vec![0; (units * coders).div_ceil(64)],
                coders,
            }
        }
    }

    /// Marks unit `u` as rated by coder `c`; whether it already was.
    #[inline]
    fn again(&mut self, u: usize, c: usize) -> bool {
        match self {
            RatedBy::Few(bytes) => set_bit(&mut bytes[u], 1 << c),
            RatedBy::Many { bits, coders } => {
                let cell = u * *coders + c;
                set_bit(&mut bits[cell / 64], 1 << (cell % 64))
            }
        }
    }

    /// Adds the marks of `other` (of the same units and coders); whether any coder is
    /// marked in both.
    fn add(&mut self, other: &RatedBy) -> bool {
        match (self, other) {
            (RatedBy::Few(a), RatedBy::Few(b)) => add_marks(a, b),
            (RatedBy::Many { bits: a, .. }, RatedBy::Many { bits: b, .. }) => add_marks(a, b),
            // Never: parts of one group have the same units and coders. Were they unlike,
            // the units × coders table (always right) is built instead.
            _ => true,
        }
    }
}

/// `a |= b` word by word; whether any bit was set in both.
fn add_marks<T>(a: &mut [T], b: &[T]) -> bool
where
    T: Copy + PartialEq + Default + std::ops::BitAnd<Output = T> + std::ops::BitOr<Output = T>,
{
    let mut both = false;
    for (x, &y) in a.iter_mut().zip(b) {
        both |= *x & y != T::default();
        *x = *x | y;
    }
    both
}

/// Sets `bit` in `word`; whether it was set.
#[inline]
fn set_bit<T>(word: &mut T, bit: T) -> bool
where
    T: Copy + PartialEq + Default + std::ops::BitAnd<Output = T> + std::ops::BitOr<Output = T>,
{
    let was = *word & bit != T::default();
    *word = *word | bit;
    was
}

/// Ids renumbered 0..count within a group, keeping their order.
struct LocalIds {
    /// Per position in the group's rows; `None` when the group holds every id, so the
    /// global ids serve as they are.
    ids: Option<Vec<u32>>,
    count: usize,
}

impl LocalIds {
    fn id(&self, i: usize, row: u32, global: &[u32]) -> u32 {
        match &self.ids {
            Some(ids) => ids[i],
            None => global[row as usize],
        }
    }

    fn of(rows: &[u32], global: &[u32], n_global: usize) -> Self {
        if rows.len() == global.len() {
            // The group is the whole table, so every id is present.
            return LocalIds {
                ids: None,
                count: n_global,
            };
        }
        // A lookup table over all ids when the group is large, sorting when it is small
        // (many small groups would otherwise cost groups × ids).
        if rows.len() * 4 >= n_global {
            let mut table = vec![u32::MAX; n_global];
            rows.iter()
                .for_each(|&r| table[global[r as usize] as usize] = 0);
            let mut count = 0u32;
            for slot in table.iter_mut().filter(|s| **s == 0) {
                *slot = count;
                count += 1;
            }
            let ids = rows
                .iter()
                .map(|&r| table[global[r as usize] as usize])
                .collect();
            return LocalIds {
                ids: Some(ids),
                count: count as usize,
            };
        }
        let mut distinct: Vec<u32> = rows.iter().map(|&r| global[r as usize]).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let ids = rows
            .iter()
            .map(|&r| {
                distinct
                    .binary_search(&global[r as usize])
                    .unwrap_or_default() as u32
            })
            .collect();
        LocalIds {
            ids: Some(ids),
            count: distinct.len(),
        }
    }
}

fn default_weights(level: Level) -> Vec<Weights> {
    match level {
        Level::Nominal => vec![Weights::Unweighted],
        _ => vec![Weights::Unweighted, Weights::Linear, Weights::Quadratic],
    }
}

/// Output columns, one entry per row.
#[derive(Default)]
struct Table {
    group: Vec<IdxSize>,
    statistic: Vec<&'static str>,
    weights: Vec<Option<&'static str>>,
    value: Vec<Option<f64>>,
    se: Vec<Option<f64>>,
    ci_low: Vec<Option<f64>>,
    ci_high: Vec<Option<f64>>,
    z: Vec<Option<f64>>,
    p_value: Vec<Option<f64>>,
    df: Vec<Option<f64>>,
    n_units: Vec<u64>,
    n_pairable: Vec<u64>,
    n_coders: Vec<u64>,
    n_categories: Vec<u64>,
    n_ratings: Vec<u64>,
    n_missing: Vec<u64>,
    note: Vec<Option<String>>,
}

/// Counts describing one group's ratings.
struct Counts {
    units: u64,
    pairable: u64,
    coders: u64,
    categories: u64,
    ratings: u64,
    missing: u64,
}

impl Counts {
    fn of(p: &Patterns, freq: &[f64], q: usize, missing: usize) -> Self {
        let (mut pairable, mut ratings) = (0.0, 0.0);
        let mut used = vec![false; q];
        for (row, f) in p.rows.iter().zip(freq) {
            let rated = row.iter().flatten().count();
            row.iter().flatten().for_each(|&k| used[k as usize] = true);
            ratings += f * rated as f64;
            if rated >= 2 {
                pairable += f;
            }
        }
        Counts {
            units: p.unit_row.len() as u64,
            pairable: pairable as u64,
            coders: p.coders as u64,
            categories: used.iter().filter(|&&u| u).count() as u64,
            ratings: ratings as u64,
            missing: missing as u64,
        }
    }
}

impl Table {
    fn push(&mut self, g: usize, e: Estimate, c: &Counts) {
        self.group.push(g as IdxSize);
        self.statistic.push(e.statistic);
        self.weights
            .push(e.weights.map(crate::choice::Choice::as_str));
        let mut notes = e.notes;
        let value = match e.value {
            Ok(v) => Some(v),
            Err(why) => {
                notes.insert(0, why);
                None
            }
        };
        self.value.push(value);
        self.se.push(e.se);
        self.ci_low.push(e.ci.map(|c| c.0));
        self.ci_high.push(e.ci.map(|c| c.1));
        self.z.push(e.z);
        self.p_value.push(e.p_value);
        self.df.push(e.df);
        self.n_units.push(c.units);
        self.n_pairable.push(c.pairable);
        self.n_coders.push(c.coders);
        self.n_categories.push(c.categories);
        self.n_ratings.push(c.ratings);
        self.n_missing.push(c.missing);
        self.note
            .push((!notes.is_empty()).then(|| notes.join("; ")));
    }

    fn finish(self, keys: &DataFrame, req: &Request) -> Result<DataFrame, Error> {
        let idx = IdxCa::from_vec("g".into(), self.group);
        let height = idx.len();
        let mut cols: Vec<Column> = keys.take(&idx)?.columns().to_vec();
        let text = |name: &str, value: &str| {
            Column::new_scalar(name.into(), Scalar::from(PlSmallStr::from(value)), height)
        };
        let f = |name: &str, v: Vec<Option<f64>>| Column::new(name.into(), v);
        let n = |name: &str, v: Vec<u64>| Column::new(name.into(), v);
        cols.extend([
            Column::new("statistic".into(), self.statistic),
            Column::new("weights".into(), self.weights),
            text("level", req.level.as_str()),
            f("value", self.value),
            f("se", self.se),
            f("ci_low", self.ci_low),
            f("ci_high", self.ci_high),
            f("z", self.z),
            f("p_value", self.p_value),
            f("df", self.df),
            text("se_method", req.se_method.as_str()),
            n("n_units", self.n_units),
            n("n_pairable", self.n_pairable),
            n("n_coders", self.n_coders),
            n("n_categories", self.n_categories),
            n("n_ratings", self.n_ratings),
            n("n_missing", self.n_missing),
            Column::new("note".into(), self.note),
        ]);
        Ok(DataFrame::new(height, cols)?)
    }
}

fn group_prefix(keys: &DataFrame, g: usize) -> String {
    let label = key_label(keys, g);
    if label.is_empty() {
        label
    } else {
        format!("{label}: ")
    }
}

/// Unit ids, coder ids and rating categories, on separate threads for large tables.
fn key_columns(
    df: &DataFrame,
    opts: &AgreementOptions,
) -> Result<(DenseKeys, DenseKeys, Coded), Error> {
    let unit_col = column(df, &opts.unit, "unit")?;
    let coder_col = column(df, &opts.coder, "coder")?;
    let units = || dense_keys(unit_col, "unit");
    let coders = || dense_keys(coder_col, "coder");
    let values = || code_values(df, opts);
    if threads_for(df.height()) < 2 {
        return Ok((units()?, coders()?, values()?));
    }
    std::thread::scope(|scope| {
        let unit = scope.spawn(units);
        let coded = scope.spawn(values);
        let coder = coders()?;
        let unit = crate::parallel::join(unit)?;
        let coded = crate::parallel::join(coded)?;
        Ok((unit, coder, coded))
    })
}

/// Agreement per group of a long ratings table (one row per unit × coder).
pub fn agreement_frame(df: &DataFrame, opts: &AgreementOptions) -> Result<DataFrame, Error> {
    let req = Request {
        level: opts.level,
        weights: opts
            .weights
            .clone()
            .unwrap_or_else(|| default_weights(opts.level)),
        se_method: opts.se_method,
        n_boot: opts.n_boot,
        confidence: opts.confidence,
        seed: opts.seed,
        statistics: opts.statistics.clone(),
    };
    req.check_statistics()?;
    let (unit, coder, coded) = key_columns(df, opts)?;
    let groups = group_rows(df, &opts.by)?;
    let mut table = Table::default();
    for (g, rows) in groups.rows().iter().enumerate() {
        let prefix = group_prefix(&groups.keys, g);
        let (mut patterns, missing) =
            GroupRatings::new(rows, &unit, &coder, &coded, &prefix).patterns()?;
        let values = match opts.categories {
            Some(_) => coded.values.clone(),
            None => patterns.keep_used(&coded.values),
        };
        let counts = Counts::of(&patterns, &patterns.frequencies(), values.len(), missing);
        let mut estimates = agreement_on(&patterns, &values, &req)?;
        if patterns.coders < 2 {
            let why = format!(
                "only {} coder in this group; agreement needs at least two",
                patterns.coders
            );
            for e in &mut estimates {
                *e = Estimate {
                    value: Err(why.clone()),
                    se: None,
                    ci: None,
                    z: None,
                    p_value: None,
                    ..e.clone()
                };
            }
        }
        for e in estimates {
            table.push(g, e, &counts);
        }
    }
    table.finish(&groups.keys, &req)
}

/// Yes/no ratings of every code for every unit and coder, from coded segments.
///
/// A coder counts as having coded a unit (interview) when at least one of their segments is
/// in it; for each such unit × coder and each code, `value` is 1 if the coder applied the
/// code anywhere in the unit and 0 otherwise. `codes` fixes the list (and order) of codes,
/// so codes nobody used still get rows; by default the codes seen.
pub fn presence_frame(
    df: &DataFrame,
    unit: &str,
    coder: &str,
    code: &str,
    codes: Option<Vec<String>>,
) -> Result<DataFrame, Error> {
    let units = keys(df, unit, "unit")?;
    let coders = keys(df, coder, "coder")?;
    let applied = keys(df, code, "code")?;
    let codes: Vec<String> = match codes {
        Some(list) => {
            if let Some((row, c)) = applied.iter().enumerate().find(|(_, c)| !list.contains(c)) {
                return Err(AgreementError::UnknownCategory {
                    column: code.into(),
                    row,
                    value: c.clone(),
                    categories: list.join(", "),
                }
                .into());
            }
            list
        }
        None => applied
            .iter()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
    };
    let mut coded: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    for r in 0..df.height() {
        coded
            .entry((units[r].as_str(), coders[r].as_str()))
            .or_default()
            .insert(applied[r].as_str());
    }
    let (mut c_col, mut u_col, mut k_col, mut v_col) = (vec![], vec![], vec![], vec![]);
    for c in &codes {
        for ((u, k), used) in &coded {
            c_col.push(c.as_str());
            u_col.push(*u);
            k_col.push(*k);
            v_col.push(i32::from(used.contains(c.as_str())));
        }
    }
    let height = v_col.len();
    Ok(DataFrame::new(
        height,
        vec![
            Column::new(code.into(), c_col),
            Column::new(unit.into(), u_col),
            Column::new(coder.into(), k_col),
            Column::new("present".into(), v_col),
        ],
    )?)
}
