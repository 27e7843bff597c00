//! Multi-row headers of survey tools, flattened to one name per column.
//!
//! - Qualtrics: row 1 export tags (`Q1_1`), row 2 question text (matrix questions as
//!   "Question - Statement"), row 3 `{"ImportId":"QID1_1"}`.
//! - SurveyMonkey: row 1 question text written once across its columns, row 2 the
//!   statement or option per column ("Response" for single-answer questions).

use super::Column;

/// What the user asked for; `Auto` recognises the layout from the first rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeaderChoice {
    #[default]
    Auto,
    Single,
    Qualtrics,
    SurveyMonkey,
}

impl HeaderChoice {
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "auto" => Some(HeaderChoice::Auto),
            "single" | "1" => Some(HeaderChoice::Single),
            "qualtrics" => Some(HeaderChoice::Qualtrics),
            "surveymonkey" => Some(HeaderChoice::SurveyMonkey),
            _ => None,
        }
    }
}

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
