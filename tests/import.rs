//! The import kernels: decoding, CSV dialects, multi-row headers, `.sav` round trips, and
//! fuzzing of the text path (no input may panic or hang).

use lyhord::import::excel::read_workbook_bytes;
use lyhord::import::headers::{detect, HeaderChoice, HeaderStyle, ImportIds, MonkeyLayout};
use lyhord::import::mapping::{
    map_table, normalise, similarity, split_question_number, MapOptions,
};
use lyhord::import::sav::{self, WriteValues, WriteVariable};
use lyhord::import::text::{decode, sniff_delimiter};
use lyhord::import::{read_file, read_text_bytes, ReadOptions, Table, Values};
use lyhord::Instrument;
use proptest::prelude::*;

fn text_cells(table: &Table, column: usize) -> Vec<Option<String>> {
    match &table.columns[column].values {
        Values::Text(t) => t.iter().map(|c| c.map(str::to_string)).collect(),
        other => panic!("not text: {other:?}"),
    }
}

#[test]
fn windows_1252_is_decoded_and_utf8_kept() {
    // "Förvaltning;Åsa" in Windows-1252: ö = 0xF6, Å = 0xC5.
    let cp1252 = b"F\xf6rvaltning;\xc5sa\r\n";
    let (text, enc) = decode(cp1252.to_vec(), "x.csv", None).unwrap();
    assert_eq!(
        (text.to_text().as_ref(), enc.as_str()),
        ("Förvaltning;Åsa\r\n", "windows-1252")
    );
    let (text, enc) = decode("Förvaltning".into(), "x.csv", None).unwrap();
    assert_eq!(
        (text.to_text().as_ref(), enc.as_str()),
        ("Förvaltning", "UTF-8")
    );
    let (text, enc) = decode(b"\xef\xbb\xbfid".to_vec(), "x.csv", None).unwrap();
    assert_eq!(
        (text.to_text().as_ref(), enc.as_str()),
        ("id", "UTF-8 (BOM)")
    );
    let err = decode(cp1252.to_vec(), "x.csv", Some("utf-8"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 1 (byte 1) is not valid UTF-8"), "{err}");
}

#[test]
fn delimiter_is_sniffed_past_quoted_delimiters_and_line_breaks() {
    let text = "id,comment;x\n1,\"a;b\nc\";2\n";
    // Commas give 2 fields on the header and 3 on the data; semicolons 2 on both.
    let sniff = |text: &str, header_row| sniff_delimiter(&text.into(), header_row);
    assert_eq!(sniff(text, None), b';');
    assert_eq!(sniff("a\tb\tc\n1\t2\t3\n", None), b'\t');
    assert_eq!(sniff("a,b\n\"1,5\",2\n", None), b',');
    // A title block of 12 lines: the header is still found, below it when given.
    let titled = format!("{}a;b\n1;2\n", "Titel\n".repeat(12));
    assert_eq!(sniff(&titled, None), b';');
    let far = format!("{}a;b\n1;2\n", "Titel\n".repeat(60));
    assert_eq!(sniff(&far, Some(61)), b';');
}

#[test]
fn quoted_fields_keep_delimiters_quotes_and_line_breaks() {
    let csv = "id;text;eng1\r\n1;\"Bra; men \"\"stressigt\"\"\r\nibland\";4\r\n2;;3,0\r\n";
    let (table, info) = read_text_bytes(csv.as_bytes(), "t.csv", &ReadOptions::default()).unwrap();
    assert_eq!(table.rows, 2);
    assert_eq!(table.row_lines, Some(vec![2, 4]));
    assert_eq!(
        text_cells(&table, 1),
        vec![Some("Bra; men \"stressigt\"\r\nibland".to_string()), None]
    );
    assert_eq!(
        (info.delimiter.as_deref(), info.decimal.as_deref()),
        (Some("\";\""), Some(","))
    );
}

#[test]
fn a_large_file_read_in_parts_is_the_file() {
    // From 20 MB on a file is read in parts on two threads (given two cores), and its body
    // parsed in stretches; Windows-1252 so that fields are decoded one by one too.
    let mut csv = String::from("id;enhet;eng1\n");
    let mut rows = 0;
    while csv.len() < 21 << 20 {
        csv.push_str(&format!("{rows};Förskola {};{}\n", rows % 97, rows % 5 + 1));
        rows += 1;
    }
    let bytes = encoding_rs::WINDOWS_1252.encode(&csv).0.into_owned();
    let path = std::env::temp_dir().join(format!("lyhord-large-{}.csv", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();
    let read = read_file(&path, &ReadOptions::default());
    std::fs::remove_file(&path).ok();
    let (table, info) = read.unwrap();
    assert_eq!(
        (table.rows, info.encoding.as_deref()),
        (rows, Some("windows-1252"))
    );
    let last = rows - 1;
    let cells = |c: usize| text_cells(&table, c);
    assert_eq!(cells(0)[last].as_deref(), Some(last.to_string().as_str()));
    assert_eq!(
        cells(1)[last].as_deref(),
        Some(format!("Förskola {}", last % 97).as_str())
    );
    assert_eq!(
        cells(2)[last].as_deref(),
        Some((last % 5 + 1).to_string().as_str())
    );
    let (in_memory, _) = read_text_bytes(&bytes, "large.csv", &ReadOptions::default()).unwrap();
    for c in 0..3 {
        assert_eq!(text_cells(&in_memory, c), cells(c));
    }
}

fn rows(r: &[&[&str]]) -> Vec<Vec<String>> {
    r.iter()
        .map(|row| row.iter().map(|s| s.to_string()).collect())
        .collect()
}

fn auto(first: &[&[&str]]) -> Result<HeaderStyle, String> {
    detect(&rows(first), HeaderChoice::Auto, "t.csv").map_err(|e| e.to_string())
}

#[test]
fn qualtrics_and_surveymonkey_headers_are_recognised() {
    let qualtrics: &[&[&str]] = &[
        &["ResponseId", "Q1_1"],
        &["Response ID", "Q - I feel engaged in my work"],
        &["{\"ImportId\":\"_recordId\"}", "{\"ImportId\":\"QID1_1\"}"],
    ];
    assert_eq!(auto(qualtrics), Ok(HeaderStyle::Qualtrics(ImportIds::Json)));
    let monkey: &[&[&str]] = &[
        &["Respondent ID", "Hur väl stämmer…", "", "Enhet?"],
        &["", "Påstående 1", "Påstående 2", "Response"],
        &["1", "4", "5", "A"],
    ];
    assert_eq!(
        auto(monkey),
        Ok(HeaderStyle::SurveyMonkey(MonkeyLayout::Current))
    );
    let single = rows(&[&["id", "eng1"], &["1", "Response"]]);
    assert_eq!(
        detect(&single, HeaderChoice::Auto, "t.csv"),
        Ok(HeaderStyle::Single)
    );
    // Forced: the ImportId row is used when it is there, else the header is 2 rows.
    assert_eq!(
        detect(&single, HeaderChoice::Qualtrics, "t.csv"),
        Ok(HeaderStyle::Qualtrics(ImportIds::Absent))
    );
    assert_eq!(
        detect(&rows(qualtrics), HeaderChoice::Qualtrics, "t.csv"),
        Ok(HeaderStyle::Qualtrics(ImportIds::Json))
    );
}

#[test]
fn every_qualtrics_layout_is_recognised() {
    // 2016–17: a Python dict written as text.
    let single_quoted: &[&[&str]] = &[
        &["ResponseID", "Q1_1"],
        &["ResponseID", "Q - I feel engaged"],
        &["{'ImportId': 'ResponseID'}", "{'ImportId': 'QID1_1'}"],
    ];
    assert_eq!(
        auto(single_quoted),
        Ok(HeaderStyle::Qualtrics(ImportIds::SingleQuoted))
    );
    // Since 2017, with more keys than the ImportId.
    let zoned: &[&[&str]] = &[
        &["StartDate", "ResponseId", "Q1"],
        &["Start Date", "Response ID", "Q"],
        &[
            "{\"ImportId\":\"startDate\",\"timeZone\":\"Europe/Stockholm\"}",
            "{\"ImportId\":\"_recordId\"}",
            "{\"ImportId\":\"QID1\"}",
        ],
    ];
    assert_eq!(auto(zoned), Ok(HeaderStyle::Qualtrics(ImportIds::Json)));
    // The ImportId row deleted: row 2 still says "Response ID"; rows 2 and 3 deleted:
    // row 2 is an answer with its response id.
    assert_eq!(
        auto(&zoned[..2]),
        Ok(HeaderStyle::Qualtrics(ImportIds::Absent))
    );
    let answers: &[&[&str]] = &[zoned[0], &["2025-03-03", "R_1dA8bC9eF0gH1iJ", "4"]];
    assert_eq!(auto(answers), Ok(HeaderStyle::Single));
    let unclear: &[&[&str]] = &[zoned[0], &["2025-03-03", "", "4"]];
    let err = auto(unclear).unwrap_err();
    assert!(
        err.starts_with("t.csv: the header layout cannot be decided: row 1 has Qualtrics' tags")
            && err.contains(
                "header=\"qualtrics\" if row 2 holds the question texts, or header=\"single\""
            ),
        "{err}"
    );
}

#[test]
fn legacy_qualtrics_v_columns_are_recognised() {
    let v: Vec<String> = (1..=10).map(|i| format!("V{i}")).collect();
    let mut tags: Vec<&str> = v.iter().map(String::as_str).collect();
    tags.extend(["Q1_1", "Q1_2"]);
    let mut texts = vec![
        "ResponseID",
        "ResponseSet",
        "Name",
        "ExternalDataReference",
        "EmailAddress",
        "IPAddress",
        "Status",
        "StartDate",
        "EndDate",
        "Finished",
    ];
    texts.extend([
        "Hur väl stämmer det?-Jag är engagerad",
        "Hur väl stämmer det?-Jag lär mig",
    ]);
    assert_eq!(auto(&[&tags, &texts]), Ok(HeaderStyle::QualtricsLegacy));
    // The question row deleted: the first row names the columns.
    let mut answer = vec!["R_1dA8bC9eF0gH1iJ"; 10];
    answer.extend(["4", "5"]);
    assert_eq!(auto(&[&tags, &answer]), Ok(HeaderStyle::Single));
    answer[0] = "";
    let err = auto(&[&tags, &answer]).unwrap_err();
    assert!(
        err.contains("row 1 has Qualtrics' legacy tags V1…V10, but row 2 begins \"\"")
            && err.contains("Pass header=\"qualtrics-legacy\" if row 2 holds the question texts, or header=\"single\" if it holds answers"),
        "{err}"
    );
    // A frame written by R with default names (V1, V2, … V11) is no Qualtrics export.
    let r_frame: Vec<String> = (1..=12).map(|i| format!("V{i}")).collect();
    let r_frame: Vec<&str> = r_frame.iter().map(String::as_str).collect();
    assert_eq!(auto(&[&r_frame, &["1"; 12]]), Ok(HeaderStyle::Single));
    // The fixed columns are named by the question row, a matrix statement follows "-".
    let header = [tags.join(","), texts.join(",")].join("\r\n");
    let csv = format!("{header}\r\n{}\r\n", ["R_1dA8bC9eF0gH1iJ"; 12].join(","));
    let (table, info) = read_text_bytes(csv.as_bytes(), "l.csv", &ReadOptions::default()).unwrap();
    assert_eq!(info.header, "qualtrics (legacy V-columns)");
    let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(&names[..2], ["ResponseID", "ResponseSet"]);
    assert_eq!(&names[10..], ["Q1_1", "Q1_2"]);
    assert_eq!(table.columns[11].texts[1], "Jag lär mig");
}

#[test]
fn both_surveymonkey_layouts_are_recognised() {
    let older: &[&[&str]] = &[
        &[
            "RespondentID",
            "CollectorID",
            "StartDate",
            "Custom Data",
            "Enhet?",
        ],
        &["", "", "", "", "Response"],
        &["4123456789", "61234567", "03/02/2015", "", "A"],
    ];
    assert_eq!(
        auto(older),
        Ok(HeaderStyle::SurveyMonkey(MonkeyLayout::Older))
    );
    // The sub-question row deleted: row 2 is an answer.
    assert_eq!(auto(&[older[0], older[2]]), Ok(HeaderStyle::Single));
    // Row 2 blank under the respondent id but no sub-question: a header or an answer?
    let err = auto(&[older[0], &["", "61234567", "03/02/2015", "", "A"]]).unwrap_err();
    assert!(
        err.contains("row 1 begins with SurveyMonkey's \"RespondentID\" and Collector ID")
            && err.contains("Pass header=\"surveymonkey\" if row 2 holds the sub-questions, or header=\"single\" if it holds answers"),
        "{err}"
    );
    let options = ReadOptions {
        header: HeaderChoice::SurveyMonkey,
        ..ReadOptions::default()
    };
    let csv = "\"RespondentID\",\"CollectorID\",\"Enhet?\"\r\n\"\",\"61234567\",\"A\"\r\n\"1\",\"2\",\"B\"\r\n";
    let (table, info) = read_text_bytes(csv.as_bytes(), "m.csv", &options).unwrap();
    assert_eq!(
        (info.header.as_str(), table.rows),
        ("surveymonkey (older RespondentID layout, 2 header rows)", 1)
    );
}

fn export_fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/exports")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The generator's exports (`lyhord.write_example_exports`), each in a tool's shape:
/// the layout is named in the report and no header row is left among the answers.
#[test]
fn every_tool_layout_reads_from_its_fixture() {
    let expected = [
        (
            "exempelkommun-qualtrics.csv",
            "qualtrics (3 header rows)",
            "ResponseId",
        ),
        (
            "exempelkommun-qualtrics-2017.csv",
            "qualtrics (3 header rows, 2016–17 ImportIds in single quotes)",
            "ResponseID",
        ),
        (
            "exempelkommun-qualtrics-legacy.csv",
            "qualtrics (legacy V-columns)",
            "ResponseID",
        ),
        (
            "exempelkommun-surveymonkey.csv",
            "surveymonkey (2 header rows)",
            "Respondent ID",
        ),
        (
            "exempelkommun-surveymonkey-2015.csv",
            "surveymonkey (older RespondentID layout, 2 header rows)",
            "RespondentID",
        ),
        (
            "exempelkommun-qualtrics-xlsx.xlsx",
            "qualtrics (3 header rows)",
            "ResponseId",
        ),
        (
            "exempelkommun-surveymonkey-xlsx.xlsx",
            "surveymonkey (2 header rows)",
            "Respondent ID",
        ),
    ];
    for (name, header, id) in expected {
        let bytes = export_fixture(name);
        let (table, info) = if name.ends_with(".xlsx") {
            read_workbook_bytes(&bytes, name, "xlsx", &ReadOptions::default())
        } else {
            read_text_bytes(&bytes, name, &ReadOptions::default())
        }
        .unwrap();
        assert_eq!((info.header.as_str(), table.rows), (header, 300), "{name}");
        let column = table.columns.iter().find(|c| c.name == id);
        let first_id = match column.map(|c| &c.values) {
            Some(Values::Text(t)) => t.get(0).map(str::to_string),
            other => panic!("{name}: {other:?}"),
        };
        assert_eq!(first_id.as_deref(), Some("EK25-00001"), "{name}");
    }
}

#[test]
fn text_similarity_and_normalising() {
    // Levenshtein("kitten", "sitting") = 3 (the textbook example), longer length 7.
    assert!((similarity("kitten", "sitting") - (1.0 - 3.0 / 7.0)).abs() < 1e-12);
    assert_eq!(
        normalise("  Jag KÄNNER mig, engagerad!  "),
        "jag känner mig engagerad"
    );
}

#[test]
fn labels_and_codes_map_and_problems_are_counted() {
    let inst = Instrument::builtin("epl-staff").unwrap();
    let header: Vec<String> = inst.items.iter().map(|i| i.id.clone()).collect();
    let mut csv = format!("id;{}\n", header.join(";"));
    let answers = [
        "Stämmer helt",
        "vet  ej",
        "Agree",
        "7",
        "3,0",
        "Kanske",
        "",
        "2",
    ];
    for (r, answer) in answers.iter().enumerate() {
        let rest = vec!["3"; header.len() - 1].join(";");
        csv.push_str(&format!("{r};{answer};{rest}\n"));
    }
    let (table, info) = read_text_bytes(csv.as_bytes(), "a.csv", &ReadOptions::default()).unwrap();
    let options = MapOptions {
        decimal: b',',
        ..MapOptions::default()
    };
    let (frame, report) = map_table(&table, info, &inst, &options).unwrap();
    let eng1: Vec<Option<i64>> = frame
        .column("eng1")
        .unwrap()
        .i64()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(
        eng1,
        vec![
            Some(5),
            Some(6),
            Some(4),
            None,
            Some(3),
            None,
            None,
            Some(2)
        ]
    );
    let c = &report.columns[1];
    assert_eq!((c.n_valid, c.n_dont_know, c.n_missing), (4, 1, 3));
    assert_eq!(
        (c.n_out_of_range, c.n_unknown_label, c.n_labels_mapped),
        (1, 1, 3)
    );
    assert_eq!(c.out_of_range[0].rows, vec![5]);
    assert_eq!(c.unknown_labels[0].value, "Kanske");
    // Every row answers 3 to the other items; only the "3,0" row (file line 6) also
    // answers 3 to eng1, so it alone gave the same answer to every item.
    assert_eq!(report.straightliners, vec![6]);
}

#[test]
fn question_numbers_are_split_off_only_when_clear() {
    let text = "Mitt arbete känns meningsfullt";
    for (written, number) in [
        ("1. ", "1."),
        ("1) ", "1)"),
        ("12: ", "12:"),
        ("2.3. ", "2.3."),
        ("Fråga 1: ", "Fråga 1:"),
        ("FRÅGA 1. ", "FRÅGA 1."),
        ("fråga 1 ", "fråga 1"),
        ("Question 4 - ", "Question 4 -"),
        ("Q1. ", "Q1."),
        ("Q1: ", "Q1:"),
        ("Q1 ", "Q1"),
        ("  Q 1 ", "Q 1"),
    ] {
        assert_eq!(
            split_question_number(&format!("{written}{text}")),
            Some((number, text)),
            "{written:?}"
        );
    }
    // A bare number, a decimal, a year, a number glued to the text, a word starting with
    // Q, or a number and nothing else: not a question number.
    for written in [
        "1 Mitt arbete",
        "1.5 timmar",
        "2025: året",
        "1.Mitt arbete",
        "Quality 1. x",
        "Q1_1",
        "1. ",
        "Mitt arbete 1.",
    ] {
        assert_eq!(split_question_number(written), None, "{written:?}");
    }
}

#[test]
fn title_block_above_the_header_is_found_and_reported() {
    let hme = Instrument::builtin("HME").unwrap();
    let header: Vec<String> = hme
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| format!("{}. {}", i + 1, item.text.sv))
        .collect();
    let answers = vec!["Stämmer ganska bra"; header.len()].join(";");
    // A bare title line (no delimiters), a blank line, then the table.
    let csv = format!(
        "Medarbetarenkät 2025\r\n\r\nSvars-ID;{}\r\nA1;{answers}\r\nA2;{answers}\r\n",
        header.join(";")
    );
    let (table, info) = read_text_bytes(csv.as_bytes(), "t.csv", &ReadOptions::default()).unwrap();
    assert_eq!(info.delimiter.as_deref(), Some("\";\""));
    assert_eq!((info.header_row, info.title_block), (Some(3), true));
    assert_eq!(table.row_lines, Some(vec![4, 5]));
    let (frame, report) = map_table(&table, info, &hme, &MapOptions::default()).unwrap();
    assert_eq!(frame.column("hme9").unwrap().i64().unwrap().get(1), Some(4));
    assert_eq!(report.columns[1].question_number.as_deref(), Some("1."));
    assert_eq!(
        (report.id_column.as_deref(), report.id_found_by.as_deref()),
        (Some("Svars-ID"), Some("name"))
    );
    // The header row given: the title line is passed over as it is.
    let given = ReadOptions {
        header_row: Some(3),
        ..ReadOptions::default()
    };
    let (_, info) = read_text_bytes(csv.as_bytes(), "t.csv", &given).unwrap();
    assert_eq!((info.header_row, info.header_row_given), (Some(3), true));
    let past = ReadOptions {
        header_row: Some(9),
        ..ReadOptions::default()
    };
    let err = read_text_bytes(csv.as_bytes(), "t.csv", &past).unwrap_err();
    assert_eq!(
        err.to_string(),
        "parameter `header_row`: t.csv: row 9 is past the end; the last row is 5"
    );
    // A one-column file has no title block.
    let (_, info) = read_text_bytes(b"x\n1\n2\n", "one.csv", &ReadOptions::default()).unwrap();
    assert_eq!((info.header_row, info.title_block), (Some(1), false));
}

#[test]
fn sav_round_trip_keeps_values_labels_and_missing_codes() {
    let variables = vec![
        WriteVariable {
            name: "enhet_namn_som_är_långt".into(),
            label: Some("Enhet".into()),
            values: WriteValues::Text(vec![Some("Åsen".into()), None, Some("x".repeat(200))]),
            value_labels: vec![],
            user_missing: vec![],
        },
        WriteVariable {
            name: "F1".into(),
            label: Some("Jag känner mig engagerad i mitt arbete".into()),
            values: WriteValues::Numbers(vec![Some(5.0), Some(9.0), None]),
            value_labels: vec![(5.0, "Stämmer helt".into()), (9.0, "Ej svar".into())],
            user_missing: vec![9.0],
        },
        WriteVariable {
            name: "vikt".into(),
            label: None,
            values: WriteValues::Numbers(vec![Some(1.25), Some(-1e300), Some(151.0)]),
            value_labels: vec![],
            user_missing: vec![],
        },
    ];
    let bytes = sav::write(&variables, "test").unwrap();
    let (table, info) = sav::read_bytes(&bytes, "t.sav").unwrap();
    assert_eq!((table.rows, info.encoding.as_deref()), (3, Some("UTF-8")));
    let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["enhet_namn_som_är_långt", "F1", "vikt"]);
    assert_eq!(
        text_cells(&table, 0),
        vec![Some("Åsen".into()), None, Some("x".repeat(200))]
    );
    let f1 = &table.columns[1];
    assert!(matches!(&f1.values, Values::Numbers(v) if *v == vec![Some(5.0), Some(9.0), None]));
    assert_eq!(
        f1.label.as_deref(),
        Some("Jag känner mig engagerad i mitt arbete")
    );
    assert_eq!(f1.value_labels[1], (9.0, "Ej svar".to_string()));
    assert!(f1.user_missing.contains(9.0) && !f1.user_missing.contains(5.0));
    assert!(
        matches!(&table.columns[2].values, Values::Numbers(v) if *v == vec![Some(1.25), Some(-1e300), Some(151.0)])
    );
    // Every cut of the file is an error naming it, never a panic.
    for cut in (0..bytes.len()).step_by(7) {
        let err = sav::read_bytes(&bytes[..cut], "cut.sav")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("cut.sav:"), "{err}");
    }
}

/// Cells a survey export may hold, including delimiters, quotes and line breaks.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,2}",
        "[a-zåäö ]{0,8}",
        "[€…åÅ\"; ]{1,4}",
        Just("a;b".to_string()),
        Just("say \"hi\"".to_string()),
        Just("two\nlines".to_string()),
        Just(String::new()),
    ]
}

