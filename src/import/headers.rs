//! Multi-row headers of survey tools, flattened to one name per column.
//!
//! - Qualtrics: row 1 export tags (`Q1_1`), row 2 question text (matrix questions as
//!   "Question - Statement"), row 3 `{"ImportId":"QID1_1"}`.
//!   Exports of 2016–17 write row 3 as `{'ImportId': 'QID1_1'}`; newer ones may add keys
//!   (`{"ImportId":"startDate","timeZone":"Europe/Stockholm"}`); people delete row 3.
//! - Qualtrics legacy export (until 2017): row 1 `V1`…`V10` (ResponseID, ResponseSet, Name,
//!   ExternalDataReference, EmailAddress, IPAddress, Status, StartDate, EndDate, Finished)
//!   then export tags, row 2 those names and the question texts.
//! - SurveyMonkey: row 1 question text written once across its columns, row 2 the
//!   statement or option per column ("Response" for single-answer questions). The fixed
//!   first columns are `Respondent ID, Collector ID, …` since 2017, `RespondentID,
//!   CollectorID, StartDate, EndDate, IP Address, …, Custom Data` before.

use super::Column;
use crate::error::ImportError;

/// Rows looked at for a title block above the header; longer ones need `header_row=`.
pub const TITLE_ROWS_MAX: usize = 10;

/// Where the header is: `skip` rows above it (1-based header row = offset + skip + 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderPlace {
    pub skip: usize,
    /// Whether anything is written above the header (else those rows are blank).
    pub title_block: bool,
}

impl HeaderPlace {
    /// The given 1-based `header_row`, else the first row with two or more filled cells when
    /// only rows with at most one (a title, a date, blank lines) come before it — the title
    /// block report tools and people put above a table. A one-column export has no title
    /// block. `rows` are the first rows of the file or sheet; `rows[0]` is row `offset + 1`.
    pub fn find(
        rows: &[Vec<String>],
        header_row: Option<usize>,
        offset: usize,
        file: &str,
    ) -> Result<Self, ImportError> {
        let filled = |row: &Vec<String>| row.iter().filter(|c| !c.trim().is_empty()).count();
        let wrong = |message: String| ImportError::Parameter {
            parameter: "header_row".into(),
            message: format!("{file}: {message}"),
        };
        let skip = match header_row {
            Some(0) => return Err(wrong("rows are counted from 1".into())),
            Some(r) if r <= offset => {
                return Err(wrong(format!(
                    "row {r} is empty; the first filled row is {}",
                    offset + 1
                )))
            }
            Some(r) if r - offset > rows.len() => {
                return Err(wrong(format!(
                    "row {r} is past the end; the last row is {}",
                    offset + rows.len()
                )))
            }
            Some(r) => r - offset - 1,
            None => rows
                .iter()
                .take(TITLE_ROWS_MAX + 1)
                .position(|r| filled(r) >= 2)
                .unwrap_or(0),
        };
        let title_block = rows[..skip].iter().any(|r| filled(r) > 0);
        Ok(HeaderPlace { skip, title_block })
    }
}

/// What the user asked for; `Auto` recognises the layout from the first rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeaderChoice {
    #[default]
    Auto,
    Single,
    Qualtrics,
    QualtricsLegacy,
    SurveyMonkey,
}

crate::choice!(HeaderChoice, "header", {
    Auto => "auto",
    Single => "single",
    Qualtrics => "qualtrics",
    QualtricsLegacy => "qualtrics-legacy",
    SurveyMonkey => "surveymonkey",
}, aliases {
    "1" => Single,
    "qualtrics_legacy" => QualtricsLegacy,
    "survey_monkey" => SurveyMonkey,
});

/// How a Qualtrics export writes its third header row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportIds {
    /// `{"ImportId":"QID1_1"}`, optionally with more keys (`"timeZone"`): since 2017.
    Json,
    /// `{'ImportId': 'QID1_1'}`: exports of 2016–17 (a Python dict written as text).
    SingleQuoted,
    /// The row was deleted (people do, to open the file in a spreadsheet).
    Absent,
}

/// Which SurveyMonkey export: the column names of the first, fixed columns differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonkeyLayout {
    /// `Respondent ID, Collector ID, Start Date, …` (since 2017).
    Current,
    /// `RespondentID, CollectorID, StartDate, EndDate, IP Address, …, Custom Data`.
    Older,
}

/// The header layout in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderStyle {
    Single,
    /// Row 1 export tags, row 2 question texts, row 3 (unless deleted) ImportIds.
    Qualtrics(ImportIds),
    /// Row 1 `V1`…`V10` and export tags, row 2 `ResponseID`, … and question texts.
    QualtricsLegacy,
    SurveyMonkey(MonkeyLayout),
}

