//! A publication: every table lyhord returns from the same answers (or the same stored
//! sums), suppressed jointly. Each new table is cut into cells over the atoms of all tables
//! so far; cells returned before keep their status (what is out stays out), and the engine
//! adds blanks among the new cells until the auditor passes everything together.

use super::audit::{Audit, Check, Layer, Quantity};
use super::cells::{overlaps, AtomMeasure, AtomValues, CellPolicy, Cells};
use super::engine::{protect, Blank, Pattern};
use super::groups::{describe_node, hierarchy, hierarchy_within, Hierarchy};
use crate::error::{Error, EstimateError};
use crate::estimate::frame::{leaf_sums, LeafSums};
use crate::estimate::sums::leaf_sums_of;
use crate::estimate::GroupStats;
use crate::instrument::{Instrument, MeasureKind};
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Thresholds of one table (or of the background levels of a breakdown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Respondents a group needs for its means, indices and counts.
    pub min_group: u64,
    /// Respondents a group needs for its answer distribution.
    pub min_distribution: u64,
}

impl Thresholds {
    /// The instrument's policy, with `min_group` overridden when given (the distribution
    /// threshold never drops below it).
    pub fn of(inst: &Instrument, min_group: Option<usize>) -> Result<Self, Error> {
        if min_group == Some(0) {
            return Err(EstimateError::Parameter {
                parameter: "min_group".into(),
                message: "must be at least 1".into(),
            }
            .into());
        }
        let mean = min_group.unwrap_or(inst.min_group) as u64;
        let dist = inst.min_group_distribution.unwrap_or(inst.min_group) as u64;
        Ok(Thresholds {
            min_group: mean,
            min_distribution: dist.max(mean),
        })
    }

    /// The instrument's threshold for a background breakdown (enhet × kön).
    pub fn background(self, inst: &Instrument) -> Self {
        let k = (inst.min_group_background.unwrap_or(inst.min_group) as u64).max(self.min_group);
        Thresholds {
            min_group: k,
            min_distribution: self.min_distribution.max(k),
        }
    }
}

/// The rows a table covers: those whose `column` is one of `values` (compared as text), all
/// pooled. A year's table among several years' sums, or a pooled period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Within {
    pub column: String,
    pub values: Vec<String>,
}

impl Within {
    /// "year=2024" or "year=2023+2024": the prefix of every group name of the table.
    fn label(&self) -> String {
        format!("{}={}", self.column, self.values.join("+"))
    }
}

/// How a table cuts its groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSpec {
    /// What the table is (for the audit table): "estimate", "item_analysis", ...
    pub name: String,
    pub by: Vec<String>,
    /// The total and every level of `by` (estimates) or only the groups of `by`.
    pub hierarchical: bool,
    /// Levels from this one down are a background breakdown (their own thresholds).
    pub background_from: Option<usize>,
    pub thresholds: Thresholds,
    pub background: Thresholds,
    /// Only these rows (`None`: every row).
    #[serde(default)]
    pub within: Option<Within>,
}

/// Where the publication's numbers come from.
pub enum Source {
    /// Answers, optionally weighted (weights change estimates, not who is counted).
    Answers {
        df: DataFrame,
        weights: Option<String>,
    },
    /// A table of sums (`ly.summarise`, merged or not).
    Sums(DataFrame),
}

/// Statuses of a cell as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Stored {
    unit: Option<Blank>,
    mean: Vec<Option<Blank>>,
    dist: Vec<Option<Blank>>,
}

/// One table's groups: its hierarchy over the atoms, node keys and each node's cell.
pub struct TableCells {
    pub hierarchy: Hierarchy,
    pub level_keys: Vec<DataFrame>,
    pub cell_of_node: Vec<usize>,
}

/// What one run of the engine saw.
pub struct State {
    /// The grouping columns of all tables: the atoms are their groups.
    pub columns: Vec<String>,
    /// Sums per atom, weighted as the source asks (for the published numbers).
    pub leaves: LeafSums,
    pub cells: Cells,
    pub values: AtomValues,
    pub policy: Vec<CellPolicy>,
    pub pattern: Pattern,
    pub unresolved: Vec<Check>,
    pub tables: Vec<TableCells>,
    /// Per cell, its description in every table it appears in: (table, "enhet=A").
    pub names: Vec<Vec<(usize, String)>>,
}

