//! The one place where Rust errors become Python exceptions.
//!
//! Hierarchy: `LyhordError(ValueError)` with one subclass per kind; every capability error
//! maps to exactly one of them.

use crate::error::Error;
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

create_exception!(
    lyhord,
    LyhordError,
    PyValueError,
    "Base class of every lyhord error."
);
create_exception!(
    lyhord,
    InstrumentError,
    LyhordError,
    "An instrument (codebook) that cannot be used as written."
);
create_exception!(
    lyhord,
    DataError,
    LyhordError,
    "Answers or tables that do not fit the instrument or call."
);
create_exception!(
    lyhord,
    EstimationError,
    LyhordError,
    "An estimate that cannot be computed as asked."
);

pub fn to_pyerr(err: Error) -> PyErr {
    let message = err.to_string();
    match err {
        Error::Instrument(_) => InstrumentError::new_err(message),
        Error::Data(_) => DataError::new_err(message),
        Error::Estimate(crate::error::EstimateError::Sums { .. }) => DataError::new_err(message),
        Error::Estimate(_) => EstimationError::new_err(message),
        Error::Reliability(_) => EstimationError::new_err(message),
        Error::Example(_) => LyhordError::new_err(message),
        Error::Followup(_) => EstimationError::new_err(message),
        Error::Agreement(crate::error::AgreementError::Parameter { .. }) => {
            EstimationError::new_err(message)
        }
        Error::Agreement(_) => DataError::new_err(message),
        Error::Interview(e) => match e {
            crate::error::InterviewError::Parse { .. }
            | crate::error::InterviewError::Invalid { .. }
            | crate::error::InterviewError::UnknownBuiltin { .. }
            | crate::error::InterviewError::Io { .. } => InstrumentError::new_err(message),
            crate::error::InterviewError::Parameter { .. } => EstimationError::new_err(message),
            _ => DataError::new_err(message),
        },
        Error::Design(e) => match e {
            crate::error::DesignError::Parameter { .. }
            | crate::error::DesignError::LonelyPsu { .. }
            | crate::error::DesignError::NotConverged { .. } => EstimationError::new_err(message),
            _ => DataError::new_err(message),
        },
        Error::Import(_) => DataError::new_err(message),
    }
}

/// Lets `?` convert any lyhord error inside the bindings.
pub trait IntoPyResult<T> {
    fn py_err(self) -> PyResult<T>;
}

impl<T, E: Into<Error>> IntoPyResult<T> for Result<T, E> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(|e| to_pyerr(e.into()))
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("LyhordError", py.get_type::<LyhordError>())?;
    m.add("InstrumentError", py.get_type::<InstrumentError>())?;
    m.add("DataError", py.get_type::<DataError>())?;
    m.add("EstimationError", py.get_type::<EstimationError>())?;
    Ok(())
}