impl HeaderStyle {
    pub fn rows(self) -> usize {
        match self {
            HeaderStyle::Single => 1,
            HeaderStyle::Qualtrics(ImportIds::Absent)
            | HeaderStyle::QualtricsLegacy
            | HeaderStyle::SurveyMonkey(_) => 2,
            HeaderStyle::Qualtrics(_) => 3,
        }
    }

    /// The layout as the import report names it.
    pub fn name(self) -> &'static str {
        match self {
            HeaderStyle::Single => "single",
            HeaderStyle::Qualtrics(ImportIds::Json) => "qualtrics (3 header rows)",
            HeaderStyle::Qualtrics(ImportIds::SingleQuoted) => {
                "qualtrics (3 header rows, 2016–17 ImportIds in single quotes)"
            }
            HeaderStyle::Qualtrics(ImportIds::Absent) => {
                "qualtrics (2 header rows, ImportId row removed)"
            }
            HeaderStyle::QualtricsLegacy => "qualtrics (legacy V-columns)",
            HeaderStyle::SurveyMonkey(MonkeyLayout::Current) => "surveymonkey (2 header rows)",
            HeaderStyle::SurveyMonkey(MonkeyLayout::Older) => {
                "surveymonkey (older RespondentID layout, 2 header rows)"
            }
        }
    }
}

const SURVEYMONKEY_ANSWER_HEADERS: [&str; 3] =
    ["response", "open-ended response", "other (please specify)"];

/// The fixed first columns of a legacy Qualtrics export, tagged `V1`…`V10`.
const LEGACY_TAGS: usize = 10;

/// A cell of the first rows, trimmed; blank past the end of a short row.
fn at(rows: &[Vec<String>], r: usize, c: usize) -> &str {
    rows.get(r)
        .and_then(|row| row.get(c))
        .map(|s| s.trim())
        .unwrap_or("")
}

