//! The one place where Rust errors become Python exceptions.
//!
//! Hierarchy: `LyhordError(ValueError)` with one subclass per kind; every capability error
//! maps to exactly one of them. A bad argument is an `ArgumentError` (a bad value) or an
//! `ArgumentTypeError` (a value of the wrong type, also a `TypeError`), whether Rust or the
//! Python wrappers find it, so `except ly.LyhordError` catches every error lyhord raises.

use crate::error::Error;
use pyo3::create_exception;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

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

create_exception!(
    lyhord,
    ArgumentError,
    LyhordError,
    "An argument with a value the function cannot use (the message names the keyword and\nwhat would fix it)."
);

/// `ArgumentTypeError(ArgumentError, TypeError)`: `create_exception!` takes one base, so the
/// class is made once by calling `type` with both.
static ARGUMENT_TYPE_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn argument_type_error(py: Python<'_>) -> PyResult<&Py<PyType>> {
    ARGUMENT_TYPE_ERROR.get_or_try_init(py, || {
        let bases = PyTuple::new(
            py,
            [py.get_type::<ArgumentError>(), py.get_type::<PyTypeError>()],
        )?;
        let namespace = PyDict::new(py);
        namespace.set_item("__module__", "lyhord")?;
        namespace.set_item(
            "__doc__",
            "An argument of a type the function does not take (also a TypeError).",
        )?;
        let class = py
            .get_type::<PyType>()
            .call1(("ArgumentTypeError", bases, namespace))?;
        Ok(class.cast_into::<PyType>()?.unbind())
    })
}

/// The `**options` of a binding read into its options struct (`#[pyo3(from_item_all)]`).
/// The Python wrappers pass the user's keywords through, so a value of the wrong type is
/// the user's: it becomes an `ArgumentTypeError` naming the keyword (pyo3 reports a field
/// as "failed to extract field Struct.keyword", with the reason as the cause).
pub fn options<'py, T: FromPyObjectOwned<'py>>(
    py: Python<'py>,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<T> {
    let dict = options.cloned().unwrap_or_else(|| PyDict::new(py));
    dict.as_any()
        .extract::<T>()
        .map_err(|e| option_type_error(py, e.into()))
}

fn option_type_error(py: Python<'_>, err: PyErr) -> PyErr {
    let what = err.value(py).to_string();
    let keyword = what.rsplit('.').next().unwrap_or(&what).to_string();
    let reason = err
        .cause(py)
        .map_or_else(|| what.clone(), |c| c.value(py).to_string());
    let message = format!("parameter `{keyword}`: {reason}");
    match argument_type_error(py) {
        Ok(class) => PyErr::from_type(class.bind(py).clone(), message),
        Err(e) => e,
    }
}

pub fn to_pyerr(err: Error) -> PyErr {
    let message = err.to_string();
    match err {
        Error::Choice(_) => ArgumentError::new_err(message),
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
    m.add("ArgumentError", py.get_type::<ArgumentError>())?;
    m.add("ArgumentTypeError", argument_type_error(py)?.bind(py))?;
    Ok(())
}
