//! Writing a REFI-QDA project: the coding frame as codebook, one case and one text source
//! per interview, one selection per segment and coder. lyhord never holds the interview
//! text, so each source is a placeholder line per segment ("Segment 3.") that the
//! selections point into; the codes, coders, variables and ratings are all real.
//!
//! A rated code's ratings become child codes named by the rating ("del_betyg" → "4"),
//! which is how QDA programs without rated codes usually record them; reading maps them
//! back.

use super::{guid, qdpx_error};
use crate::error::InterviewError;
use crate::interviews::{Code, CodingFrame};
use quick_xml::escape::escape;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

pub struct ExportCoding {
    pub segment: u32,
    pub coder: String,
    pub code: String,
    pub rating: Option<f64>,
}

pub struct ExportInterview {
    pub name: String,
    /// Values of the project's variables (unit, role, …) for this interview.
    pub variables: Vec<(String, String)>,
    pub codings: Vec<ExportCoding>,
}

/// How a rating is named as a child code.
pub fn rating_name(rating: f64) -> String {
    if rating.fract() == 0.0 {
        format!("{}", rating as i64)
    } else {
        format!("{rating}")
    }
}

fn code_guid(code: &str) -> String {
    guid(&format!("code:{code}"))
}

fn level_guid(code: &str, level: &str) -> String {
    guid(&format!("code:{code}:{level}"))
}

/// Ratings each rated code gets a child code for: every whole number on its scale and any
/// other value the data use.
fn levels(frame: &CodingFrame, interviews: &[ExportInterview]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    let mut extra: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for code in &frame.codes {
        if let Some(s) = code.scale {
            out.insert(
                code.id.clone(),
                (s.min.ceil() as i64..=s.max.floor() as i64).collect(),
            );
        }
    }
    for c in interviews.iter().flat_map(|i| &i.codings) {
        if let (Some(r), Some(_)) = (c.rating, out.get(&c.code)) {
            if r.fract() != 0.0 {
                extra.entry(c.code.clone()).or_default().push(r);
            }
        }
    }
    out.into_iter()
        .map(|(id, whole)| {
            let mut values: Vec<f64> = whole.into_iter().map(|v| v as f64).collect();
            values.extend(extra.remove(&id).unwrap_or_default());
            values.sort_by(f64::total_cmp);
            values.dedup();
            (id, values.into_iter().map(rating_name).collect())
        })
        .collect()
}

fn code_description(code: &Code) -> String {
    let mut d = code.label.clone();
    let mut facts = Vec::new();
    if let Some(dim) = &code.dimension {
        facts.push(dim.clone());
    }
    if let Some(v) = code.valence {
        facts.push(format!("{v:?}").to_lowercase());
    }
    if let Some(s) = code.scale {
        facts.push(format!("rated {}–{}", s.min, s.max));
    }
    if !facts.is_empty() {
        let _ = write!(d, " ({})", facts.join(", "));
    }
    d
}

fn write_code(
    out: &mut String,
    frame: &CodingFrame,
    code: &Code,
    levels: &BTreeMap<String, Vec<String>>,
    depth: usize,
) {
    let pad = "  ".repeat(depth);
    let _ = writeln!(
        out,
        r#"{pad}<Code guid="{}" name="{}" isCodable="true">"#,
        code_guid(&code.id),
        escape(code.id.as_str())
    );
    let _ = writeln!(
        out,
        "{pad}  <Description>{}</Description>",
        escape(code_description(code))
    );
    for child in frame
        .codes
        .iter()
        .filter(|c| c.parent.as_deref() == Some(&code.id))
    {
        write_code(out, frame, child, levels, depth + 1);
    }
    for level in levels.get(&code.id).into_iter().flatten() {
        let _ = writeln!(
            out,
            r#"{pad}  <Code guid="{}" name="{level}" isCodable="true"/>"#,
            level_guid(&code.id, level)
        );
    }
    let _ = writeln!(out, "{pad}</Code>");
}

fn codes_xml(frame: &CodingFrame, levels: &BTreeMap<String, Vec<String>>, depth: usize) -> String {
    let mut out = String::new();
    for code in frame.codes.iter().filter(|c| c.parent.is_none()) {
        write_code(&mut out, frame, code, levels, depth);
    }
    out
}

/// The coding frame as a REFI-QDA codebook (`.qdc`).
pub fn codebook_xml(frame: &CodingFrame) -> String {
    let levels = levels(frame, &[]);
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <CodeBook xmlns=\"urn:QDA-XML:codebook:1.0\" origin=\"lyhord {}\">\n<Codes>\n{}</Codes>\n</CodeBook>\n",
        env!("CARGO_PKG_VERSION"),
        codes_xml(frame, &levels, 1)
    )
}

fn segment_line(segment: u32) -> String {
    format!("Segment {segment}.")
}

/// Placeholder text of an interview and each segment's (start, end) in characters.
fn placeholder_text(interview: &ExportInterview) -> (String, BTreeMap<u32, (usize, usize)>) {
    let last = interview
        .codings
        .iter()
        .map(|c| c.segment)
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    let mut spans = BTreeMap::new();
    for segment in 1..=last {
        let line = segment_line(segment);
        spans.insert(segment, (text.len(), text.len() + line.len()));
        text.push_str(&line);
        text.push('\n');
    }
    (text, spans)
}