fn quote(s: &str, delimiter: char) -> String {
    if s.contains([delimiter, '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Arbitrary bytes either read or fail with an error naming the file; never a panic.
    #[test]
    fn any_bytes_read_or_fail_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        match read_text_bytes(&bytes, "fuzz.csv", &ReadOptions::default()) {
            Ok((table, _)) => prop_assert!(table.columns.iter().all(|c| c.values.len() == table.rows)),
            Err(e) => prop_assert!(e.to_string().starts_with("fuzz.csv:") || e.to_string().contains("parameter")),
        }
    }

    /// Any table written with standard quoting reads back cell for cell, in UTF-8 and in
    /// Windows-1252 (which is decoded field by field).
    #[test]
    fn written_tables_read_back(
        rows in proptest::collection::vec(proptest::collection::vec(cell(), 3), 1..12),
        delimiter in prop_oneof![Just(';'), Just(','), Just('\t')],
        windows_1252 in any::<bool>(),
    ) {
        let header = ["id", "text", "eng1"];
        let mut csv = header.join(&delimiter.to_string());
        for row in &rows {
            csv.push_str("\r\n");
            let cells: Vec<String> = row.iter().map(|c| quote(c, delimiter)).collect();
            csv.push_str(&cells.join(&delimiter.to_string()));
        }
        // Named: a short Windows-1252 text can be valid UTF-8 by chance ("Å…" is "Ņ").
        let encoding = windows_1252.then(|| "windows-1252".to_string());
        let options = ReadOptions { delimiter: Some(delimiter as u8), encoding, ..ReadOptions::default() };
        let bytes = if windows_1252 {
            encoding_rs::WINDOWS_1252.encode(&csv).0.into_owned()
        } else {
            csv.into_bytes()
        };
        let (table, _) = read_text_bytes(&bytes, "p.csv", &options).unwrap();
        prop_assert_eq!(table.rows, rows.len());
        for c in 0..3 {
            let expected: Vec<Option<String>> =
                rows.iter().map(|r| Some(r[c].clone()).filter(|s| !s.is_empty())).collect();
            prop_assert_eq!(text_cells(&table, c), expected);
        }
    }
}

/// The real-format seeds: files written by SPSS (pyreadstat's test data), by haven/ReadStat
/// and by pyreadstat (`tests/data/sav/README.md` says which is which).
fn sav_seeds() -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sav");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("sav" | "zsav")))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_seed_reads() {
    for (name, bytes) in sav_seeds() {
        let (table, info) =
            sav::read_bytes(&bytes, &name).unwrap_or_else(|e| panic!("{name}: {e}"));
        eprintln!(
            "{name}: {} rows, {} columns, {:?}",
            table.rows,
            table.columns.len(),
            info.encoding
        );
    }
}