/// Letters and digits only, lower case: "Respondent ID" and "RespondentID" alike.
fn key(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The quote style of a Qualtrics ImportId cell (`{"ImportId":…}` / `{'ImportId': …}`).
fn import_id_style(cell: &str) -> Option<ImportIds> {
    let cell = cell.trim();
    if !cell.ends_with('}') {
        return None;
    }
    let inner = cell.strip_prefix('{')?.trim_start();
    if inner.starts_with("\"ImportId\"") {
        Some(ImportIds::Json)
    } else if inner.starts_with("'ImportId'") {
        Some(ImportIds::SingleQuoted)
    } else {
        None
    }
}

/// The ImportId style of row 3, if most of its filled cells are ImportIds.
fn import_id_row(rows: &[Vec<String>]) -> Option<ImportIds> {
    let row = rows.get(2)?;
    let filled: Vec<&String> = row.iter().filter(|c| !c.trim().is_empty()).collect();
    let styles: Vec<ImportIds> = filled.iter().filter_map(|c| import_id_style(c)).collect();
    (styles.len() * 2 > filled.len()).then(|| styles[0])
}

/// Qualtrics' response ids: `R_` and 15 or so letters and digits.
fn is_response_id(cell: &str) -> bool {
    cell.strip_prefix("R_")
        .is_some_and(|rest| rest.len() >= 10 && rest.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Recognises the layout from the first (up to three) rows of the header. A first row
/// that is plainly a survey tool's, above a second row that is neither that tool's
/// header row nor an answer, cannot be decided: the error names the `header=` values.
pub fn detect(
    first_rows: &[Vec<String>],
    choice: HeaderChoice,
    file: &str,
) -> Result<HeaderStyle, ImportError> {
    let rows = first_rows;
    match choice {
        HeaderChoice::Single => Ok(HeaderStyle::Single),
        HeaderChoice::Qualtrics => Ok(HeaderStyle::Qualtrics(
            import_id_row(rows).unwrap_or(ImportIds::Absent),
        )),
        HeaderChoice::QualtricsLegacy => Ok(HeaderStyle::QualtricsLegacy),
        HeaderChoice::SurveyMonkey => Ok(HeaderStyle::SurveyMonkey(monkey_layout(rows))),
        HeaderChoice::Auto => detect_auto(rows, file),
    }
}

fn detect_auto(rows: &[Vec<String>], file: &str) -> Result<HeaderStyle, ImportError> {
    if let Some(ids) = import_id_row(rows) {
        return Ok(HeaderStyle::Qualtrics(ids));
    }
    if let Some(style) = detect_legacy(rows, file)? {
        return Ok(style);
    }
    if let Some(style) = detect_qualtrics_without_ids(rows, file)? {
        return Ok(style);
    }
    if let Some(style) = detect_monkey(rows, file)? {
        return Ok(style);
    }
    Ok(HeaderStyle::Single)
}

fn undecided(file: &str, what: &str, header_values: &str) -> ImportError {
    ImportError::Parse {
        file: file.into(),
        message: format!("the header layout cannot be decided: {what}. Pass {header_values}"),
    }
}

/// Legacy Qualtrics: row 1 begins `V1`…`V10` (then export tags, not `V11`: a frame
/// written by R with default names goes on to `V11`), row 2 begins `ResponseID`.
fn detect_legacy(rows: &[Vec<String>], file: &str) -> Result<Option<HeaderStyle>, ImportError> {
    let tagged = (0..LEGACY_TAGS).all(|c| at(rows, 0, c) == format!("V{}", c + 1));
    let more = rows.first().is_some_and(|r| r.len() > LEGACY_TAGS);
    if !tagged || !more || at(rows, 0, LEGACY_TAGS) == "V11" {
        return Ok(None);
    }
    let second = at(rows, 1, 0);
    if second.eq_ignore_ascii_case("ResponseID") {
        return Ok(Some(HeaderStyle::QualtricsLegacy));
    }
    if is_response_id(second) || rows.len() < 2 {
        // The question row was deleted: the tags are the names.
        return Ok(Some(HeaderStyle::Single));
    }
    Err(undecided(
        file,
        &format!("row 1 has Qualtrics' legacy tags V1…V10, but row 2 begins {second:?}, neither ResponseID (the question row) nor a response id R_…"),
        "header=\"qualtrics-legacy\" if row 2 holds the question texts, or header=\"single\" if it holds answers",
    ))
}

/// A current Qualtrics export whose ImportId row was deleted: `ResponseId` (and the
/// StartDate/EndDate tags) in row 1, "Response ID" below it.
fn detect_qualtrics_without_ids(
    rows: &[Vec<String>],
    file: &str,
) -> Result<Option<HeaderStyle>, ImportError> {
    let Some(top) = rows.first() else {
        return Ok(None);
    };
    let Some(id) = top.iter().position(|c| c.trim() == "ResponseId") else {
        return Ok(None);
    };
    let dated = top
        .iter()
        .any(|c| matches!(c.trim(), "StartDate" | "EndDate"));
    let below = at(rows, 1, id);
    if key(below) == "responseid" {
        return Ok(Some(HeaderStyle::Qualtrics(ImportIds::Absent)));
    }
    if !dated || rows.len() < 2 || is_response_id(below) {
        return Ok(None);
    }
    Err(undecided(
        file,
        &format!("row 1 has Qualtrics' tags (StartDate, ResponseId), but row 2 has {below:?} under ResponseId, neither \"Response ID\" (the question row) nor a response id R_…"),
        "header=\"qualtrics\" if row 2 holds the question texts, or header=\"single\" if it holds answers",
    ))
}

fn monkey_layout(rows: &[Vec<String>]) -> MonkeyLayout {
    if at(rows, 0, 0) == "RespondentID" {
        MonkeyLayout::Older
    } else {
        MonkeyLayout::Current
    }
}

/// SurveyMonkey: the respondent id first; in the second header row the fixed columns are
/// blank (an answer row always has its respondent id) and the questions say "Response",
/// "Open-Ended Response" or the statement under a question written once across columns.
fn detect_monkey(rows: &[Vec<String>], file: &str) -> Result<Option<HeaderStyle>, ImportError> {
    if rows.len() < 2 {
        return Ok(None);
    }
    let (top, second) = (&rows[0], &rows[1]);
    let says_response = second
        .iter()
        .any(|f| SURVEYMONKEY_ANSWER_HEADERS.contains(&f.trim().to_lowercase().as_str()));
    // Rows of a sheet end at their last filled cell: the second row may be the longer.
    let width = top.len().max(second.len());
    let carried = (1..width).any(|c| at(rows, 0, c).is_empty() && !at(rows, 1, c).is_empty());
    let first = at(rows, 0, 0);
    let respondent_id = key(first) == "respondentid";
    let collector_id = key(at(rows, 0, 1)) == "collectorid";
    let below_id = at(rows, 1, 0);
    if respondent_id && below_id.is_empty() && (says_response || carried) {
        return Ok(Some(HeaderStyle::SurveyMonkey(monkey_layout(rows))));
    }
    if !respondent_id && says_response && carried {
        return Ok(Some(HeaderStyle::SurveyMonkey(MonkeyLayout::Current)));
    }
    let answer_row = !below_id.is_empty() && below_id.chars().all(|c| c.is_ascii_digit());
    if respondent_id && collector_id && !answer_row {
        return Err(undecided(
            file,
            &format!("row 1 begins with SurveyMonkey's {first:?} and Collector ID, but row 2 is neither its question row (blank under {first:?}, \"Response\" or statements under the questions) nor an answer (a numeric respondent id)"),
            "header=\"surveymonkey\" if row 2 holds the sub-questions, or header=\"single\" if it holds answers",
        ));
    }
    Ok(None)
}

/// Names the columns from the header rows: unique names, question texts, texts to match.
pub fn apply(style: HeaderStyle, rows: &[Vec<String>], columns: &mut [Column]) {
    match style {
        HeaderStyle::Single => apply_single(rows, columns),
        HeaderStyle::Qualtrics(_) => apply_qualtrics(rows, columns, 0),
        HeaderStyle::QualtricsLegacy => apply_qualtrics(rows, columns, LEGACY_TAGS),
        HeaderStyle::SurveyMonkey(_) => apply_monkey(rows, columns),
    }
    make_unique(columns);
}

fn apply_single(rows: &[Vec<String>], columns: &mut [Column]) {
    for (c, column) in columns.iter_mut().enumerate() {
        column.name = at(rows, 0, c).to_string();
        column.texts = vec![column.name.clone()];
    }
}

/// Qualtrics: the export tag names the column, the question text labels it. The first
/// `fixed` columns (legacy `V1`…`V10`) are named by their text, since `V1` says nothing.
fn apply_qualtrics(rows: &[Vec<String>], columns: &mut [Column], fixed: usize) {
    let tags: Vec<&str> = (0..columns.len()).map(|c| at(rows, 0, c)).collect();
    let questions: Vec<&str> = (0..columns.len()).map(|c| at(rows, 1, c)).collect();
    for (c, column) in columns.iter_mut().enumerate() {
        let question = questions[c];
        if c < fixed && !question.is_empty() {
            column.name = question.to_string();
            column.texts = vec![column.name.clone()];
            continue;
        }
        column.name = tags[c].to_string();
        if question.is_empty() {
            continue;
        }
        column.label = Some(question.to_string());
        column.texts = vec![question.to_string()];
        if let Some(statement) = matrix_statement(&tags, &questions, c) {
            column.texts.push(statement.to_string());
        }
    }
}

/// The statement of a matrix question's column: after " - " (current exports), else,
/// for legacy exports that join with a bare "-", after the question text that the
/// columns of the same question (`Q3_1`, `Q3_2`, …) share.
fn matrix_statement<'a>(tags: &[&str], questions: &[&'a str], c: usize) -> Option<&'a str> {
    let question = questions[c];
    if let Some((_, statement)) = question.rsplit_once(" - ") {
        return Some(statement.trim()).filter(|s| !s.is_empty());
    }
    let (base, _) = tags[c].rsplit_once('_')?;
    let siblings = (0..tags.len())
        .filter(|&o| o != c && tags[o].rsplit_once('_').is_some_and(|(b, _)| b == base));
    let mut common = question.len();
    let mut any = false;
    for o in siblings {
        any = true;
        common = common.min(common_prefix(question, questions[o]));
    }
    let cut = question[..common].rfind('-').filter(|_| any)?;
    Some(question[cut + 1..].trim()).filter(|s| !s.is_empty())
}

