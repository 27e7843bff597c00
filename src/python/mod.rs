//! Thin pyo3 layer: converts frames, releases the GIL around the kernels and maps errors.
//! No statistics live here.

mod agreement;
#[cfg(not(test))]
mod alloc;
mod design;
mod errors;
mod followup;
mod import;
mod interviews;
mod plugin;
mod publish;
mod reliability;
mod results;

use crate::datasets;
use crate::estimate::sums::{merge_sums, sums_frame, SumsAccumulator};
use crate::example;
use crate::instrument::{Instrument, Lang, MeasureLabel};
use crate::score::frame::score_frame;
use errors::IntoPyResult;
use polars::prelude::{Column, DataFrame};
use pyo3::prelude::*;
use pyo3_polars::PyDataFrame;

/// Every allocation of the extension goes to the allocator of the polars package beside it
/// (jemalloc on Linux), as polars' plugins do. With the system allocator, glibc raises its
/// mmap threshold after the first large free, keeps the freed buffers of an import or an
/// estimate (the file's bytes, code buffers) in its heap, and a second call in the same
/// process peaked 15 % above polars' own reader; jemalloc gives them back. Columns handed to
/// polars are then also freed by the allocator that made them. See [`alloc`].
#[cfg(not(test))]
#[global_allocator]
static ALLOCATOR: alloc::ExtensionAllocator = alloc::ExtensionAllocator::new();

/// A survey instrument (codebook) and its scoring rules.
///
/// Items with their scale, reverse keys and "don't know" codes, the dimensions and the index
/// they make up, value labels, and the privacy policy (the minimum group size). A scoring
/// rule is data: load a built-in (``Instrument.builtin("hme")``) or your own TOML codebook
/// (``Instrument.from_toml``).
///
/// Examples
/// --------
/// >>> import lyhord as ly
/// >>> inst = ly.Instrument.builtin("hme")
/// >>> inst.dimensions
/// ['motivation', 'ledarskap', 'styrning']
#[pyclass(name = "Instrument", module = "lyhord", frozen, from_py_object)]
#[derive(Clone)]
pub struct PyInstrument {
    pub inner: Instrument,
}

#[pymethods]
impl PyInstrument {
    /// A built-in instrument by name (any case).
    ///
    /// Parameters
    /// ----------
    /// name : str
    ///     One of :meth:`builtins`: ``"hme"`` (SKR's Hållbart medarbetarengagemang),
    ///     ``"epl-staff"``, ``"epl-citizen"``, ``"uk-engagement"``, ``"enps"``.
    ///
    /// Raises
    /// ------
    /// lyhord.InstrumentError
    ///     An unknown name (the message lists the built-ins).
    ///
    /// Examples
    /// --------
    /// >>> import lyhord as ly
    /// >>> ly.Instrument.builtin("HME").id
    /// 'hme'
    #[staticmethod]
    fn builtin(name: &str) -> PyResult<Self> {
        Ok(PyInstrument {
            inner: Instrument::builtin(name).py_err()?,
        })
    }