/// One item, so any `.sav` can go through `map_table` with a column added for it.
const ONE_ITEM: &str = r#"
id = "one"
name = { sv = "Ett item" }
[scale]
min = 1
max = 5
positive = [4, 5]
[index]
id = "index"
label = { sv = "Index" }
rule = "mean_of_items"
min_answered = 1
[[items]]
id = "zz_item"
text = { sv = "x" }
"#;

/// The frame and report of a `.sav`, every column of it a background column.
fn map_sav(
    bytes: &[u8],
    name: &str,
) -> Result<
    (
        polars::prelude::DataFrame,
        lyhord::import::mapping::ImportReport,
    ),
    lyhord::error::ImportError,
> {
    let (mut table, info) = sav::read_bytes(bytes, name)?;
    let inst = Instrument::from_toml_str(ONE_ITEM, "one").unwrap();
    table.columns.push(lyhord::import::Column::new(
        "zz_item".into(),
        Values::Numbers(vec![Some(1.0); table.rows]),
    ));
    map_table(&table, info, &inst, &MapOptions::default())
}

fn column_report<'r>(
    report: &'r lyhord::import::mapping::ImportReport,
    name: &str,
) -> &'r lyhord::import::mapping::ColumnReport {
    report.columns.iter().find(|c| c.column == name).unwrap()
}

