//! Reading `project.qde`: the REFI-QDA project XML (urn:QDA-XML:project:1.0) that NVivo,
//! MAXQDA, ATLAS.ti and QualCoder export. Only what scoring and agreement need is kept:
//! users, the codebook tree, variables of cases and sources, and coded selections. The
//! text of the sources (the quotes) is never read.

use super::{QdaCode, QdaCoding, QdaProject};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A selection while its codings are read.
struct OpenSelection {
    start: Option<i64>,
    end: Option<i64>,
    user: Option<String>,
    codes: Vec<(Option<String>, String)>,
}

/// A source (one interview) while it is read.
struct OpenSource {
    guid: String,
    name: String,
    /// Variable values set on the source itself.
    values: BTreeMap<String, String>,
    selections: Vec<OpenSelection>,
}

/// Which element a `VariableValue` belongs to.
#[derive(Clone, Copy, PartialEq)]
enum Owner {
    Case,
    Source,
}

#[derive(Default)]
struct Parser {
    users: HashMap<String, String>,
    codes: Vec<QdaCode>,
    code_stack: Vec<String>,
    variable_names: Vec<(String, String)>,
    /// Case guid → (variable values, referenced sources).
    cases: Vec<(BTreeMap<String, String>, Vec<String>)>,
    in_case: bool,
    sources: Vec<OpenSource>,
    in_source: bool,
    /// Inside <Notes>: memos are text sources too, but not interviews.
    in_notes: bool,
    selection: Option<OpenSelection>,
    coding_user: Option<String>,
    value_owner: Option<Owner>,
    value_ref: Option<String>,
    value_text: Option<String>,
}

fn attr(e: &BytesStart, name: &str) -> Result<Option<String>, String> {
    for a in e.attributes() {
        let a = a.map_err(|err| err.to_string())?;
        if a.key.local_name().as_ref() == name.as_bytes() {
            return Ok(Some(
                a.unescape_value().map_err(|err| err.to_string())?.into(),
            ));
        }
    }
    Ok(None)
}

fn required_attr(e: &BytesStart, element: &str, name: &str) -> Result<String, String> {
    attr(e, name)?.ok_or_else(|| format!("a <{element}> has no `{name}` attribute"))
}

fn position(e: &BytesStart, names: &[&str]) -> Result<Option<i64>, String> {
    for name in names {
        if let Some(v) = attr(e, name)? {
            let v = v
                .trim()
                .parse::<f64>()
                .map_err(|_| format!("`{name}=\"{v}\"` is not a number"))?;
            return Ok(Some(v.round() as i64));
        }
    }
    Ok(None)
}

const VALUE_ELEMENTS: [&str; 6] = [
    "TextValue",
    "BooleanValue",
    "IntegerValue",
    "FloatValue",
    "DateValue",
    "DateTimeValue",
];

