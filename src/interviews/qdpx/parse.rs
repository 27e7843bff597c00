//! Reading `project.qde`: the REFI-QDA project XML (urn:QDA-XML:project:1.0, schema
//! Project-mrt2019.xsd) that NVivo, MAXQDA, ATLAS.ti and QualCoder export. Only what scoring
//! and agreement need is kept: users, the codebook tree, variables of cases and text
//! sources, and coded text selections. The text of the sources (the quotes) is never read.
//!
//! Every element is placed by its path from `<Project>`, as the schema nests them
//! (`Project/Sources/TextSource/PlainTextSelection/Coding/CodeRef`), so an element of the
//! same name elsewhere (`Sets/Set/MemberSource`, `Notes/Note/PlainTextSelection`,
//! `PDFSource/Representation`) is never mistaken for a source or an interview's selection.
//! What the schema allows but lyhord does not import (sets, PDF/picture/audio/video
//! sources, codings of notes or of a whole source, case selections) is listed in
//! [`QdaIgnored`] rows rather than dropped silently.

use super::{QdaCode, QdaCoding, QdaIgnored, QdaProject};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Deeper nesting than any export writes (codes nest a dozen levels at most); the bound
/// keeps a hostile file from growing the element stack without limit.
pub const MAX_DEPTH: usize = 256;

/// Why a file could not be read: it is no REFI-QDA project at all, or a project with a
/// malformed structure (the message gives the byte position).
#[derive(Debug)]
pub enum ParseError {
    NotProject(String),
    Malformed(String),
}

/// A selection while its codings are read.
struct OpenSelection {
    start: Option<i64>,
    end: Option<i64>,
    user: Option<String>,
    /// (coding's user, code guid key)
    codes: Vec<(Option<String>, String)>,
}

/// A text source (one interview) while it is read.
struct OpenSource {
    /// The guid as written (shown when names clash); `key` is its normalised form.
    guid: String,
    key: String,
    name: String,
    /// Variable values set on the source itself (variable guid key → value).
    values: BTreeMap<String, String>,
    selections: Vec<OpenSelection>,
    /// `<Coding>` directly under the source: the whole document coded, no selection.
    whole_codings: u32,
}

/// A source of another kind (PDF, picture, audio, video): reported with its codings.
struct OtherSource {
    key: String,
    kind: String,
    name: String,
    codings: u32,
}

#[derive(Default)]
struct OpenCase {
    name: String,
    values: BTreeMap<String, String>,
    sources: Vec<String>,
    selection_refs: u32,
}

#[derive(Default)]
struct OpenSet {
    name: String,
    sources: u32,
    codes: u32,
    notes: u32,
}

/// Which element a `VariableValue` belongs to.
#[derive(Clone, Copy, PartialEq)]
enum Owner {
    Case,
    Source,
}

struct OpenValue {
    owner: Owner,
    variable: Option<String>,
    text: Option<String>,
}

#[derive(Default)]
struct Parser {
    /// Local names of the open elements, `Project` first (at most [`MAX_DEPTH`]).
    stack: Vec<String>,
    users: HashMap<String, String>,
    codes: Vec<QdaCode>,
    code_keys: Vec<String>,
    /// Guid keys of the open `<Code>` elements: the parent of a nested code.
    code_stack: Vec<String>,
    /// (guid key, name) in the order the project declares them.
    variable_names: Vec<(String, String)>,
    cases: Vec<OpenCase>,
    sources: Vec<OpenSource>,
    others: Vec<OtherSource>,
    sets: Vec<OpenSet>,
    notes: u32,
    note_codings: u32,
    selection: Option<OpenSelection>,
    coding_user: Option<String>,
    value: Option<OpenValue>,
}