/// The one-variable files of haven's tests/testthat/spss and pyreadstat's test_data, with
/// the values and metadata pyreadstat 1.3.7 reads from them (`pyreadstat.read_sav(path,
/// user_missing=False)`, and `original_variable_types`, `variable_measure`,
/// `variable_value_labels`, `missing_ranges` of its metadata).
#[test]
fn one_variable_files_match_pyreadstat() {
    use polars::prelude::*;
    let seeds: std::collections::HashMap<String, Vec<u8>> = sav_seeds().into_iter().collect();
    let read = |name: &str| map_sav(&seeds[name], name).unwrap();
    let strings = |df: &DataFrame, c: &str| -> Vec<Option<String>> {
        let s = df.column(c).unwrap().cast(&DataType::String).unwrap();
        s.str()
            .unwrap()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect()
    };
    let some = |v: &[&str]| v.iter().map(|s| Some(s.to_string())).collect::<Vec<_>>();

    // haven labelled-str.sav: gender A1 {F: Female, M: Male}, values M, F → Enum.
    let (df, report) = read("haven-labelled-str.sav");
    assert!(matches!(
        df.column("gender").unwrap().dtype(),
        DataType::Enum(..)
    ));
    assert_eq!(strings(&df, "gender"), some(&["Male", "Female"]));
    let r = column_report(&report, "gender");
    assert_eq!(
        (
            r.format.as_deref(),
            r.measure.as_deref(),
            r.labels.as_deref()
        ),
        (Some("A1"), Some("nominal"), Some("enum"))
    );

    // haven labelled-num-na.sav: VAR00002 {1: This is one}, missing 9; values 1, 9.
    let (df, report) = read("haven-labelled-num-na.sav");
    assert_eq!(
        strings(&df, "VAR00002"),
        vec![Some("This is one".into()), None]
    );
    let r = column_report(&report, "VAR00002");
    assert_eq!(
        (
            r.n_user_missing,
            r.user_missing.as_deref(),
            r.measure.as_deref()
        ),
        (1, Some("9"), None)
    );

    // haven umlauts.sav: {1: the ä umlaut, 2: the ü umlaut, 3: the ö umlaut}; 1, 2, 1, 3.
    let (df, _) = read("haven-umlauts.sav");
    assert_eq!(
        strings(&df, "var1"),
        some(&[
            "the ä umlaut",
            "the ü umlaut",
            "the ä umlaut",
            "the ö umlaut"
        ])
    );

    // pyreadstat missing_char.sav (windows-1252): mychar A8 {a: labeled}, missing 'Z';
    // values Z, a → null, "labeled".
    let (df, report) = read("pyreadstat-missing_char.sav");
    assert_eq!(strings(&df, "mychar"), vec![None, Some("labeled".into())]);
    assert_eq!(
        column_report(&report, "mychar").user_missing.as_deref(),
        Some("'Z'")
    );

    // pyreadstat missing_test.sav: var1 F8.2 {1: missing}, missing 1; values 1, 2 → the
    // only label is of a missing code, so 2 has none: codes kept.
    let (df, report) = read("pyreadstat-missing_test.sav");
    assert_eq!(strings(&df, "var1"), vec![None, Some("2".into())]);
    assert_eq!(
        column_report(&report, "var1").labels.as_deref(),
        Some("kept")
    );

    // pyreadstat ordered_category.sav: Col1 ordinal {1: high, 2: low, 3: medium}.
    let (df, report) = read("pyreadstat-ordered_category.sav");
    let DataType::Enum(cats, _) = df.column("Col1").unwrap().dtype() else {
        panic!()
    };
    assert_eq!(
        cats.categories().values_iter().collect::<Vec<_>>(),
        ["high", "low", "medium"]
    );
    assert_eq!(
        column_report(&report, "Col1").measure.as_deref(),
        Some("ordinal")
    );

    // pyreadstat hebrews.sav: a Hebrew long name (7/13 in UTF-8), 99 cases, 33 first.
    let (df, report) = read("pyreadstat-hebrews.sav");
    assert_eq!(strings(&df, "ותק_ב")[0].as_deref(), Some("33"));
    assert_eq!(report.rows_kept, 99);
}