    /// The names of the built-in instruments.
    ///
    /// Examples
    /// --------
    /// >>> import lyhord as ly
    /// >>> "hme" in ly.Instrument.builtins()
    /// True
    #[staticmethod]
    fn builtins() -> Vec<&'static str> {
        Instrument::builtin_names()
    }

    /// An instrument from a TOML codebook file.
    ///
    /// Parameters
    /// ----------
    /// path : str or os.PathLike
    ///
    /// Raises
    /// ------
    /// lyhord.InstrumentError
    ///     A file that cannot be read or parsed, or a codebook that cannot be used as
    ///     written (naming the key).
    #[staticmethod]
    fn from_toml(path: std::path::PathBuf) -> PyResult<Self> {
        let path = path.to_string_lossy().to_string();
        Ok(PyInstrument {
            inner: Instrument::from_toml_file(&path).py_err()?,
        })
    }

    /// An instrument from TOML text.
    ///
    /// Parameters
    /// ----------
    /// text : str
    ///     The codebook, as in a TOML file.
    /// source : str
    ///     What to call the text in error messages.
    ///
    /// Examples
    /// --------
    /// >>> import lyhord as ly
    /// >>> ly.Instrument.from_toml_str(ly.Instrument.builtin("hme").to_toml()).id
    /// 'hme'
    #[staticmethod]
    #[pyo3(signature = (text, *, source="TOML text"))]
    fn from_toml_str(text: &str, source: &str) -> PyResult<Self> {
        Ok(PyInstrument {
            inner: Instrument::from_toml_str(text, source).py_err()?,
        })
    }

    /// An instrument from its JSON form (:meth:`to_json`).
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        Ok(PyInstrument {
            inner: Instrument::from_json(text).py_err()?,
        })
    }

    /// The instrument as a TOML codebook (what :meth:`from_toml_str` reads).
    fn to_toml(&self) -> String {
        self.inner.to_toml()
    }

    /// The instrument as JSON (what :meth:`from_json` reads).
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The same instrument with another default minimum group size.
    ///
    /// Parameters
    /// ----------
    /// min_group : int
    ///     Groups with fewer respondents are not published (at least 1).
    ///
    /// Examples
    /// --------
    /// >>> import lyhord as ly
    /// >>> ly.Instrument.builtin("hme").with_min_group(10).min_group
    /// 10
    fn with_min_group(&self, min_group: usize) -> PyResult<Self> {
        Ok(PyInstrument {
            inner: self.inner.clone().with_min_group(min_group).py_err()?,
        })
    }

    /// The instrument's id (``"hme"``).
    #[getter]
    fn id(&self) -> String {
        self.inner.id.clone()
    }

    /// The instrument's name for people (in Swedish).
    #[getter]
    fn name(&self) -> String {
        self.inner.name.sv.clone()
    }

    /// The default minimum group size: smaller groups are not published.
    #[getter]
    fn min_group(&self) -> usize {
        self.inner.min_group
    }

    /// The item ids, in codebook order (the answer columns :func:`lyhord.score` reads).
    #[getter]
    fn items(&self) -> Vec<String> {
        self.inner.items.iter().map(|i| i.id.clone()).collect()
    }

    /// The dimension (sub-index) ids.
    #[getter]
    fn dimensions(&self) -> Vec<String> {
        self.inner.dimensions.iter().map(|d| d.id.clone()).collect()
    }

    /// The language of the instrument's outputs for people: ``"sv"`` or ``"en"``.
    #[getter]
    fn language(&self) -> &'static str {
        crate::choice::Choice::as_str(self.inner.language)
    }

    /// Every measure's name for people, in the order of an estimate table.
    ///
    /// Parameters
    /// ----------
    /// lang : {"sv", "en"}, optional
    ///     Default: the instrument's :attr:`language` (Swedish for the Swedish built-ins).
    ///     Without an English text the Swedish one is used.
    ///
    /// Returns
    /// -------
    /// polars.DataFrame
    ///     ``measure``, ``kind`` (index / dimension / item), ``parent`` (an item's
    ///     dimension, a dimension's index) and ``label`` (the index and dimension names,
    ///     the item statements).
    ///
    /// Raises
    /// ------
    /// lyhord.ArgumentError
    ///     A ``lang`` other than ``"sv"`` or ``"en"``.
    ///
    /// Examples
    /// --------
    /// >>> import lyhord as ly
    /// >>> hme = ly.Instrument.builtin("hme")
    /// >>> hme.labels().filter(measure="hme1")["label"].item()
    /// 'Mitt arbete känns meningsfullt'
    /// >>> hme.labels(lang="en").filter(measure="ledarskap")["label"].item()
    /// 'Leadership'
    #[pyo3(signature = (lang=None))]
    fn labels(&self, lang: Option<&str>) -> PyResult<PyDataFrame> {
        let lang = match lang {
            Some(text) => text.parse::<Lang>().py_err()?,
            None => self.inner.language,
        };
        let rows = self.inner.labels(lang);
        let text = |f: &dyn Fn(&MeasureLabel) -> Option<String>| -> Vec<Option<String>> {
            rows.iter().map(f).collect()
        };
        let df = DataFrame::new(
            rows.len(),
            vec![
                Column::new("measure".into(), text(&|r| Some(r.measure.clone()))),
                Column::new("kind".into(), text(&|r| Some(r.kind.as_str().to_string()))),
                Column::new("parent".into(), text(&|r| r.parent.clone())),
                Column::new("label".into(), text(&|r| Some(r.label.clone()))),
            ],
        )
        .map_err(crate::error::Error::from)
        .py_err()?;
        Ok(PyDataFrame(df))
    }

    /// The id of the index the dimensions make up (``"hme"``).
    #[getter]
    fn index_id(&self) -> String {
        self.inner.index.id.clone()
    }

    /// ``(measure id, kind)`` for every measure of an estimate table, in output order:
    /// the index, the dimensions, the items.
    ///
    /// Examples
    /// --------
    /// >>> import lyhord as ly
    /// >>> ly.Instrument.builtin("hme").measures[:2]
    /// [('hme', 'index'), ('motivation', 'dimension')]
    #[getter]
    fn measures(&self) -> Vec<(String, &'static str)> {
        self.inner
            .measures()
            .into_iter()
            .map(|(id, k)| (id.to_string(), k.as_str()))
            .collect()
    }

    fn __repr__(&self) -> String {
        format!(
            "Instrument(id={:?}, items={}, dimensions={:?}, index={:?}, scoring={:?}, min_group={})",
            self.inner.id,
            self.inner.items.len(),
            self.inner.dimensions.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
            self.inner.index.id,
            self.inner.scoring,
            self.inner.min_group
        )
    }

    fn __eq__(&self, other: &Self) -> bool {
        self.inner == other.inner
    }
}

#[pyfunction]
fn _score(py: Python<'_>, answers: PyDataFrame, instrument: PyInstrument) -> PyResult<PyDataFrame> {
    let out = py
        .detach(|| score_frame(&answers.0, &instrument.inner))
        .py_err()?;
    Ok(PyDataFrame(out))
}

