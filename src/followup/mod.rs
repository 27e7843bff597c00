//! Yearly follow-up: change between waves per unit with tests, intervals and adjustment for
//! the many units compared; reorganisations followed through a unit map; the effect of
//! registered actions and the change a unit could detect.

pub mod actions;
pub mod compare;
pub mod frame;
pub mod restate;
pub mod targets;