#[test]
fn damaged_structures_are_errors_naming_the_byte() {
    let seeds: std::collections::HashMap<String, Vec<u8>> = sav_seeds().into_iter().collect();
    let whole = &seeds["pyreadstat-features.sav"];
    let replace = |from: &[u8], to: &[u8]| {
        let at = whole.windows(from.len()).position(|w| w == from).unwrap();
        let mut out = whole.clone();
        out.splice(at..at + from.len(), to.iter().copied());
        out
    };
    let err = |bytes: &[u8]| sav::read_bytes(bytes, "bad.sav").unwrap_err().to_string();
    // A very long string wider than SPSS allows (was: capacity overflow).
    let e = err(&replace(b"KOMMENTA=00680", b"KOMMENTA=99999"));
    assert!(
        e.starts_with("bad.sav: byte ") && e.contains("width is not a number from 256 to 32767"),
        "{e}"
    );
    // A 9-byte string ("kommun", A9) whose continuation record is gone.
    let mut cut = whole.clone();
    let name = cut.windows(8).position(|w| w == b"KOMMUN  ").unwrap();
    // The record starts 24 bytes before its name; the continuation record follows it
    // (32 bytes, no label or missing values for continuations).
    let record = name - 24;
    let label_len = i32::from_le_bytes(cut[name + 8..name + 12].try_into().unwrap()) as usize;
    let continuation = name + 8 + 4 + label_len.div_ceil(4) * 4;
    assert_eq!(
        &cut[continuation + 4..continuation + 8],
        &(-1i32).to_le_bytes()
    );
    cut.drain(continuation..continuation + 32);
    let e = err(&cut);
    assert!(
        e.contains("needs 1 more continuation record(s)")
            || e.contains("still needs 1 continuation"),
        "{e}"
    );
    assert!(record > 0);
    // A value-label count far larger than the file.
    let mut big = whole.clone();
    let at = big
        .windows(4)
        .position(|w| w == 3i32.to_le_bytes())
        .unwrap();
    let _ = at;
    let lab = big
        .windows(8)
        .position(|w| w == [3, 0, 0, 0, 3, 0, 0, 0])
        .unwrap();
    big[lab + 4..lab + 8].copy_from_slice(&i32::MAX.to_le_bytes());
    let e = err(&big);
    assert!(e.contains("value label record: count 2147483647"), "{e}");
}

/// One change to a seed: byte-level, or a declared count / width set to an extreme.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Truncate(usize),
    /// A 4-byte-aligned integer (counts, widths, record types) set to `value`.
    Int(usize, i32),
    /// A number in the text records (7/13, 7/14) replaced by a large one.
    Digits(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let extreme = prop_oneof![
        Just(-1i32),
        Just(0),
        Just(1),
        Just(2),
        Just(3),
        Just(7),
        Just(255),
        Just(256),
        Just(32_767),
        Just(65_535),
        Just(1 << 20),
        Just(i32::MAX),
        Just(i32::MIN),
        any::<i32>()
    ];
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(p, x)| Mutation::Flip(p, x)),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 1..16)
        )
            .prop_map(|(p, b)| Mutation::Insert(p, b)),
        (any::<usize>(), 1usize..64).prop_map(|(p, n)| Mutation::Delete(p, n)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), extreme).prop_map(|(p, x)| Mutation::Int(p, x)),
        any::<usize>().prop_map(Mutation::Digits),
    ]
}