impl Parser {
    fn open(&mut self, e: &BytesStart, empty: bool) -> Result<(), String> {
        let local = e.local_name();
        let name = std::str::from_utf8(local.as_ref()).map_err(|err| err.to_string())?;
        match name {
            "User" => {
                let guid = required_attr(e, name, "guid")?;
                let user = attr(e, "name")?.unwrap_or_else(|| guid.clone());
                self.users.insert(guid, user);
            }
            "Code" => {
                let guid = required_attr(e, name, "guid")?;
                self.codes.push(QdaCode {
                    name: required_attr(e, name, "name")?,
                    parent: self.code_stack.last().cloned(),
                    guid: guid.clone(),
                });
                if !empty {
                    self.code_stack.push(guid);
                }
            }
            "Variable" if !self.in_case && !self.in_source => {
                self.variable_names.push((
                    required_attr(e, name, "guid")?,
                    required_attr(e, name, "name")?,
                ));
            }
            "Notes" => self.in_notes = !empty,
            "Case" => {
                self.cases.push(Default::default());
                self.in_case = !empty;
            }
            "SourceRef" if self.in_case => {
                let target = required_attr(e, name, "targetGUID")?;
                if let Some(case) = self.cases.last_mut() {
                    case.1.push(target);
                }
            }
            "VariableValue" => {
                self.value_owner = if self.in_case {
                    Some(Owner::Case)
                } else if self.in_source && self.selection.is_none() {
                    Some(Owner::Source)
                } else {
                    None
                };
                self.value_ref = None;
                self.value_text = None;
            }
            "VariableRef" if self.value_owner.is_some() => {
                self.value_ref = Some(required_attr(e, name, "targetGUID")?);
            }
            n if VALUE_ELEMENTS.contains(&n) && self.value_owner.is_some() => {
                self.value_text = Some(String::new());
            }
            n if n.ends_with("Source") && !self.in_source && !self.in_case && !self.in_notes => {
                let guid = required_attr(e, name, "guid")?;
                let source = attr(e, "name")?.unwrap_or_else(|| guid.clone());
                self.sources.push(OpenSource {
                    guid,
                    name: source,
                    values: BTreeMap::new(),
                    selections: Vec::new(),
                });
                self.in_source = !empty;
            }
            n if n.ends_with("Selection") && self.in_source => {
                let selection = OpenSelection {
                    start: position(e, &["startPosition", "begin", "page"])?,
                    end: position(e, &["endPosition", "end", "page"])?,
                    user: attr(e, "creatingUser")?,
                    codes: Vec::new(),
                };
                if empty {
                    self.push_selection(selection);
                } else {
                    self.selection = Some(selection);
                }
            }
            "Coding" if self.selection.is_some() => {
                self.coding_user = attr(e, "creatingUser")?;
            }
            "CodeRef" if self.selection.is_some() => {
                let target = required_attr(e, name, "targetGUID")?;
                let user = self.coding_user.clone();
                if let Some(selection) = self.selection.as_mut() {
                    selection.codes.push((user, target));
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn close(&mut self, local: &[u8]) {
        match local {
            b"Code" => {
                self.code_stack.pop();
            }
            b"Case" => self.in_case = false,
            b"Notes" => self.in_notes = false,
            b"Coding" => self.coding_user = None,
            b"VariableValue" => self.finish_value(),
            n if n.ends_with(b"Selection") => {
                if let Some(s) = self.selection.take() {
                    self.push_selection(s);
                }
            }
            n if n.ends_with(b"Source") && self.selection.is_none() => self.in_source = false,
            _ => {}
        }
    }

    fn push_selection(&mut self, selection: OpenSelection) {
        if let Some(source) = self.sources.last_mut() {
            source.selections.push(selection);
        }
    }

    fn finish_value(&mut self) {
        let (Some(owner), Some(var), Some(value)) = (
            self.value_owner.take(),
            self.value_ref.take(),
            self.value_text.take(),
        ) else {
            return;
        };
        let target = match owner {
            Owner::Case => self.cases.last_mut().map(|c| &mut c.0),
            Owner::Source => self.sources.last_mut().map(|s| &mut s.values),
        };
        if let Some(target) = target {
            target.insert(var, value);
        }
    }

    fn text(&mut self, text: &str) {
        if let Some(value) = self.value_text.as_mut() {
            value.push_str(text);
        }
    }
}

/// Parses the project XML; `file` names it in errors (which give the byte position).
pub fn parse_project(xml: &str) -> Result<QdaProject, String> {
    let mut reader = Reader::from_str(xml);
    let mut parser = Parser::default();
    loop {
        let at = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| format!("XML error near byte {at}: {e}"))?;
        let fail = |m: String| format!("near byte {at}: {m}");
        match event {
            Event::Start(e) => parser.open(&e, false).map_err(fail)?,
            Event::Empty(e) => parser.open(&e, true).map_err(fail)?,
            Event::End(e) => parser.close(e.local_name().as_ref()),
            Event::Text(t) => parser.text(&t.decode().map_err(|e| fail(e.to_string()))?),
            Event::CData(t) => parser.text(&t.decode().map_err(|e| fail(e.to_string()))?),
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(|e| fail(e.to_string()))? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r.decode().map_err(|e| fail(e.to_string()))?;
                        quick_xml::escape::resolve_xml_entity(&name)
                            .ok_or_else(|| fail(format!("unknown entity `&{name};`")))?
                            .to_string()
                    }
                };
                parser.text(&resolved);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    parser.finish()
}

impl Parser {
    fn finish(self) -> Result<QdaProject, String> {
        let variable_name: HashMap<&str, &str> = self
            .variable_names
            .iter()
            .map(|(g, n)| (g.as_str(), n.as_str()))
            .collect();
        let named = |values: &BTreeMap<String, String>| -> BTreeMap<String, String> {
            values
                .iter()
                .map(|(g, v)| {
                    let name = variable_name.get(g.as_str()).copied().unwrap_or(g);
                    (name.to_string(), v.clone())
                })
                .collect()
        };
        let code_index: HashMap<&str, usize> = self
            .codes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.guid.as_str(), i))
            .collect();
        let mut codings = Vec::new();
        let mut variables = BTreeMap::new();
        for OpenSource {
            guid,
            name: source,
            values: own,
            selections,
        } in &self.sources
        {
            // A case's variables describe its sources; the source's own values win.
            let mut values = BTreeMap::new();
            for (case_values, refs) in &self.cases {
                if refs.contains(guid) {
                    values.extend(named(case_values));
                }
            }
            values.extend(named(own));
            let segments = segment_numbers(selections);
            for (k, s) in selections.iter().enumerate() {
                for (coding_user, code_guid) in &s.codes {
                    let &ci = code_index.get(code_guid.as_str()).ok_or_else(|| {
                        format!(
                            "source `{source}`: a coding refers to code {code_guid}, which is not in the codebook"
                        )
                    })?;
                    let code = &self.codes[ci];
                    let user = coding_user.as_ref().or(s.user.as_ref());
                    codings.push(QdaCoding {
                        interview: source.clone(),
                        segment: segments[k],
                        start: s.start,
                        end: s.end,
                        coder: user
                            .map(|u| self.users.get(u).cloned().unwrap_or_else(|| u.clone()))
                            .unwrap_or_default(),
                        code: code.name.clone(),
                        parent: code.parent.as_ref().and_then(|p| {
                            code_index
                                .get(p.as_str())
                                .map(|&i| self.codes[i].name.clone())
                        }),
                    });
                }
            }
            variables.insert(source.clone(), values);
        }
        let names: BTreeSet<String> = variables.values().flat_map(|v| v.keys().cloned()).collect();
        let mut ordered: Vec<String> = self
            .variable_names
            .iter()
            .map(|(_, n)| n.clone())
            .filter(|n| names.contains(n))
            .collect();
        let undeclared: Vec<String> = names.into_iter().filter(|n| !ordered.contains(n)).collect();
        ordered.extend(undeclared);
        Ok(QdaProject {
            variable_names: ordered,
            variables,
            codes: self.codes,
            codings,
        })
    }
}

/// Segment number of each selection: the rank of its (start, end) span in the source, so
/// coders who marked the same span share a segment. Selections without positions
/// (pictures) are numbered after the spans, in document order.
fn segment_numbers(selections: &[OpenSelection]) -> Vec<u32> {
    let spans: BTreeSet<(i64, i64)> = selections
        .iter()
        .filter_map(|s| Some((s.start?, s.end.or(s.start)?)))
        .collect();
    let rank: HashMap<(i64, i64), u32> = spans
        .into_iter()
        .enumerate()
        .map(|(i, span)| (span, i as u32 + 1))
        .collect();
    let mut next = rank.len() as u32;
    selections
        .iter()
        .map(|s| match s.start {
            Some(start) => rank[&(start, s.end.unwrap_or(start))],
            None => {
                next += 1;
                next
            }
        })
        .collect()
}