fn source_xml(interview: &ExportInterview, spans: &BTreeMap<u32, (usize, usize)>) -> String {
    let source = guid(&format!("source:{}", interview.name));
    let mut out = format!(
        "    <TextSource guid=\"{source}\" name=\"{}\" plainTextPath=\"internal://{source}.txt\">\n",
        escape(interview.name.as_str())
    );
    let mut by_selection: BTreeMap<(u32, &str), Vec<&ExportCoding>> = BTreeMap::new();
    for c in &interview.codings {
        by_selection
            .entry((c.segment, c.coder.as_str()))
            .or_default()
            .push(c);
    }
    for ((segment, coder), codings) in by_selection {
        let (start, end) = spans[&segment];
        let user = guid(&format!("user:{coder}"));
        let sel = guid(&format!("selection:{}:{segment}:{coder}", interview.name));
        let _ = writeln!(
            out,
            "      <PlainTextSelection guid=\"{sel}\" name=\"{}\" startPosition=\"{start}\" endPosition=\"{end}\" creatingUser=\"{user}\">",
            segment_line(segment)
        );
        for (k, c) in codings.iter().enumerate() {
            let target = match c.rating {
                Some(r) => level_guid(&c.code, &rating_name(r)),
                None => code_guid(&c.code),
            };
            let coding = guid(&format!("coding:{sel}:{k}"));
            let _ = writeln!(
                out,
                "        <Coding guid=\"{coding}\" creatingUser=\"{user}\"><CodeRef targetGUID=\"{target}\"/></Coding>"
            );
        }
        out.push_str("      </PlainTextSelection>\n");
    }
    out.push_str("    </TextSource>\n");
    out
}

fn case_xml(interview: &ExportInterview) -> String {
    let mut out = format!(
        "    <Case guid=\"{}\" name=\"{}\">\n",
        guid(&format!("case:{}", interview.name)),
        escape(interview.name.as_str())
    );
    for (name, value) in &interview.variables {
        let _ = writeln!(
            out,
            "      <VariableValue><VariableRef targetGUID=\"{}\"/><TextValue>{}</TextValue></VariableValue>",
            guid(&format!("variable:{name}")),
            escape(value.as_str())
        );
    }
    let _ = writeln!(
        out,
        "      <SourceRef targetGUID=\"{}\"/>\n    </Case>",
        guid(&format!("source:{}", interview.name))
    );
    out
}

/// The project XML and the placeholder source files `(path in the zip, text)`.
pub fn project_xml(
    name: &str,
    frame: &CodingFrame,
    variable_names: &[String],
    interviews: &[ExportInterview],
) -> (String, Vec<(String, String)>) {
    let coders: BTreeSet<&str> = interviews
        .iter()
        .flat_map(|i| i.codings.iter().map(|c| c.coder.as_str()))
        .collect();
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <Project xmlns=\"urn:QDA-XML:project:1.0\" name=\"{}\" origin=\"lyhord {}\">\n  <Users>\n",
        escape(name),
        env!("CARGO_PKG_VERSION")
    );
    for coder in &coders {
        let _ = writeln!(
            xml,
            "    <User guid=\"{}\" name=\"{}\"/>",
            guid(&format!("user:{coder}")),
            escape(*coder)
        );
    }
    let _ = write!(
        xml,
        "  </Users>\n  <CodeBook>\n    <Codes>\n{}    </Codes>\n  </CodeBook>\n  <Variables>\n",
        codes_xml(frame, &levels(frame, interviews), 3)
    );
    for v in variable_names {
        let _ = writeln!(
            xml,
            "    <Variable guid=\"{}\" name=\"{}\" typeOfVariable=\"Text\"/>",
            guid(&format!("variable:{v}")),
            escape(v.as_str())
        );
    }
    xml.push_str("  </Variables>\n  <Cases>\n");
    for i in interviews {
        xml.push_str(&case_xml(i));
    }
    xml.push_str("  </Cases>\n  <Sources>\n");
    let mut files = Vec::new();
    for i in interviews {
        let (text, spans) = placeholder_text(i);
        xml.push_str(&source_xml(i, &spans));
        files.push((
            format!("sources/{}.txt", guid(&format!("source:{}", i.name))),
            text,
        ));
    }
    xml.push_str("  </Sources>\n</Project>\n");
    (xml, files)
}

/// Writes a `.qdpx` zip: `project.qde` and the placeholder sources.
pub fn write_qdpx(
    path: &Path,
    name: &str,
    frame: &CodingFrame,
    variable_names: &[String],
    interviews: &[ExportInterview],
) -> Result<(), InterviewError> {
    let fail = |e: &dyn std::fmt::Display| qdpx_error(path, format!("cannot write: {e}"));
    let (xml, sources) = project_xml(name, frame, variable_names, interviews);
    let file = std::fs::File::create(path).map_err(|e| fail(&e))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (entry, text) in std::iter::once(("project.qde".to_string(), xml)).chain(sources) {
        zip.start_file(entry, options).map_err(|e| fail(&e))?;
        zip.write_all(text.as_bytes()).map_err(|e| fail(&e))?;
    }
    zip.finish().map_err(|e| fail(&e))?;
    Ok(())
}