fn mutate(bytes: &mut Vec<u8>, m: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    let len = bytes.len();
    match m {
        Mutation::Flip(p, x) => bytes[p % len] ^= x,
        Mutation::Insert(p, b) => {
            let p = p % len;
            bytes.splice(p..p, b.iter().copied());
        }
        Mutation::Delete(p, n) => {
            let p = p % len;
            bytes.drain(p..(p + n).min(len));
        }
        Mutation::Truncate(p) => bytes.truncate(p % len),
        Mutation::Int(p, x) => {
            let p = (p % len) / 4 * 4;
            if p + 4 <= len {
                bytes[p..p + 4].copy_from_slice(&x.to_le_bytes());
            }
        }
        Mutation::Digits(p) => {
            let digits: Vec<usize> = (0..len)
                .filter(|&i| bytes[i].is_ascii_digit() && i > 0 && bytes[i - 1] == b'=')
                .collect();
            if let Some(&at) = digits.get(p % digits.len().max(1)) {
                let end = (at..len)
                    .find(|&i| !bytes[i].is_ascii_digit())
                    .unwrap_or(len);
                bytes.splice(at..end, b"99999999999999999999".iter().copied());
            }
        }
    }
}

/// Every seed, and lyhord's own writer's output (read once).
fn fuzz_seeds() -> &'static [Vec<u8>] {
    static SEEDS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(load_fuzz_seeds)
}

fn load_fuzz_seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = sav_seeds().into_iter().map(|(_, b)| b).collect();
    let own = vec![
        WriteVariable {
            name: "förvaltning".into(),
            label: Some("Förvaltning".into()),
            values: WriteValues::Numbers(vec![Some(1.0), Some(2.0), Some(9.0)]),
            value_labels: vec![(1.0, "Social".into()), (2.0, "Kultur".into())],
            user_missing: vec![9.0],
        },
        WriteVariable {
            name: "kommentar".into(),
            label: None,
            values: WriteValues::Text(vec![Some("x".repeat(40)), None, Some("å".into())]),
            value_labels: vec![],
            user_missing: vec![],
        },
    ];
    seeds.push(sav::write(&own, "fuzz").unwrap());
    seeds
}

