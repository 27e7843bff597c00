//! Multi-row headers of survey tools, flattened to one name per column.
//!
//! - Qualtrics: row 1 export tags (`Q1_1`), row 2 question text (matrix questions as
//!   "Question - Statement"), row 3 `{"ImportId":"QID1_1"}`.
//! - SurveyMonkey: row 1 question text written once across its columns, row 2 the
//!   statement or option per column ("Response" for single-answer questions).

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
    SurveyMonkey,
}

crate::choice!(HeaderChoice, "header", {
    Auto => "auto",
    Single => "single",
    Qualtrics => "qualtrics",
    SurveyMonkey => "surveymonkey",
}, aliases {
    "1" => Single,
});

/// The header layout in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderStyle {
    Single,
    Qualtrics,
    SurveyMonkey,
}

impl HeaderStyle {
    pub fn rows(self) -> usize {
        match self {
            HeaderStyle::Single => 1,
            HeaderStyle::Qualtrics => 3,
            HeaderStyle::SurveyMonkey => 2,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            HeaderStyle::Single => "single",
            HeaderStyle::Qualtrics => "qualtrics (3 header rows)",
            HeaderStyle::SurveyMonkey => "surveymonkey (2 header rows)",
        }
    }
}

const SURVEYMONKEY_ANSWER_HEADERS: [&str; 3] =
    ["response", "open-ended response", "other (please specify)"];

/// Recognises the layout from the first (up to three) rows.
pub fn detect(first_rows: &[Vec<String>], choice: HeaderChoice) -> HeaderStyle {
    match choice {
        HeaderChoice::Single => return HeaderStyle::Single,
        HeaderChoice::Qualtrics => return HeaderStyle::Qualtrics,
        HeaderChoice::SurveyMonkey => return HeaderStyle::SurveyMonkey,
        HeaderChoice::Auto => {}
    }
    let is_import_id = |f: &String| f.trim_start().starts_with("{\"ImportId\"");
    if first_rows.len() >= 3 && first_rows[2].iter().any(is_import_id) {
        return HeaderStyle::Qualtrics;
    }
    if first_rows.len() >= 2 {
        let (top, second) = (&first_rows[0], &first_rows[1]);
        let says_response = second
            .iter()
            .any(|f| SURVEYMONKEY_ANSWER_HEADERS.contains(&f.trim().to_lowercase().as_str()));
        let carried = top
            .iter()
            .zip(second)
            .skip(1)
            .any(|(t, s)| t.trim().is_empty() && !s.trim().is_empty());
        let respondent_id = top
            .first()
            .is_some_and(|f| f.trim().eq_ignore_ascii_case("respondent id"));
        if says_response && (carried || respondent_id) {
            return HeaderStyle::SurveyMonkey;
        }
    }
    HeaderStyle::Single
}

/// Names the columns from the header rows: unique names, question texts, texts to match.
pub fn apply(style: HeaderStyle, rows: &[Vec<String>], columns: &mut [Column]) {
    let width = columns.len();
    let cell = |r: usize, c: usize| {
        rows.get(r)
            .and_then(|row| row.get(c))
            .map(|s| s.trim())
            .unwrap_or("")
    };
    let mut carried = String::new();
    for (c, column) in columns.iter_mut().enumerate().take(width) {
        match style {
            HeaderStyle::Single => {
                column.name = cell(0, c).to_string();
                column.texts = vec![column.name.clone()];
            }
            HeaderStyle::Qualtrics => {
                column.name = cell(0, c).to_string();
                let question = cell(1, c);
                if !question.is_empty() {
                    column.label = Some(question.to_string());
                    column.texts = vec![question.to_string()];
                    if let Some((_, statement)) = question.rsplit_once(" - ") {
                        column.texts.push(statement.trim().to_string());
                    }
                }
            }
            HeaderStyle::SurveyMonkey => {
                let top = cell(0, c);
                if !top.is_empty() {
                    carried = top.to_string();
                }
                let sub = cell(1, c);
                let answer_header =
                    SURVEYMONKEY_ANSWER_HEADERS.contains(&sub.to_lowercase().as_str());
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
    }
    make_unique(columns);
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