/// Length in bytes of the common start of two texts, at a character boundary.
fn common_prefix(a: &str, b: &str) -> usize {
    a.char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map(|((i, _), _)| i)
        .unwrap_or_else(|| a.len().min(b.len()))
}

/// SurveyMonkey: a question written once across its columns, the statement or option
/// below each ("Response" for single-answer questions).
fn apply_monkey(rows: &[Vec<String>], columns: &mut [Column]) {
    let mut carried = String::new();
    for (c, column) in columns.iter_mut().enumerate() {
        let top = at(rows, 0, c);
        if !top.is_empty() {
            carried = top.to_string();
        }
        let sub = at(rows, 1, c);
        let answer_header = SURVEYMONKEY_ANSWER_HEADERS.contains(&sub.to_lowercase().as_str());
        if sub.is_empty() || (answer_header && !top.is_empty()) {
            column.name = carried.clone();
            column.texts = vec![carried.clone()];
        } else {
            column.name = format!("{carried} - {sub}");
            column.label = Some(carried.clone());
            column.texts = vec![sub.to_string(), column.name.clone()];
        }
    }
}

/// Blank and repeated names get a position suffix, so every column can be addressed.
fn make_unique(columns: &mut [Column]) {
    let mut seen = std::collections::HashSet::new();
    for (i, column) in columns.iter_mut().enumerate() {
        if column.name.is_empty() {
            column.name = format!("column_{}", i + 1);
        }
        if !seen.insert(column.name.clone()) {
            column.name = format!("{} ({})", column.name, i + 1);
            seen.insert(column.name.clone());
        }
    }
}
