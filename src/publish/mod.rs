//! THE way out: every number lyhord publishes about groups passes through here.
//!
//! - `groups`: the one way rows are grouped (keys in their dtype, nulls kept, one order) and
//!   the hierarchy view of `by`;
//! - `cells`: the tables of a publication as cells over atoms, which carries their linear
//!   relations (hierarchies, crossed margins, several groupings, pooled years);
//! - `engine`: primary and secondary suppression over all of them at once;
//! - `audit`: the attacker's linear and integer programmes that the engine must satisfy,
//!   also shown to the statistician as the audit table;
//! - `publication`: the polars edge — tables registered on the same answers, each new one
//!   suppressed jointly with what was returned before;
//! - `table`: the one builder of output tables (columns declared once, one vocabulary).

pub mod audit;
pub mod cells;
pub mod engine;
pub mod groups;
pub mod publication;
pub mod table;
