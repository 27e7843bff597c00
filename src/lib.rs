//! lyhord: survey and interview analysis for an engagement / participation / learning index.
//!
//! Pure Rust kernels, one module per capability; `python` (feature `python`) is the only
//! place that knows about Python.

// No panics on user input: crate code returns errors. An `expect` that guards an invariant
// (never input) carries an `#[allow]` and says which invariant. Tests may unwrap.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod agreement;
pub mod choice;
pub mod combine;
pub mod datasets;
pub mod design;
pub mod error;
pub mod estimate;
pub mod example;
pub mod followup;
pub mod import;
pub mod instrument;
pub mod interviews;
pub mod parallel;
pub mod publish;
pub mod reliability;
pub mod score;

#[cfg(feature = "python")]
mod python;

// The unit tests' binary links libpython (written by build.rs; see there).
#[cfg(all(test, feature = "python"))]
include!(concat!(env!("OUT_DIR"), "/python_link.rs"));

pub use error::{Error, Result};
pub use instrument::Instrument;