#[pyfunction]
fn _summarise(
    py: Python<'_>,
    data: PyDataFrame,
    instrument: PyInstrument,
    by: Vec<String>,
    weights: Option<String>,
) -> PyResult<PyDataFrame> {
    let out = py
        .detach(|| sums_frame(&data.0, &instrument.inner, &by, weights.as_deref()))
        .py_err()?;
    Ok(PyDataFrame(out))
}

/// Running sums of answers streamed in batches (`ly.summarise` on a LazyFrame).
#[pyclass(name = "_SumsAccumulator", module = "lyhord._lyhord")]
struct PySumsAccumulator {
    inner: SumsAccumulator,
}

#[pymethods]
impl PySumsAccumulator {
    #[new]
    fn new(instrument: PyInstrument, by: Vec<String>, weights: Option<String>) -> Self {
        PySumsAccumulator {
            inner: SumsAccumulator::new(instrument.inner, by, weights),
        }
    }

    fn add(&mut self, py: Python<'_>, batch: PyDataFrame) -> PyResult<()> {
        py.detach(|| self.inner.add(&batch.0)).py_err()
    }

    fn finish(&self, py: Python<'_>, empty_input: PyDataFrame) -> PyResult<PyDataFrame> {
        let out = py.detach(|| self.inner.finish(&empty_input.0)).py_err()?;
        Ok(PyDataFrame(out))
    }
}

#[pyfunction]
fn _merge_sums(py: Python<'_>, sums: PyDataFrame) -> PyResult<PyDataFrame> {
    Ok(PyDataFrame(py.detach(|| merge_sums(&sums.0)).py_err()?))
}

#[pyfunction]
#[pyo3(signature = (year, seed, n=None))]
fn _staff_data(py: Python<'_>, year: i32, seed: u64, n: Option<usize>) -> PyResult<PyDataFrame> {
    let out = py
        .detach(|| match n {
            Some(n) => datasets::staff_frame_scaled(year, seed, n),
            None => datasets::staff_frame(year, seed),
        })
        .py_err()?;
    Ok(PyDataFrame(out))
}

#[pyfunction]
fn _headcounts(year: i32, seed: u64) -> PyResult<PyDataFrame> {
    Ok(PyDataFrame(datasets::headcount_frame(year, seed).py_err()?))
}

/// Exempelkommun's action register: (förvaltning, enhet, action, start, measure, cost,
/// true effect).
#[pyfunction]
#[allow(clippy::type_complexity)]
fn _example_actions() -> Vec<(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
)> {
    example::actions()
        .into_iter()
        .map(|a| {
            (
                a.forvaltning,
                a.enhet,
                a.action,
                a.start,
                a.measure,
                a.cost,
                a.true_effect,
            )
        })
        .collect()
}

#[pyfunction]
fn _changed_units() -> Vec<(String, &'static str, f64)> {
    example::changed_units()
}

/// Every keyword option with a fixed set of values: the name of its `Literal` type in
/// `lyhord._types`, its keyword and its values (the `Literal` types are checked against it).
#[pyfunction]
fn _choices() -> Vec<(&'static str, &'static str, Vec<&'static str>)> {
    crate::choice::all_choices()
        .into_iter()
        .map(|c| (c.name, c.keyword, c.values))
        .collect()
}

/// The canonical value of option `name` (a `Literal` name of `lyhord._types`) written as
/// `text`, for options Python code checks before calling the core: the one parser, so a bad
/// value says the same everywhere.
#[pyfunction]
fn _choice(name: &str, text: &str) -> PyResult<&'static str> {
    let Some(c) = crate::choice::all_choices()
        .into_iter()
        .find(|c| c.name == name)
    else {
        return Err(pyo3::exceptions::PyKeyError::new_err(name.to_string()));
    };
    (c.canonical)(text).py_err()
}

#[pymodule]
fn _lyhord(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DEFAULT_SEED", example::DEFAULT_SEED)?;
    m.add_class::<PyInstrument>()?;
    m.add_function(wrap_pyfunction!(_score, m)?)?;
    m.add_function(wrap_pyfunction!(_summarise, m)?)?;
    m.add_function(wrap_pyfunction!(_merge_sums, m)?)?;
    m.add_class::<PySumsAccumulator>()?;
    m.add("SUM_COLUMNS", crate::estimate::sums::SUM_COLUMNS.to_vec())?;
    m.add_function(wrap_pyfunction!(_staff_data, m)?)?;
    m.add_function(wrap_pyfunction!(_headcounts, m)?)?;
    m.add_function(wrap_pyfunction!(_changed_units, m)?)?;
    m.add_function(wrap_pyfunction!(_example_actions, m)?)?;
    reliability::register(m)?;
    publish::register(m)?;
    followup::register(m)?;
    agreement::register(m)?;
    interviews::register(m)?;
    design::register(m)?;
    import::register(m)?;
    results::register(m)?;
    m.add_function(wrap_pyfunction!(_choices, m)?)?;
    m.add_function(wrap_pyfunction!(_choice, m)?)?;
    errors::register(m)
}
