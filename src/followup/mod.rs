//! Yearly follow-up: change between waves per unit with tests, intervals and adjustment for
//! the many units compared; reorganisations followed through a unit map.

pub mod compare;
pub mod frame;
pub mod restate;
pub mod targets;
