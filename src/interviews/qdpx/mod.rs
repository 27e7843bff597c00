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
    /// The parent code's guid as written (codes nest: `<Code>` inside `<Code>`).
    pub parent: Option<String>,
}

/// One code applied by one coder to one selection of a source.
#[derive(Debug, Clone, PartialEq)]
pub struct QdaCoding {
    /// The interview: one text source is one interview, named by its source's name, or
    /// "name [guid]" when several sources share the name.
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

/// Something in the project that lyhord does not import, named so the import report can
/// say so: a set, a source of another kind, notes, codings of a whole source, case
/// selections.
#[derive(Debug, Clone, PartialEq)]
pub struct QdaIgnored {
    /// The set's, source's or case's name.
    pub name: String,
    /// What it is and why it is not imported.
    pub reason: String,
    /// Codings that are not imported with it.
    pub codings: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QdaProject {
    /// Variable names in the order the project defines them.
    pub variable_names: Vec<String>,
    /// Per interview: variable values, from its cases and from the source itself.
    pub variables: BTreeMap<String, BTreeMap<String, String>>,
    pub codes: Vec<QdaCode>,
    pub codings: Vec<QdaCoding>,
    pub ignored: Vec<QdaIgnored>,
}

/// The largest `project.qde` read (uncompressed). Projects hold no source text, so even
/// large ones stay far below; the bound stops a zip bomb from filling the memory.
pub const MAX_PROJECT_BYTES: u64 = 256 << 20;

fn qdpx_error(file: &Path, message: impl Into<String>) -> InterviewError {
    InterviewError::Qdpx {
        file: file.display().to_string(),
        message: message.into(),
    }
}

const NOT_A_PROJECT: &str =
    "export the project again as REFI-QDA (.qdpx) from NVivo, MAXQDA, ATLAS.ti or QualCoder";

/// Reads a `.qdpx` project (or a bare `project.qde` XML file).
pub fn read_qdpx(path: &Path) -> Result<QdaProject, InterviewError> {
    let size = std::fs::metadata(path)
        .map_err(|e| qdpx_error(path, e.to_string()))?
        .len();
    if size == 0 {
        return Err(qdpx_error(
            path,
            format!("is empty (0 bytes), not a REFI-QDA project; {NOT_A_PROJECT}"),
        ));
    }
    let bytes = read_bounded(path, std::fs::File::open(path), "")?;
    if bytes.starts_with(b"PK") {
        let xml = project_entry(path, &bytes)?;
        return parse(path, &xml, "project.qde ");
    }
    let xml = String::from_utf8(bytes).map_err(|_| {
        qdpx_error(
            path,
            format!(
                "is not a zip archive (.qdpx) nor REFI-QDA project XML (.qde); {NOT_A_PROJECT}"
            ),
        )
    })?;
    parse(path, &xml, "")
}

fn parse(path: &Path, xml: &str, entry: &str) -> Result<QdaProject, InterviewError> {
    parse::parse_project(xml).map_err(|e| match e {
        parse::ParseError::NotProject(m) if entry.is_empty() => qdpx_error(
            path,
            format!("is not a zip archive (.qdpx) nor REFI-QDA project XML (.qde): it {m}"),
        ),
        parse::ParseError::NotProject(m) => {
            qdpx_error(path, format!("is not a REFI-QDA project: its {entry}{m}"))
        }
        parse::ParseError::Malformed(m) => qdpx_error(path, format!("{entry}{m}")),
    })
}

/// Reads at most [`MAX_PROJECT_BYTES`], so neither a huge file nor a zip bomb is read whole.
fn read_bounded(
    path: &Path,
    reader: std::io::Result<impl Read>,
    what: &str,
) -> Result<Vec<u8>, InterviewError> {
    read_at_most(path, reader, what, MAX_PROJECT_BYTES)
}

fn read_at_most(
    path: &Path,
    reader: std::io::Result<impl Read>,
    what: &str,
    limit: u64,
) -> Result<Vec<u8>, InterviewError> {
    let mut bytes = Vec::new();
    reader
        .and_then(|r| r.take(limit + 1).read_to_end(&mut bytes))
        .map_err(|e| qdpx_error(path, format!("{what}cannot be read: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(qdpx_error(
            path,
            format!(
                "{what}is larger than {limit} bytes uncompressed; a REFI-QDA project.qde (without its sources) is far smaller"
            ),
        ));
    }
    Ok(bytes)
}

fn project_entry(path: &Path, bytes: &[u8]) -> Result<String, InterviewError> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| {
        qdpx_error(
            path,
            format!("is not a readable zip archive (.qdpx): {e}; {NOT_A_PROJECT}"),
        )
    })?;
    // The standard names it project.qde at the top; some tools put it in a folder.
    let names: Vec<String> = zip
        .file_names()
        .filter_map(Result::ok)
        .map(|n| n.into_owned())
        .collect();
    let name = names
        .iter()
        .find(|n| n.eq_ignore_ascii_case("project.qde"))
        .or_else(|| names.iter().find(|n| n.to_ascii_lowercase().ends_with(".qde")))
        .ok_or_else(|| {
            qdpx_error(
                path,
                format!(
                    "is a zip archive without project.qde, so not a REFI-QDA project (.qdpx); {NOT_A_PROJECT}"
                ),
            )
        })?
        .clone();
    let what = format!("{name} ");
    let bytes = read_bounded(
        path,
        zip.by_name(&name).map_err(std::io::Error::other),
        &what,
    )?;
    String::from_utf8(bytes).map_err(|e| qdpx_error(path, format!("{name} is not UTF-8 text: {e}")))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zip_bomb_is_cut_at_the_bound() {
        // 1 MiB of spaces deflates to about a kilobyte; read with a 64 KiB bound.
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("project.qde", options).unwrap();
        std::io::Write::write_all(&mut zip, &vec![b' '; 1 << 20]).unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        assert!(bytes.len() < 8 << 10);
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let entry = archive
            .by_name("project.qde")
            .map_err(std::io::Error::other);
        let path = Path::new("bomb.qdpx");
        let message = read_at_most(path, entry, "project.qde ", 64 << 10)
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "bomb.qdpx project.qde is larger than 65536 bytes uncompressed; a REFI-QDA project.qde (without its sources) is far smaller"
        );
    }
}