/// Cases per run: about 2 s in the dev profile (files of a few kilobytes); `SAV_FUZZ_CASES=1000000` for a long run.
fn fuzz_cases() -> u32 {
    std::env::var("SAV_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40_000)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(fuzz_cases()))]

    /// Damaged real-format files read or fail with an error naming the file; never a
    /// panic, an allocation failure or a hang. Those that read also map (typed columns).
    #[test]
    fn damaged_sav_reads_or_fails_cleanly(
        seed in any::<proptest::sample::Index>(),
        mutations in proptest::collection::vec(mutation(), 1..5),
    ) {
        let seeds = fuzz_seeds();
        let mut bytes = seeds[seed.index(seeds.len())].clone();
        for m in &mutations {
            mutate(&mut bytes, m);
        }
        match map_sav(&bytes, "fuzz.sav") {
            Ok((df, report)) => prop_assert_eq!(df.width(), report.columns.len()),
            Err(e) => prop_assert!(e.to_string().starts_with("fuzz.sav:") || e.to_string().contains("the DataFrame") || e.to_string().contains("SPSS column"), "{}", e),
        }
    }
}

/// The text and workbook fuzz (its own module: the SPSS fuzz above has its own `Mutation`).
mod export_fuzz {
    use super::*;

    // ---- fuzzing the text and workbook readers over real-format seeds -------------------------
    //
    // Seeds are the export fixtures (each in a survey tool's shape, tests/data/exports/) and an
    // OpenDocument sheet written below; a case applies a few byte mutations (flips, inserts,
    // deletions, duplicated ranges, cuts, and tokens the formats care about) to one seed, for
    // workbooks either to the zip bytes or to one XML part inside, zipped again. Every case
    // must give Ok or an error naming the file: never a panic, never a hang.
    //
    // LYHORD_FUZZ_CASES sets the cases per target (default 256) and LYHORD_FUZZ_SECONDS the
    // time after which the remaining cases are skipped (default 3), e.g. a longer run:
    // LYHORD_FUZZ_CASES=20000 LYHORD_FUZZ_SECONDS=600 cargo test --release --test import fuzz_

    use std::sync::OnceLock;
    use std::time::{Duration, Instant};

    fn env_number(name: &str, default: u64) -> u64 {
        std::env::var(name)
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(default)
    }

    fn fuzz_config() -> ProptestConfig {
        ProptestConfig {
            cases: env_number("LYHORD_FUZZ_CASES", 256) as u32,
            // A failing input is printed and kept below as a regression test, not in a file.
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    /// Whether a fuzz target still has time; the clock starts at its first case.
    fn within_budget(start: &OnceLock<Instant>) -> bool {
        let budget = Duration::from_secs(env_number("LYHORD_FUZZ_SECONDS", 3));
        start.get_or_init(Instant::now).elapsed() < budget
    }

    /// No single input may take long: a reader that loops shows up here, not as a stuck run.
    const SLOW: Duration = Duration::from_secs(10);

    /// Bytes the formats give meaning to: quotes, line ends, delimiters, BOMs, invalid UTF-8,
    /// the header marks of the survey tools, and XML a sheet is made of.
    const TOKENS: &[&[u8]] = &[
        b"\"",
        b"\"\"",
        b"\r\n",
        b"\n",
        b"\r",
        b",",
        b";",
        b"\t",
        b"\0",
        b"\xef\xbb\xbf",
        b"\xff\xfe",
        b"\xc3",
        b"{'ImportId': '",
        b"{\"ImportId\":\"QID1\",\"timeZone\":\"Europe/Stockholm\"}",
        b"V1,V2,V3,V4,V5,V6,V7,V8,V9,V10,",
        b"RespondentID,CollectorID,",
        b"Response",
        b"R_1dA8bC9eF0gH1iJ",
        b"<c r=\"XFD1048576\" t=\"inlineStr\"><is><t>x</t></is></c>",
        b"<c r=\"A1048576\"><v>1e308</v></c>",
        b"<c r=\"B2\" t=\"s\"><v>4294967295</v></c>",
        b"<row r=\"0\">",
        b"</row>",
        b"<table:table-row table:number-rows-repeated=\"1048576\">",
        b"table:number-columns-repeated=\"16384\"",
        b"<office:annotation>",
        b"<text:s text:c=\"4000000000\"/>",
        b"&#0;&amp;&",
        b"<![CDATA[",
    ];

    #[derive(Debug, Clone)]
    enum Mutation {
        Flip(prop::sample::Index, u8),
        Insert(prop::sample::Index, Vec<u8>),
        Delete(prop::sample::Index, usize),
        Duplicate(prop::sample::Index, usize),
        Cut(prop::sample::Index),
        Token(prop::sample::Index, prop::sample::Index),
    }

    fn mutation() -> impl Strategy<Value = Mutation> {
        let at = any::<prop::sample::Index>;
        prop_oneof![
            (at(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
            (at(), proptest::collection::vec(any::<u8>(), 1..16))
                .prop_map(|(i, b)| Mutation::Insert(i, b)),
            (at(), 1usize..64).prop_map(|(i, n)| Mutation::Delete(i, n)),
            (at(), 1usize..256).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
            at().prop_map(Mutation::Cut),
            (at(), at()).prop_map(|(i, t)| Mutation::Token(i, t)),
        ]
    }

    fn mutate(bytes: &mut Vec<u8>, m: &Mutation) {
        let len = bytes.len();
        let pos = |i: &prop::sample::Index| if len == 0 { 0 } else { i.index(len + 1) };
        match m {
            Mutation::Flip(i, b) if len > 0 => bytes[i.index(len)] ^= b | 1,
            Mutation::Flip(..) => {}
            Mutation::Insert(i, b) => {
                let p = pos(i);
                bytes.splice(p..p, b.iter().copied());
            }
            Mutation::Delete(i, n) => {
                let p = pos(i);
                bytes.drain(p..(p + n).min(len));
            }
            Mutation::Duplicate(i, n) => {
                let p = pos(i);
                let piece = bytes[p..(p + n).min(len)].to_vec();
                bytes.splice(p..p, piece);
            }
            Mutation::Cut(i) => bytes.truncate(pos(i)),
            Mutation::Token(i, t) => {
                let p = pos(i);
                bytes.splice(p..p, TOKENS[t.index(TOKENS.len())].iter().copied());
            }
        }
    }

    fn exports_dir() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/exports")
    }

    /// The fixtures with one of the `suffixes`, as (name, bytes), read once.
    fn fixtures(suffixes: &[&str]) -> Vec<(String, Vec<u8>)> {
        let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(exports_dir())
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension()
                    .is_some_and(|x| suffixes.contains(&x.to_string_lossy().as_ref()))
            })
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(&p).unwrap())
            })
            .collect();
        out.sort();
        out
    }

    fn text_seeds() -> &'static [(String, Vec<u8>)] {
        static SEEDS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
        SEEDS.get_or_init(|| fixtures(&["csv", "txt"]))
    }

    fn header_choice() -> impl Strategy<Value = HeaderChoice> {
        prop_oneof![
            4 => Just(HeaderChoice::Auto),
            1 => Just(HeaderChoice::Single),
            1 => Just(HeaderChoice::Qualtrics),
            1 => Just(HeaderChoice::QualtricsLegacy),
            1 => Just(HeaderChoice::SurveyMonkey),
        ]
    }

    fn read_options() -> impl Strategy<Value = ReadOptions> {
        (
            header_choice(),
            proptest::option::weighted(0.1, 1usize..6),
            proptest::option::weighted(
                0.1,
                prop_oneof![Just("utf-8"), Just("windows-1252"), Just("utf-16")],
            ),
        )
            .prop_map(|(header, header_row, encoding)| ReadOptions {
                header,
                header_row,
                encoding: encoding.map(str::to_string),
                ..ReadOptions::default()
            })
    }

    /// Ok with columns as long as the table, or an error naming the file (or the parameter).
    fn check_outcome(
        result: Result<(Table, lyhord::import::SourceInfo), lyhord::error::ImportError>,
        file: &str,
        took: Duration,
    ) -> Result<(), TestCaseError> {
        prop_assert!(took < SLOW, "{file}: took {took:?}");
        match result {
            Ok((table, _)) => {
                prop_assert!(table.rows > 0);
                prop_assert!(table.columns.iter().all(|c| c.values.len() == table.rows));
            }
            Err(e) => {
                let message = e.to_string();
                prop_assert!(
                    message.starts_with(&format!("{file}:")) || message.starts_with("parameter `"),
                    "{message}"
                );
            }
        }
        Ok(())
    }

    /// Maps what was read to an instrument, as `read_export` does next: no panic there either.
    fn map_too(result: &Result<(Table, lyhord::import::SourceInfo), lyhord::error::ImportError>) {
        static INSTRUMENT: OnceLock<Instrument> = OnceLock::new();
        let inst = INSTRUMENT.get_or_init(|| Instrument::builtin("epl-staff").unwrap());
        if let Ok((table, info)) = result {
            let _ = map_table(table, info.clone(), inst, &MapOptions::default());
        }
    }

    fn zip_parts(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        (0..archive.len())
            .map(|i| {
                let mut entry = archive.by_index(i).unwrap();
                let mut data = Vec::new();
                std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
                (entry.name().unwrap().to_string(), data)
            })
            .collect()
    }

    fn zip_of(parts: &[(String, Vec<u8>)]) -> Vec<u8> {
        use std::io::Write;
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in parts {
            let method = if name == "mimetype" {
                zip::CompressionMethod::Stored
            } else {
                zip::CompressionMethod::Deflated
            };
            let options = zip::write::SimpleFileOptions::default().compression_method(method);
            writer.start_file(name.as_str(), options).unwrap();
            writer.write_all(data).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    /// An OpenDocument spreadsheet as LibreOffice saves a SurveyMonkey export: two header
    /// rows (the question over its statements), then answers; numbers as floats.
    fn ods_bytes(rows: &[&[&str]]) -> Vec<u8> {
        let cell = |v: &&str| {
            match v.parse::<f64>() {
        _ if v.is_empty() => "<table:table-cell/>".to_string(),
        Ok(x) => format!("<table:table-cell office:value-type=\"float\" office:value=\"{x}\"><text:p>{v}</text:p></table:table-cell>"),
        Err(_) => format!("<table:table-cell office:value-type=\"string\"><text:p>{v}</text:p></table:table-cell>"),
    }
        };
        let body: String = rows
            .iter()
            .map(|r| {
                format!(
                    "<table:table-row>{}</table:table-row>",
                    r.iter().map(cell).collect::<String>()
                )
            })
            .collect();
        let content = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Svar">{body}</table:table></office:spreadsheet></office:body></office:document-content>"#
        );
        let manifest = r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
        zip_of(&[
            (
                "mimetype".into(),
                b"application/vnd.oasis.opendocument.spreadsheet".to_vec(),
            ),
            ("META-INF/manifest.xml".into(), manifest.as_bytes().to_vec()),
            ("content.xml".into(), content.into_bytes()),
        ])
    }

    const MONKEY_ODS: &[&[&str]] = &[
        &[
            "Respondent ID",
            "Collector ID",
            "Hur väl stämmer följande påståenden om ditt arbete?",
            "",
            "Enhet?",
        ],
        &[
            "",
            "",
            "Jag känner mig engagerad i mitt arbete",
            "Jag är stolt över att arbeta i kommunen",
            "Response",
        ],
        &["11", "4312", "4", "5", "Hemtjänsten"],
        &["12", "4312", "Stämmer helt", "", "Skolan"],
    ];

    #[test]
    fn ods_sheet_with_surveymonkey_header_reads() {
        let (table, info) = read_workbook_bytes(
            &ods_bytes(MONKEY_ODS),
            "s.ods",
            "ods",
            &ReadOptions::default(),
        )
        .unwrap();
        assert_eq!(
            (info.header.as_str(), table.rows),
            ("surveymonkey (2 header rows)", 2)
        );
        assert_eq!(
        table.columns[2].name,
        "Hur väl stämmer följande påståenden om ditt arbete? - Jag känner mig engagerad i mitt arbete"
    );
    }

    /// A workbook seed: its name, format, and its parts unzipped (read once).
    type WorkbookSeed = (String, String, Vec<(String, Vec<u8>)>);

    fn workbook_seeds() -> &'static [WorkbookSeed] {
        static SEEDS: OnceLock<Vec<WorkbookSeed>> = OnceLock::new();
        SEEDS.get_or_init(|| {
            let mut seeds: Vec<WorkbookSeed> = fixtures(&["xlsx"])
                .into_iter()
                .map(|(name, bytes)| (name, "xlsx".into(), zip_parts(&bytes)))
                .collect();
            seeds.push((
                "monkey.ods".into(),
                "ods".into(),
                zip_parts(&ods_bytes(MONKEY_ODS)),
            ));
            seeds
        })
    }

    proptest! {
        #![proptest_config(fuzz_config())]

        /// The text path over mutated exports of every tool's shape and encoding.
        #[test]
        fn fuzz_text_exports(
            seed in any::<prop::sample::Index>(),
            mutations in proptest::collection::vec(mutation(), 1..6),
            options in read_options(),
        ) {
            static START: OnceLock<Instant> = OnceLock::new();
            if !within_budget(&START) {
                return Ok(());
            }
            let seeds = text_seeds();
            let (name, bytes) = &seeds[seed.index(seeds.len())];
            let mut bytes = bytes.clone();
            for m in &mutations {
                mutate(&mut bytes, m);
            }
            let file = format!("fuzz-{name}");
            let clock = Instant::now();
            let result = read_text_bytes(&bytes, &file, &options);
            map_too(&result);
            check_outcome(result, &file, clock.elapsed())?;
        }

        /// The workbook path over mutated .xlsx/.ods: the zip bytes, or one part inside.
        #[test]
        fn fuzz_workbook_exports(
            seed in any::<prop::sample::Index>(),
            part in proptest::option::weighted(0.8, any::<prop::sample::Index>()),
            mutations in proptest::collection::vec(mutation(), 1..6),
            options in read_options(),
        ) {
            static START: OnceLock<Instant> = OnceLock::new();
            if !within_budget(&START) {
                return Ok(());
            }
            let seeds = workbook_seeds();
            let (name, format, parts) = &seeds[seed.index(seeds.len())];
            let bytes = match part {
                Some(p) => {
                    let mut parts = parts.clone();
                    let chosen = p.index(parts.len());
                    for m in &mutations {
                        mutate(&mut parts[chosen].1, m);
                    }
                    zip_of(&parts)
                }
                None => {
                    let mut bytes = zip_of(parts);
                    for m in &mutations {
                        mutate(&mut bytes, m);
                    }
                    bytes
                }
            };
            let file = format!("fuzz-{name}");
            let clock = Instant::now();
            let result = read_workbook_bytes(&bytes, &file, format, &options);
            map_too(&result);
            check_outcome(result, &file, clock.elapsed())?;
        }
    }

    /// Regression (found by reading calamine, then by the fuzz tokens): one stray cell at
    /// XFD1048576 made the sheet's range 1,048,576 × 16,384 cells, allocated at once (an
    /// abort, not an error). The used area is now checked before anything is allocated.
    #[test]
    fn stray_far_cell_in_a_sheet_is_an_error_not_an_allocation() {
        let mut parts = zip_parts(&export_fixture("exempelkommun-qualtrics-xlsx.xlsx"));
        let sheet = parts
            .iter_mut()
            .find(|(name, _)| name == "xl/worksheets/sheet1.xml")
            .unwrap();
        let xml = String::from_utf8(sheet.1.clone()).unwrap();
        let far = r#"<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>"#;
        sheet.1 = xml.replacen("</sheetData>", far, 1).into_bytes();
        let err = read_workbook_bytes(&zip_of(&parts), "far.xlsx", "xlsx", &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("far.xlsx: the sheet's used area is 1048576 rows × 16384 columns"),
            "{err}"
        );
        // Not a zip at all: named, with what was expected.
        let err = read_workbook_bytes(
            b"id;eng1\n1;2\n",
            "csv.xlsx",
            "xlsx",
            &ReadOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("csv.xlsx: cannot open as a workbook: not a valid zip archive"),
            "{err}"
        );
    }

    /// `content.xml` of an OpenDocument sheet, changed by `edit`, zipped again.
    fn ods_with_content(edit: impl Fn(&str) -> String) -> Vec<u8> {
        let mut parts = zip_parts(&ods_bytes(MONKEY_ODS));
        let content = parts.iter_mut().find(|(n, _)| n == "content.xml").unwrap();
        content.1 = edit(std::str::from_utf8(&content.1).unwrap()).into_bytes();
        zip_of(&parts)
    }

    fn ods_error(bytes: &[u8]) -> String {
        let clock = Instant::now();
        let result = read_workbook_bytes(bytes, "bad.ods", "ods", &ReadOptions::default());
        assert!(clock.elapsed() < SLOW);
        result.unwrap_err().to_string()
    }

    /// Regressions found by the workbook fuzz (a case that never finished) and by reading
    /// calamine's OpenDocument reader after it: a table cut before its end tag made it loop
    /// forever, an open annotation too; `text:s` repeats a space as often as `text:c` says;
    /// repeated rows and cells are expanded before the sheet is cropped.
    #[test]
    fn broken_ods_content_is_an_error_not_a_hang_or_an_allocation() {
        let cut = ods_error(&ods_with_content(|c| {
            c[..c.find("</table:table>").unwrap()].to_string()
        }));
        assert!(
            cut.starts_with(
                "bad.ods: content.xml ends inside 4 open element(s): the file is cut or corrupt"
            ),
            "{cut}"
        );
        let annotation = ods_error(&ods_with_content(|c| {
            c.replacen(
                "<text:p>Skolan</text:p>",
                "<office:annotation><text:p>Skolan</text:p>",
                1,
            )
        }));
        assert!(
            annotation.starts_with("bad.ods: content.xml is not well-formed XML"),
            "{annotation}"
        );
        let spaces = ods_error(&ods_with_content(|c| {
            c.replacen(
                "<text:p>Skolan",
                "<text:p><text:s text:c=\"4000000000\"/>Skolan",
                1,
            )
        }));
        assert!(
            spaces.starts_with("bad.ods: content.xml has a run of 4000000000 spaces (text:c)"),
            "{spaces}"
        );
        // One row of 16,384 filled cells, repeated 2,000 times below the 4 rows of the sheet:
        // (4 + 2,000) × 16,384 cells from a few hundred bytes.
        let wide = r#"<table:table-row table:number-rows-repeated="2000"><table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell></table:table-row></table:table>"#;
        let repeated = ods_error(&ods_with_content(|c| c.replacen("</table:table>", wide, 1)));
        assert!(
            repeated.starts_with("bad.ods: content.xml makes sheets of 32833536 cells"),
            "{repeated}"
        );
    }
}