/// Version of the [`Record`] format; a record of a newer version is refused.
pub const RECORD_VERSION: u32 = 1;

/// What a publication has released: its tables and every cell's status as published. Kept
/// (e.g. in the follow-up store) so that later tables are suppressed jointly with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub version: u32,
    pub instrument: String,
    pub tables: Vec<TableSpec>,
    published: BTreeMap<String, Stored>,
}

pub struct Publication {
    pub inst: Instrument,
    source: Source,
    tables: Vec<TableSpec>,
    published: HashMap<String, Stored>,
    state: Option<State>,
}

impl Publication {
    pub fn new(inst: Instrument, source: Source) -> Self {
        Publication {
            inst,
            source,
            tables: Vec::new(),
            published: HashMap::new(),
            state: None,
        }
    }

    pub fn tables(&self) -> &[TableSpec] {
        &self.tables
    }

    /// A publication that has already released the tables of `record` (from the same
    /// source, e.g. the same years' stored sums with new years beside them): their cells
    /// keep their published status and every new table is suppressed jointly with them.
    pub fn with_record(inst: Instrument, source: Source, record: Record) -> Result<Self, Error> {
        let problem = if record.version > RECORD_VERSION {
            Some(format!(
                "was written by a newer lyhord (record version {}; this one reads up to {RECORD_VERSION}); update lyhord",
                record.version
            ))
        } else if record.instrument != inst.id {
            Some(format!(
                "is of instrument `{}`, not `{}`",
                record.instrument, inst.id
            ))
        } else {
            None
        };
        if let Some(message) = problem {
            return Err(EstimateError::Parameter {
                parameter: "record".into(),
                message: format!("the record of earlier releases {message}"),
            }
            .into());
        }
        let mut publication = Publication::new(inst, source);
        publication.tables = record.tables;
        publication.published = record.published.into_iter().collect();
        if !publication.tables.is_empty() {
            let state = publication.run()?;
            publication.state = Some(state);
        }
        Ok(publication)
    }

