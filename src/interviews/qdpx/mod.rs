//! The REFI-QDA exchange format (<https://www.qdasoftware.org>): a `.qdpx` project is a zip
//! holding `project.qde` (XML: users, codebook, cases with variables, sources with coded
//! selections) and the source documents under `sources/`; a `.qdc` is a codebook alone.

mod parse;
mod write;

use crate::error::InterviewError;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

pub use write::{codebook_xml, project_xml, write_qdpx, ExportCoding, ExportInterview};

/// A code of the project's codebook.
#[derive(Debug, Clone, PartialEq)]
pub struct QdaCode {
    pub guid: String,
    pub name: String,
    /// The parent code's guid (codes nest).
    pub parent: Option<String>,
}

/// One code applied by one coder to one selection of a source.
#[derive(Debug, Clone, PartialEq)]
pub struct QdaCoding {
    /// The source's name: one source is one interview.
    pub interview: String,
    /// Rank of the selection's span within its source (from 1).
    pub segment: u32,
    pub start: Option<i64>,
    pub end: Option<i64>,
    /// The coding's user name (else the selection's; "" if neither is recorded).
    pub coder: String,
    pub code: String,
    /// Name of the code's parent, if it has one.
    pub parent: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QdaProject {
    /// Variable names in the order the project defines them.
    pub variable_names: Vec<String>,
    /// Per source (interview): variable values, from its cases and from the source itself.
    pub variables: BTreeMap<String, BTreeMap<String, String>>,
    pub codes: Vec<QdaCode>,
    pub codings: Vec<QdaCoding>,
}

fn qdpx_error(file: &Path, message: impl Into<String>) -> InterviewError {
    InterviewError::Qdpx {
        file: file.display().to_string(),
        message: message.into(),
    }
}

/// Reads a `.qdpx` project (or a bare `project.qde` XML file).
pub fn read_qdpx(path: &Path) -> Result<QdaProject, InterviewError> {
    let bytes = std::fs::read(path).map_err(|e| qdpx_error(path, e.to_string()))?;
    let xml = if bytes.starts_with(b"PK") {
        project_entry(path, &bytes)?
    } else {
        String::from_utf8(bytes).map_err(|_| {
            qdpx_error(
                path,
                "is neither a zip (.qdpx) nor UTF-8 XML (.qde); export the project again as REFI-QDA",
            )
        })?
    };
    if xml.contains("urn:QDA-XML:codebook") && !xml.contains("urn:QDA-XML:project") {
        return Err(qdpx_error(
            path,
            "is a REFI-QDA codebook (.qdc) without coded segments; export the whole project (.qdpx)",
        ));
    }
    parse::parse_project(&xml).map_err(|m| qdpx_error(path, format!("project.qde {m}")))
}

fn project_entry(path: &Path, bytes: &[u8]) -> Result<String, InterviewError> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| qdpx_error(path, format!("is not a readable zip archive: {e}")))?;
    let name = zip
        .file_names()
        .filter_map(Result::ok)
        .find(|n| n.to_ascii_lowercase().ends_with(".qde"))
        .map(|n| n.to_string())
        .ok_or_else(|| {
            qdpx_error(
                path,
                "holds no project.qde; a REFI-QDA project export (.qdpx) always has one",
            )
        })?;
    let mut xml = String::new();
    zip.by_name(&name)
        .map_err(|e| qdpx_error(path, format!("{name}: {e}")))?
        .read_to_string(&mut xml)
        .map_err(|e| qdpx_error(path, format!("{name} is not readable UTF-8 text: {e}")))?;
    Ok(xml)
}

/// A stable GUID from a text, so an export of the same data is byte-identical.
pub fn guid(seed: &str) -> String {
    let fnv = |offset: u64| {
        seed.bytes().fold(offset, |h, b| {
            (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let (a, b) = (fnv(0xcbf2_9ce4_8422_2325), fnv(0x6c62_272e_07bb_0142));
    format!(
        "{:08X}-{:04X}-4{:03X}-{:04X}-{:012X}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFF,
        0x8000 | (b >> 48) & 0x3FFF,
        b & 0xFFFF_FFFF_FFFF
    )
}
