//! lyhord: survey and interview analysis for an engagement / participation / learning index.
//!
//! Pure Rust kernels, one module per capability; `python` (feature `python`) is the only
//! place that knows about Python.

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

pub use error::{Error, Result};
pub use instrument::Instrument;