    /// What this publication has released so far.
    pub fn record(&self) -> Record {
        Record {
            version: RECORD_VERSION,
            instrument: self.inst.id.clone(),
            tables: self.tables.clone(),
            published: self
                .published
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    /// Adds a table, suppressed jointly with every table before it; returns its index and
    /// the state to build it from. Nothing changes when it fails.
    pub fn add(&mut self, spec: TableSpec) -> Result<(usize, &State), Error> {
        let (indices, state) = self.add_all(vec![spec])?;
        Ok((indices[0], state))
    }

    /// Adds several tables at once: their blanks are chosen together (a year and a pooled
    /// period that holds it, published in the same run, can partner each other), jointly
    /// with every table before them. The same table again (a rerun of the yearly
    /// follow-up) is the table already published. Nothing changes when it fails.
    pub fn add_all(&mut self, specs: Vec<TableSpec>) -> Result<(Vec<usize>, &State), Error> {
        let before = self.tables.len();
        let mut indices = Vec::with_capacity(specs.len());
        for spec in specs {
            let t = match self.tables.iter().position(|s| *s == spec) {
                Some(t) => t,
                None => {
                    self.tables.push(spec);
                    self.tables.len() - 1
                }
            };
            indices.push(t);
        }
        if self.tables.len() > before || self.state.is_none() {
            match self.run() {
                Ok(state) => {
                    self.remember(&state);
                    self.state = Some(state);
                }
                Err(e) => {
                    self.tables.truncate(before);
                    return Err(e);
                }
            }
        }
        // Invariant: `state` is set above when it was None, and never unset.
        #[allow(clippy::expect_used)]
        let state = self.state.as_ref().expect("just set");
        Ok((indices, state))
    }

    /// The last state (every table so far), if any table was added.
    pub fn state(&self) -> Option<&State> {
        self.state.as_ref()
    }

    fn columns(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for t in &self.tables {
            let within = t.within.iter().map(|w| &w.column);
            for c in within.chain(&t.by) {
                if !out.contains(c) {
                    out.push(c.clone());
                }
            }
        }
        out
    }

    fn sums(&self, columns: &[String], weighted: bool) -> Result<LeafSums, Error> {
        match &self.source {
            Source::Answers { df, weights } => {
                let w = if weighted { weights.as_deref() } else { None };
                leaf_sums(df, &self.inst, columns, w)
            }
            Source::Sums(sums) => leaf_sums_of(sums, &self.inst, columns),
        }
    }

    /// The atoms' sums and true values for `columns`: from the last run when a new table
    /// groups by columns seen before (no second pass over the answers).
    fn atoms(&self, columns: &[String]) -> Result<(LeafSums, AtomValues), Error> {
        if let Some(state) = self.state.as_ref().filter(|s| s.columns == columns) {
            return Ok((state.leaves.clone(), state.values.clone()));
        }
        let leaves = self.sums(columns, true)?;
        let values = match &self.source {
            Source::Answers {
                weights: Some(_), ..
            } => atom_values(&self.sums(columns, false)?.stats, &self.inst),
            _ => atom_values(&leaves.stats, &self.inst),
        };
        Ok((leaves, values))
    }

    fn run(&self) -> Result<State, Error> {
        let columns = self.columns();
        let (leaves, values) = self.atoms(&columns)?;
        let mut cells = Cells::default();
        let mut policy: Vec<CellPolicy> = Vec::new();
        let mut names: Vec<Vec<(usize, String)>> = Vec::new();
        let mut tables = Vec::new();
        for (t, spec) in self.tables.iter().enumerate() {
            let (mut h, mut level_keys) = table_hierarchy(&leaves.keys, spec)?;
            if !spec.hierarchical {
                h = h.flat();
                level_keys = level_keys.split_off(level_keys.len() - 1);
            }
            let levels = h.level_of_nodes();
            let offsets = h.offsets();
            let mut cell_of_node = Vec::with_capacity(h.n_nodes());
            for (node, atoms) in h.leaves_of_nodes().into_iter().enumerate() {
                let c = cells.add(atoms);
                let level = levels[node];
                let depth = if spec.hierarchical {
                    level
                } else {
                    spec.by.len()
                };
                let th = match spec.background_from {
                    Some(from) if depth >= from => spec.background,
                    _ => spec.thresholds,
                };
                let p = CellPolicy {
                    min_group: th.min_group,
                    min_distribution: th.min_distribution,
                    row: true,
                };
                if c == policy.len() {
                    policy.push(p);
                    names.push(Vec::new());
                } else {
                    policy[c] = policy[c].stricter(p);
                }
                let keys = &level_keys[if spec.hierarchical { level } else { 0 }];
                let name = describe_node(keys, node - offsets[level], depth);
                names[c].push((t, within_name(spec, name)));
                cell_of_node.push(c);
            }
            tables.push(TableCells {
                hierarchy: h,
                level_keys,
                cell_of_node,
            });
        }
        // A row shows that its group exists only where it has someone in it.
        for (c, p) in policy.iter_mut().enumerate() {
            p.row = cells.atoms[c]
                .iter()
                .any(|&a| values.respondents[a as usize] > 0);
        }
        let mut pattern = primary(&cells, &values, &policy);
        let mut fixed = vec![false; cells.len()];
        for (c, cell_names) in names.iter().enumerate() {
            if let Some(stored) = cell_names.iter().find_map(|(_, n)| self.published.get(n)) {
                restore(&mut pattern, c, stored);
                fixed[c] = true;
            }
        }
        let audit = Audit {
            cells: &cells,
            values: &values,
            policy: &policy,
        };
        let protected = protect(&audit, pattern, &fixed);
        if let Some(check) = protected.unresolved.first() {
            let table = names[check.cell]
                .first()
                .map_or(self.tables.len() - 1, |(t, _)| *t);
            let name = |c: usize| names[c].first().map(|(_, n)| n.clone()).unwrap_or_default();
            let shown: Vec<String> = (0..cells.len())
                .filter(|&c| fixed[c] && protected.pattern.unit[c].is_none())
                .filter(|&c| overlaps(&cells.atoms[c], &cells.atoms[check.cell]))
                .map(name)
                .collect();
            let measure = |j: usize| self.inst.measures()[j].0.to_string();
            let what = match check.layer {
                Layer::Respondents => "the respondents".to_string(),
                Layer::Mean(j) => format!("the mean of {}", measure(j)),
                Layer::Distribution(j) => format!("the answer distribution of {}", measure(j)),
            };
            return Err(EstimateError::Unprotectable {
                table: self.tables[table].name.clone(),
                what,
                group: name(check.cell),
                shown: shown.join("; "),
            }
            .into());
        }
        Ok(State {
            columns,
            leaves,
            cells,
            values,
            policy,
            pattern: protected.pattern,
            unresolved: protected.unresolved,
            tables,
            names,
        })
    }

    fn remember(&mut self, state: &State) {
        let m = state.pattern.m;
        for (c, cell_names) in state.names.iter().enumerate() {
            let stored = Stored {
                unit: state.pattern.unit[c],
                mean: state.pattern.mean[c * m..(c + 1) * m].to_vec(),
                dist: state.pattern.dist[c * m..(c + 1) * m].to_vec(),
            };
            for (_, name) in cell_names {
                self.published.entry(name.clone()).or_insert(stored.clone());
            }
        }
    }

    /// The audit table: for every blanked cell and layer, the attacker's interval of each
    /// quantity over everything published so far. For the statistician, never to publish.
    pub fn audit(&self) -> Result<DataFrame, Error> {
        let Some(state) = &self.state else {
            return audit_frame(&[], &self.tables, None, &self.inst);
        };
        let audit = Audit {
            cells: &state.cells,
            values: &state.values,
            policy: &state.policy,
        };
        let checks = audit.check_all(&state.pattern);
        audit_frame(&checks, &self.tables, Some(state), &self.inst)
    }
}

/// The hierarchy of a table's `by` over the atoms it covers.
fn table_hierarchy(
    atom_keys: &DataFrame,
    spec: &TableSpec,
) -> Result<(Hierarchy, Vec<DataFrame>), Error> {
    let Some(within) = &spec.within else {
        return hierarchy(atom_keys, &spec.by);
    };
    let column = atom_keys.column(&within.column)?;
    let keep: Vec<bool> = (0..atom_keys.height())
        .map(|a| {
            let v = column.get(a).map(|v| v.to_string()).unwrap_or_default();
            within.values.iter().any(|w| w == v.trim_matches('"'))
        })
        .collect();
    if !keep.contains(&true) {
        return Err(EstimateError::Parameter {
            parameter: "within".into(),
            message: format!(
                "no rows have `{}` in {}; the values present are {}",
                within.column,
                within.values.join(", "),
                present_values(column)
            ),
        }
        .into());
    }
    hierarchy_within(atom_keys, &spec.by, &keep)
}

fn present_values(column: &Column) -> String {
    let mut values: Vec<String> = (0..column.len())
        .map(|i| {
            let v = column.get(i).map(|v| v.to_string()).unwrap_or_default();
            v.trim_matches('"').to_string()
        })
        .collect();
    values.sort();
    values.dedup();
    values.join(", ")
}

/// A group's name in a table that covers only some rows: "year=2024, enhet=A"; the
/// table's total is "year=2024".
fn within_name(spec: &TableSpec, name: String) -> String {
    match &spec.within {
        None => name,
        Some(w) if name == "(total)" => w.label(),
        Some(w) => format!("{}, {name}", w.label()),
    }
}

fn restore(pattern: &mut Pattern, c: usize, stored: &Stored) {
    let m = pattern.m;
    pattern.unit[c] = stored.unit;
    pattern.mean[c * m..(c + 1) * m].copy_from_slice(&stored.mean);
    pattern.dist[c * m..(c + 1) * m].copy_from_slice(&stored.dist);
}

/// The unweighted additive quantities per atom and measure, on the 0–1 scale.
pub fn atom_values(stats: &GroupStats, inst: &Instrument) -> AtomValues {
    let (low, high) = inst.score_range();
    let m = stats.measures.len();
    let atoms = stats.groups();
    let pooled = pooled_by(inst, &stats.measures);
    let measures = (0..m)
        .map(|j| {
            let mut out = AtomMeasure {
                pooled_by: pooled[j].clone(),
                ..AtomMeasure::default()
            };
            for a in 0..atoms {
                let mo = &stats.moments[a * m + j];
                let sh = &stats.shares[a * m + j];
                // Weighted sums published from stored sums: the counts the weights stand for.
                // Scores are put on 0–1 (a net promoter score runs from −100 to 100).
                let mean = if mo.sw > 0.0 { mo.swy / mo.sw } else { low };
                let unit = (mean - low) / (high - low);
                out.n.push(mo.n);
                out.sum.push((unit * mo.n as f64).clamp(0.0, mo.n as f64));
                let share = |w: f64| {
                    if sh.w_total > 0.0 {
                        (w / sh.w_total * sh.answers as f64).round() as u64
                    } else {
                        0
                    }
                };
                let positive = share(sh.w_positive).min(sh.answers);
                let neutral = share(sh.w_neutral).min(sh.answers - positive);
                out.answers.push(sh.answers);
                out.positive.push(positive);
                out.neutral.push(neutral);
            }
            out
        })
        .collect();
    AtomValues {
        respondents: stats.respondents.clone(),
        measures,
        counts_only: false,
    }
}

/// For each measure, the measures whose percentages pool its answers.
fn pooled_by(inst: &Instrument, measures: &[(String, MeasureKind)]) -> Vec<Vec<usize>> {
    let position = |id: &str| measures.iter().position(|(mid, _)| mid == id);
    let index_items = inst.index_items();
    measures
        .iter()
        .map(|(id, kind)| {
            if *kind != MeasureKind::Item {
                return Vec::new();
            }
            let mut out: Vec<usize> = inst
                .dimensions
                .iter()
                .filter(|d| d.items.iter().any(|i| i == id))
                .filter_map(|d| position(&d.id))
                .collect();
            if index_items.contains(&id.as_str()) {
                out.extend(position(&inst.index.id));
            }
            out
        })
        .collect()
}

/// Primary blanks: groups under their threshold, and measures with too few answers in a
/// group that is published otherwise.
pub fn primary(cells: &Cells, values: &AtomValues, policy: &[CellPolicy]) -> Pattern {
    let m = values.measures.len();
    let mut pattern = Pattern::new(cells.len(), m);
    for (c, atoms) in cells.atoms.iter().enumerate() {
        let sum = |v: &[u64]| -> u64 { atoms.iter().map(|&a| v[a as usize]).sum() };
        let p = policy[c];
        if sum(&values.respondents) < p.min_group {
            pattern.blank_unit(c, Blank::Primary);
            continue;
        }
        for (j, measure) in values.measures.iter().enumerate() {
            let n = sum(&measure.n);
            if n > 0 && n < p.min_group {
                pattern.blank_measure(c, j, Blank::Primary, &measure.pooled_by);
            }
        }
        if sum(&values.respondents) < p.min_distribution {
            for (j, measure) in values.measures.iter().enumerate() {
                pattern.blank_distribution(c, j, Blank::Primary, &measure.pooled_by);
            }
        }
    }
    pattern
}

/// Blanks of a flat table, from counts alone, per row (the total first when it is a row,
/// then the groups): `row[r]` for the row as a whole, `variable[v][r]` for one variable.
pub struct CountBlanks {
    pub row: Vec<bool>,
    pub variable: Vec<Vec<bool>>,
}

/// Suppression of a table whose numbers are not the instrument's measures (design-based
/// domain estimates): groups with their respondents and, per variable, their answers,
/// under a published total when `total` is set. The same engine and auditor, on counts.
pub fn protect_counts(
    respondents: &[u64],
    answers: &[Vec<u64>],
    total: bool,
    thresholds: Thresholds,
) -> CountBlanks {
    let groups = respondents.len();
    let mut cells = Cells::default();
    let mut cell_of_row: Vec<usize> = Vec::new();
    if total {
        cell_of_row.push(cells.add((0..groups as u32).collect()));
    }
    cell_of_row.extend((0..groups as u32).map(|g| cells.add(vec![g])));
    let measures = answers
        .iter()
        .map(|n| AtomMeasure {
            n: n.clone(),
            sum: vec![0.0; groups],
            answers: vec![0; groups],
            positive: vec![0; groups],
            neutral: vec![0; groups],
            pooled_by: Vec::new(),
        })
        .collect();
    let values = AtomValues {
        respondents: respondents.to_vec(),
        measures,
        counts_only: true,
    };
    let policy: Vec<CellPolicy> = cells
        .atoms
        .iter()
        .map(|atoms| CellPolicy {
            min_group: thresholds.min_group,
            min_distribution: thresholds.min_group,
            row: atoms.iter().any(|&a| respondents[a as usize] > 0),
        })
        .collect();
    let audit = Audit {
        cells: &cells,
        values: &values,
        policy: &policy,
    };
    let fixed = vec![false; cells.len()];
    let pattern = protect(&audit, primary(&cells, &values, &policy), &fixed).pattern;
    let m = pattern.m;
    CountBlanks {
        row: cell_of_row
            .iter()
            .map(|&c| pattern.unit[c].is_some())
            .collect(),
        variable: (0..m)
            .map(|v| {
                cell_of_row
                    .iter()
                    .map(|&c| pattern.mean[c * m + v].is_some())
                    .collect()
            })
            .collect(),
    }
}

/// Columns of the audit table.
pub const AUDIT_COLUMNS: [&str; 12] = [
    "table",
    "group",
    "layer",
    "measure",
    "blank",
    "quantity",
    "value",
    "low",
    "high",
    "required_width",
    "passed",
    "tables",
];

fn audit_frame(
    checks: &[Check],
    tables: &[TableSpec],
    state: Option<&State>,
    inst: &Instrument,
) -> Result<DataFrame, Error> {
    let measures = inst.measures();
    let mut table = Vec::new();
    let mut group = Vec::new();
    let mut layer_col = Vec::new();
    let mut measure = Vec::new();
    let mut blank = Vec::new();
    let mut quantity = Vec::new();
    let (mut value, mut low, mut high, mut required) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut passed = Vec::new();
    let mut all_tables = Vec::new();
    if let Some(state) = state {
        for check in checks {
            let names = &state.names[check.cell];
            let (t, name) = &names[0];
            let why = state.pattern.blank(check.cell, check.layer);
            for i in &check.intervals {
                table.push(tables[*t].name.clone());
                group.push(name.clone());
                let (l, j) = match check.layer {
                    Layer::Respondents => ("respondents", None),
                    Layer::Mean(j) => ("mean", Some(j)),
                    Layer::Distribution(j) => ("distribution", Some(j)),
                };
                layer_col.push(l);
                measure.push(j.map(|j| measures[j].0.to_string()));
                blank.push(why.map(|b| b.as_str()));
                quantity.push(i.quantity.as_str());
                // Sums are kept on the 0–1 scale inside; shown on the scores' 0–100 scale.
                let scale = if matches!(i.quantity, Quantity::Sum | Quantity::ShortOfMax) {
                    100.0
                } else {
                    1.0
                };
                value.push(i.value * scale);
                low.push(i.low * scale);
                high.push(i.high * scale);
                required.push(i.required);
                passed.push(i.passed);
                all_tables.push(
                    names
                        .iter()
                        .map(|(t, n)| format!("{}: {n}", tables[*t].name))
                        .collect::<Vec<_>>()
                        .join("; "),
                );
            }
        }
    }
    let height = table.len();
    let cols = vec![
        Column::new("table".into(), table),
        Column::new("group".into(), group),
        Column::new("layer".into(), layer_col),
        Column::new("measure".into(), measure),
        Column::new("blank".into(), blank),
        Column::new("quantity".into(), quantity),
        Column::new("value".into(), value),
        Column::new("low".into(), low),
        Column::new("high".into(), high),
        Column::new("required_width".into(), required),
        Column::new("passed".into(), passed),
        Column::new("tables".into(), all_tables),
    ];
    Ok(DataFrame::new(height, cols)?)
}

/// What a table of a publication may show of each of its groups, for the analyses that
/// build their own rows (reliability, item analysis, drivers, priorities).
#[derive(Debug, Clone)]
pub struct Visibility {
    measure_ids: Vec<String>,
    unit: Vec<bool>,
    mean: Vec<bool>,
    dist: Vec<bool>,
}

impl Visibility {
    /// Everything visible (an analysis of the whole data, without groups).
    pub fn everything(groups: usize, inst: &Instrument) -> Self {
        let measure_ids: Vec<String> = inst
            .measures()
            .iter()
            .map(|(id, _)| id.to_string())
            .collect();
        let m = measure_ids.len();
        Visibility {
            measure_ids,
            unit: vec![true; groups],
            mean: vec![true; groups * m],
            dist: vec![true; groups * m],
        }
    }

    /// The groups of table `t` of a publication's state.
    pub fn of_table(state: &State, t: usize, inst: &Instrument) -> Self {
        let cells = &state.tables[t].cell_of_node;
        let p = &state.pattern;
        let m = p.m;
        let mut v = Visibility::everything(cells.len(), inst);
        for (g, &c) in cells.iter().enumerate() {
            v.unit[g] = p.unit[c].is_none();
            for j in 0..m {
                v.mean[g * m + j] = p.mean[c * m + j].is_none();
                v.dist[g * m + j] = p.dist[c * m + j].is_none();
            }
        }
        v
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.measure_ids.iter().position(|m| m == id)
    }

    /// The group's counts and anything about it as a whole may be shown.
    pub fn group(&self, g: usize) -> bool {
        self.unit[g]
    }

    /// The measure's n, mean and anything derived from its values may be shown. A column
    /// that is not a measure of the instrument (an outcome of the user's) follows the group.
    pub fn measure(&self, g: usize, id: &str) -> bool {
        match self.position(id) {
            Some(j) => self.mean[g * self.measure_ids.len() + j],
            None => self.unit[g],
        }
    }

    /// The measure's answer distribution may be shown.
    pub fn distribution(&self, g: usize, id: &str) -> bool {
        match self.position(id) {
            Some(j) => self.dist[g * self.measure_ids.len() + j],
            None => self.unit[g],
        }
    }
}

/// A flat table of the groups of `by` (one row set per group), for an analysis per unit.
pub fn group_table(
    publication: &mut Publication,
    name: &str,
    by: &[String],
    min_group: Option<usize>,
) -> Result<Visibility, Error> {
    if by.is_empty() {
        return Ok(Visibility::everything(1, &publication.inst));
    }
    let thresholds = Thresholds::of(&publication.inst, min_group)?;
    let spec = TableSpec {
        name: name.into(),
        by: by.to_vec(),
        hierarchical: false,
        background_from: None,
        thresholds,
        background: thresholds,
        within: None,
    };
    let inst = publication.inst.clone();
    let (t, state) = publication.add(spec)?;
    Ok(Visibility::of_table(state, t, &inst))
}

/// Visibility of the groups of `by` in a publication of one table on `df`.
pub fn one_table(
    df: &DataFrame,
    inst: &Instrument,
    name: &str,
    by: &[String],
    min_group: Option<usize>,
) -> Result<Visibility, Error> {
    let source = Source::Answers {
        df: df.clone(),
        weights: None,
    };
    group_table(
        &mut Publication::new(inst.clone(), source),
        name,
        by,
        min_group,
    )
}