/// A guid as a lookup key: exports differ in case (NVivo lower, MAXQDA upper) and the
/// schema allows braces.
fn guid_key(guid: &str) -> String {
    guid.trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .to_ascii_lowercase()
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

/// A character position: the schema says integer; a float that is a whole number is taken.
fn position(e: &BytesStart, element: &str, name: &str) -> Result<i64, String> {
    let v = required_attr(e, element, name)?;
    let t = v.trim();
    if let Ok(n) = t.parse::<i64>() {
        return Ok(n);
    }
    match t.parse::<f64>() {
        Ok(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 9e15 => Ok(f as i64),
        _ => Err(format!(
            "<{element} {name}=\"{v}\">: expected a whole number (a character position)"
        )),
    }
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
    /// The open element at `depth` (0 is `Project`).
    fn at(&self, depth: usize) -> Option<&str> {
        self.stack.get(depth).map(String::as_str)
    }

    fn section(&self) -> Option<&str> {
        self.at(1)
    }

    fn parent(&self) -> Option<&str> {
        self.stack.last().map(String::as_str)
    }

    /// Inside `Sources/TextSource` (the last text source read).
    fn in_text_source(&self) -> bool {
        self.section() == Some("Sources") && self.at(2) == Some("TextSource")
    }

    fn open(&mut self, e: &BytesStart, empty: bool) -> Result<(), String> {
        let local = e.local_name();
        let name = std::str::from_utf8(local.as_ref()).map_err(|err| err.to_string())?;
        if self.stack.len() >= MAX_DEPTH {
            return Err(format!(
                "elements nest deeper than {MAX_DEPTH} levels; no REFI-QDA export does"
            ));
        }
        match self.section() {
            Some("Users") => self.open_user(e, name)?,
            Some("CodeBook") => self.open_code(e, name, empty)?,
            Some("Variables") if name == "Variable" && self.stack.len() == 2 => {
                self.variable_names.push((
                    guid_key(&required_attr(e, name, "guid")?),
                    required_attr(e, name, "name")?,
                ));
            }
            Some("Cases") => self.open_in_case(e, name)?,
            Some("Sources") => self.open_in_sources(e, name, empty)?,
            Some("Notes") => self.open_in_notes(name),
            Some("Sets") => self.open_in_set(e, name)?,
            _ => {}
        }
        if !empty {
            self.stack.push(name.to_string());
        }
        Ok(())
    }

    fn open_user(&mut self, e: &BytesStart, name: &str) -> Result<(), String> {
        if name == "User" && self.stack.len() == 2 {
            let guid = required_attr(e, name, "guid")?;
            let user = attr(e, "name")?.unwrap_or_else(|| guid.clone());
            self.users.insert(guid_key(&guid), user);
        }
        Ok(())
    }

    fn open_code(&mut self, e: &BytesStart, name: &str, empty: bool) -> Result<(), String> {
        if name != "Code" || !matches!(self.parent(), Some("Codes" | "Code")) {
            return Ok(());
        }
        let key = guid_key(&required_attr(e, name, "guid")?);
        self.codes.push(QdaCode {
            guid: required_attr(e, name, "guid")?,
            name: required_attr(e, name, "name")?,
            parent: self.code_stack.last().cloned(),
        });
        self.code_keys.push(key.clone());
        if !empty {
            self.code_stack.push(key);
        }
        Ok(())
    }

    fn open_in_case(&mut self, e: &BytesStart, name: &str) -> Result<(), String> {
        if self.stack.len() == 2 && name == "Case" {
            let guid = required_attr(e, name, "guid")?;
            self.cases.push(OpenCase {
                name: attr(e, "name")?.unwrap_or(guid),
                ..Default::default()
            });
            return Ok(());
        }
        // Children of a `Cases/Case`; a case was pushed when it opened.
        let in_case = self.stack.len() == 3 && self.parent() == Some("Case");
        match (in_case, self.cases.last_mut(), name) {
            (true, Some(case), "SourceRef") => {
                let target = required_attr(e, name, "targetGUID")?;
                case.sources.push(guid_key(&target));
            }
            (true, Some(case), "SelectionRef") => case.selection_refs += 1,
            (true, Some(_), "VariableValue") => self.open_value(Owner::Case),
            _ => self.open_value_part(e, name)?,
        }
        Ok(())
    }

    fn open_value(&mut self, owner: Owner) {
        self.value = Some(OpenValue {
            owner,
            variable: None,
            text: None,
        });
    }

    fn open_value_part(&mut self, e: &BytesStart, name: &str) -> Result<(), String> {
        if self.parent() != Some("VariableValue") {
            return Ok(());
        }
        let Some(value) = self.value.as_mut() else {
            return Ok(());
        };
        if name == "VariableRef" {
            value.variable = Some(guid_key(&required_attr(e, name, "targetGUID")?));
        } else if VALUE_ELEMENTS.contains(&name) {
            value.text = Some(String::new());
        }
        Ok(())
    }

    fn open_in_sources(&mut self, e: &BytesStart, name: &str, empty: bool) -> Result<(), String> {
        match self.stack.len() {
            2 if name == "TextSource" => {
                let guid = required_attr(e, name, "guid")?;
                self.sources.push(OpenSource {
                    key: guid_key(&guid),
                    name: attr(e, "name")?.unwrap_or_else(|| guid.clone()),
                    guid: guid.trim().to_string(),
                    values: BTreeMap::new(),
                    selections: Vec::new(),
                    whole_codings: 0,
                });
            }
            2 => {
                let guid = required_attr(e, name, "guid")?;
                self.others.push(OtherSource {
                    key: guid_key(&guid),
                    kind: name.to_string(),
                    name: attr(e, "name")?.unwrap_or(guid),
                    codings: 0,
                });
            }
            _ if !self.in_text_source() => {
                if name == "Coding" {
                    if let Some(other) = self.others.last_mut() {
                        other.codings += 1;
                    }
                }
            }
            3 => self.open_in_text_source(e, name, empty)?,
            _ if self.selection.is_some() => self.open_in_selection(e, name)?,
            _ => self.open_value_part(e, name)?,
        }
        Ok(())
    }

    fn open_in_text_source(
        &mut self,
        e: &BytesStart,
        name: &str,
        empty: bool,
    ) -> Result<(), String> {
        match name {
            "PlainTextSelection" => {
                let selection = OpenSelection {
                    start: Some(position(e, name, "startPosition")?),
                    end: Some(position(e, name, "endPosition")?),
                    user: attr(e, "creatingUser")?.map(|u| guid_key(&u)),
                    codes: Vec::new(),
                };
                // An empty selection has no codings: nothing to keep.
                if !empty {
                    self.selection = Some(selection);
                }
            }
            "Coding" => {
                if let Some(source) = self.sources.last_mut() {
                    source.whole_codings += 1;
                }
            }
            "VariableValue" => self.open_value(Owner::Source),
            _ => {}
        }
        Ok(())
    }

    fn open_in_selection(&mut self, e: &BytesStart, name: &str) -> Result<(), String> {
        match (self.parent(), name) {
            (Some("PlainTextSelection"), "Coding") => {
                self.coding_user = attr(e, "creatingUser")?.map(|u| guid_key(&u));
            }
            (Some("Coding"), "CodeRef") => {
                let target = guid_key(&required_attr(e, name, "targetGUID")?);
                let user = self.coding_user.clone();
                if let Some(selection) = self.selection.as_mut() {
                    selection.codes.push((user, target));
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn open_in_notes(&mut self, name: &str) {
        match (self.stack.len(), name) {
            (2, "Note") => self.notes += 1,
            (_, "Coding") => self.note_codings += 1,
            _ => {}
        }
    }

    fn open_in_set(&mut self, e: &BytesStart, name: &str) -> Result<(), String> {
        if self.stack.len() == 2 && name == "Set" {
            let guid = required_attr(e, name, "guid")?;
            self.sets.push(OpenSet {
                name: attr(e, "name")?.unwrap_or(guid),
                ..Default::default()
            });
            return Ok(());
        }
        if self.stack.len() != 3 || self.parent() != Some("Set") {
            return Ok(());
        }
        if let Some(set) = self.sets.last_mut() {
            match name {
                "MemberSource" => set.sources += 1,
                "MemberCode" => set.codes += 1,
                "MemberNote" => set.notes += 1,
                _ => {}
            }
        }
        Ok(())
    }

    fn close(&mut self) -> Result<(), String> {
        let Some(open) = self.stack.pop() else {
            return Err("a closing tag without an opening one".into());
        };
        match open.as_str() {
            "Code"
                if self.section() == Some("CodeBook")
                    && matches!(self.parent(), Some("Codes" | "Code")) =>
            {
                self.code_stack.pop();
            }
            "Coding" => self.coding_user = None,
            "VariableValue" => self.finish_value(),
            "PlainTextSelection" if self.in_text_source() && self.stack.len() == 3 => {
                if let (Some(s), Some(source)) = (self.selection.take(), self.sources.last_mut()) {
                    source.selections.push(s);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn finish_value(&mut self) {
        let Some(OpenValue {
            owner,
            variable: Some(variable),
            text: Some(text),
        }) = self.value.take()
        else {
            return;
        };
        // Exports indent the XML, and MAXQDA breaks the line before `</TextValue>`: the
        // value is what is between the indentation. An empty value is a missing one.
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        let target = match owner {
            Owner::Case => self.cases.last_mut().map(|c| &mut c.values),
            Owner::Source => self.sources.last_mut().map(|s| &mut s.values),
        };
        if let Some(target) = target {
            target.insert(variable, text.to_string());
        }
    }

    fn text(&mut self, text: &str) {
        // Only the text inside <TextValue> etc., not the whitespace around it.
        if !self.parent().is_some_and(|p| VALUE_ELEMENTS.contains(&p)) {
            return;
        }
        if let Some(value) = self.value.as_mut().and_then(|v| v.text.as_mut()) {
            value.push_str(text);
        }
    }
}

fn check_root(e: &BytesStart, name: &str) -> Result<(), String> {
    let namespace = attr(e, "xmlns")?.unwrap_or_default();
    match name {
        "Project" => Ok(()),
        "CodeBook" if namespace.contains("codebook") => Err(
            "is a REFI-QDA codebook (.qdc) without coded segments; export the whole project (.qdpx)"
                .into(),
        ),
        other => Err(format!(
            "has the root element <{other}>, expected <Project xmlns=\"urn:QDA-XML:project:1.0\">"
        )),
    }
}

fn resolve_ref(r: &quick_xml::events::BytesRef) -> Result<String, String> {
    if let Some(c) = r.resolve_char_ref().map_err(|e| e.to_string())? {
        return Ok(c.to_string());
    }
    let name = r.decode().map_err(|e| e.to_string())?;
    // Only the five XML entities: a DOCTYPE's own entities are never expanded.
    quick_xml::escape::resolve_xml_entity(&name)
        .map(str::to_string)
        .ok_or_else(|| format!("unknown entity `&{name};`"))
}

/// Parses the project XML. Errors give the byte position of the element at fault.
pub fn parse_project(xml: &str) -> Result<QdaProject, ParseError> {
    let xml = xml.strip_prefix('\u{feff}').unwrap_or(xml);
    let mut reader = Reader::from_str(xml);
    let mut parser = Parser::default();
    let mut root_seen = false;
    loop {
        let at = reader.buffer_position();
        let event = reader.read_event().map_err(|e| match root_seen {
            false => ParseError::NotProject(format!("is not XML (error near byte {at}: {e})")),
            true => ParseError::Malformed(format!("XML error near byte {at}: {e}")),
        })?;
        if let Event::Start(e) | Event::Empty(e) = &event {
            if parser.stack.is_empty() {
                if root_seen {
                    let m = format!("near byte {at}: a second root element after </Project>");
                    return Err(ParseError::Malformed(m));
                }
                let local = e.local_name();
                let name = String::from_utf8_lossy(local.as_ref()).into_owned();
                check_root(e, &name).map_err(ParseError::NotProject)?;
                root_seen = true;
            }
        }
        let fail = |m: String| ParseError::Malformed(format!("near byte {at}: {m}"));
        match event {
            Event::Start(e) => parser.open(&e, false).map_err(fail)?,
            Event::Empty(e) => parser.open(&e, true).map_err(fail)?,
            Event::End(_) => parser.close().map_err(fail)?,
            Event::Text(t) => parser.text(&t.decode().map_err(|e| fail(e.to_string()))?),
            Event::CData(t) => parser.text(&t.decode().map_err(|e| fail(e.to_string()))?),
            Event::GeneralRef(r) => parser.text(&resolve_ref(&r).map_err(fail)?),
            Event::Eof => break,
            _ => {}
        }
    }
    if !root_seen {
        return Err(ParseError::NotProject(
            "holds no XML element; a REFI-QDA project is <Project xmlns=\"urn:QDA-XML:project:1.0\">"
                .into(),
        ));
    }
    if let Some(open) = parser.stack.last() {
        let m = format!("ends inside <{open}>: the file is cut off");
        return Err(ParseError::Malformed(m));
    }
    parser.finish().map_err(ParseError::Malformed)
}

/// The id an interview gets: its source's name, or, when several text sources share the
/// name, the name with the source's guid ("Intervju 1 [6F1C…]"), because the guid is what
/// keeps the documents apart in the QDA program and stays the same in the next export
/// (a running number would change when a document is added or reordered).
fn interview_ids(sources: &[OpenSource]) -> Vec<String> {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for s in sources {
        *count.entry(s.name.as_str()).or_default() += 1;
    }
    sources
        .iter()
        .map(|s| match count[s.name.as_str()] {
            1 => s.name.clone(),
            _ => format!(
                "{} [{}]",
                s.name,
                s.guid.trim_matches(|c| c == '{' || c == '}')
            ),
        })
        .collect()
}

/// Every guid names one thing: two sources or two codes with the same guid cannot be told
/// apart, so the file is refused rather than merging them.
fn check_unique<'a>(
    what: &str,
    one: &str,
    items: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<(), String> {
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for (key, name) in items {
        if let Some(first) = seen.insert(key, name) {
            return Err(format!(
                "two {what} have the guid {key} (`{first}` and `{name}`); every {one} needs its own"
            ));
        }
    }
    Ok(())
}

impl Parser {
    fn finish(self) -> Result<QdaProject, String> {
        check_unique(
            "sources",
            "source",
            self.sources
                .iter()
                .map(|s| (s.key.as_str(), s.name.as_str())),
        )?;
        check_unique(
            "codes",
            "code",
            self.code_keys
                .iter()
                .map(String::as_str)
                .zip(self.codes.iter().map(|c| c.name.as_str())),
        )?;
        let ids = interview_ids(&self.sources);
        let source_values = self.case_values(&ids)?;
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
            .code_keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.as_str(), i))
            .collect();
        let mut codings = Vec::new();
        let mut variables = BTreeMap::new();
        for ((source, id), case_values) in self.sources.iter().zip(&ids).zip(&source_values) {
            // A case's variables describe its sources; the source's own values win.
            let mut values = named(case_values);
            values.extend(named(&source.values));
            variables.insert(id.clone(), values);
            self.source_codings(source, id, &code_index, &mut codings)?;
        }
        let ignored = self.ignored(&ids);
        Ok(QdaProject {
            variable_names: self.ordered_variables(&variables),
            variables,
            codes: self.codes_with_parent_names(),
            codings,
            ignored,
        })
    }

    /// Per text source, the variable values its cases give it. Two cases giving one source
    /// different values for a variable leave no right answer, so that is an error.
    fn case_values(&self, ids: &[String]) -> Result<Vec<BTreeMap<String, String>>, String> {
        let index: HashMap<&str, usize> = self
            .sources
            .iter()
            .enumerate()
            .map(|(i, s)| (s.key.as_str(), i))
            .collect();
        let others: BTreeSet<&str> = self.others.iter().map(|o| o.key.as_str()).collect();
        let mut out = vec![BTreeMap::<String, String>::new(); self.sources.len()];
        let mut from = vec![BTreeMap::<String, &str>::new(); self.sources.len()];
        for case in &self.cases {
            for target in &case.sources {
                let Some(&i) = index.get(target.as_str()) else {
                    if others.contains(target.as_str()) {
                        continue;
                    }
                    return Err(format!(
                        "case `{}` refers to source {target}, which is not in <Sources>",
                        case.name
                    ));
                };
                for (var, value) in &case.values {
                    if let Some(old) = out[i].insert(var.clone(), value.clone()) {
                        if &old != value {
                            return Err(format!(
                                "source `{}` gets variable {var} = `{old}` from case `{}` and `{value}` from case `{}`; give the source one value",
                                ids[i], from[i][var], case.name
                            ));
                        }
                    }
                    from[i].insert(var.clone(), &case.name);
                }
            }
        }
        Ok(out)
    }

    fn source_codings(
        &self,
        source: &OpenSource,
        id: &str,
        code_index: &HashMap<&str, usize>,
        codings: &mut Vec<QdaCoding>,
    ) -> Result<(), String> {
        let segments = segment_numbers(&source.selections);
        for (s, &segment) in source.selections.iter().zip(&segments) {
            for (coding_user, code_key) in &s.codes {
                let &ci = code_index.get(code_key.as_str()).ok_or_else(|| {
                    format!(
                        "source `{id}`: a coding refers to code {code_key}, which is not in the codebook"
                    )
                })?;
                let code = &self.codes[ci];
                let user = coding_user.as_ref().or(s.user.as_ref());
                codings.push(QdaCoding {
                    interview: id.to_string(),
                    segment,
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
        Ok(())
    }

    /// The codebook with each parent given by the parent's guid as written.
    fn codes_with_parent_names(&self) -> Vec<QdaCode> {
        let by_key: HashMap<&str, &str> = self
            .code_keys
            .iter()
            .zip(&self.codes)
            .map(|(k, c)| (k.as_str(), c.guid.as_str()))
            .collect();
        self.codes
            .iter()
            .map(|c| QdaCode {
                parent: c
                    .parent
                    .as_deref()
                    .and_then(|p| by_key.get(p))
                    .map(|g| g.to_string()),
                ..c.clone()
            })
            .collect()
    }

    /// Variables in the order the project declares them, then any undeclared ones.
    fn ordered_variables(
        &self,
        variables: &BTreeMap<String, BTreeMap<String, String>>,
    ) -> Vec<String> {
        let names: BTreeSet<&String> = variables.values().flat_map(|v| v.keys()).collect();
        let mut ordered: Vec<String> = Vec::new();
        for (_, n) in &self.variable_names {
            if names.contains(n) && !ordered.contains(n) {
                ordered.push(n.clone());
            }
        }
        let undeclared: Vec<String> = names
            .into_iter()
            .filter(|n| !ordered.contains(n))
            .cloned()
            .collect();
        ordered.extend(undeclared);
        ordered
    }

    /// What the project holds that lyhord does not import, one row each.
    fn ignored(&self, ids: &[String]) -> Vec<QdaIgnored> {
        let mut out = Vec::new();
        for set in &self.sets {
            out.push(QdaIgnored {
                name: set.name.clone(),
                reason: format!(
                    "a set ({} sources, {} codes, {} notes): read as information, not as a source; its sources are read as themselves",
                    set.sources, set.codes, set.notes
                ),
                codings: 0,
            });
        }
        for other in &self.others {
            out.push(QdaIgnored {
                name: other.name.clone(),
                reason: format!(
                    "a {} with {} codings: lyhord reads text sources (<TextSource> with <PlainTextSelection>) only",
                    other.kind, other.codings
                ),
                codings: other.codings,
            });
        }
        for (source, id) in self.sources.iter().zip(ids) {
            if source.whole_codings > 0 {
                out.push(QdaIgnored {
                    name: id.clone(),
                    reason: format!(
                        "{} codings of the whole source (no <PlainTextSelection>): not a segment",
                        source.whole_codings
                    ),
                    codings: source.whole_codings,
                });
            }
        }
        for case in self.cases.iter().filter(|c| c.selection_refs > 0) {
            out.push(QdaIgnored {
                name: case.name.clone(),
                reason: format!(
                    "a case holding {} selections (<SelectionRef>): case variables are read for whole sources (<SourceRef>) only",
                    case.selection_refs
                ),
                codings: 0,
            });
        }
        if self.notes > 0 || self.note_codings > 0 {
            out.push(QdaIgnored {
                name: "<Notes>".into(),
                reason: format!(
                    "{} notes (memos) with {} codings: memos are not interviews",
                    self.notes, self.note_codings
                ),
                codings: self.note_codings,
            });
        }
        out
    }
}

/// Segment number of each selection: the rank of its (start, end) span in the source, so
/// coders who marked the same span share a segment.
fn segment_numbers(selections: &[OpenSelection]) -> Vec<u32> {
    let span = |s: &OpenSelection| (s.start.unwrap_or(0), s.end.or(s.start).unwrap_or(0));
    let spans: BTreeSet<(i64, i64)> = selections.iter().map(span).collect();
    let rank: HashMap<(i64, i64), u32> = spans
        .into_iter()
        .enumerate()
        .map(|(i, span)| (span, i as u32 + 1))
        .collect();
    selections.iter().map(|s| rank[&span(s)]).collect()
}
