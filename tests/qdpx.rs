//! REFI-QDA import and export of coded segments, and code mapping of spreadsheets.

use lyhord::datasets::interview_frame;
use lyhord::error::{Error, InterviewError};
use lyhord::example::DEFAULT_SEED;
use lyhord::interviews::frame::SegmentColumns;
use lyhord::interviews::import::{map_code_column, qdpx_frame, write_qdpx_frame, Unmatched};
use lyhord::interviews::qdpx::{codebook_xml, read_qdpx, QdaIgnored, QdaProject};
use lyhord::interviews::CodingFrame;
use polars::prelude::*;
use proptest::prelude::*;
use std::io::Write as _;
use std::path::{Path, PathBuf};

fn frame() -> CodingFrame {
    CodingFrame::builtin("epl-interviews").unwrap()
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lyhord-qdpx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn columns() -> SegmentColumns {
    SegmentColumns {
        interview: "interview".into(),
        code: "code".into(),
        coder: Some("coder".into()),
        rating: Some("rating".into()),
        by: vec!["forvaltning".into(), "enhet".into(), "role".into()],
    }
}

fn sorted(df: &DataFrame) -> DataFrame {
    df.sort(
        ["interview", "segment", "coder", "code"],
        SortMultipleOptions::default(),
    )
    .unwrap()
}

fn strings(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    let col = df.column(name).unwrap().cast(&DataType::String).unwrap();
    col.str()
        .unwrap()
        .iter()
        .map(|v| v.map(String::from))
        .collect()
}

/// A project as QDA programs write it: nested codes, a case with variables (one value with
/// an entity), a variable set on the source itself, users, two coders marking the same
/// span, a coding that names no user (the selection's user is the coder), a rating as a
/// child code, and a memo under <Notes> that is not an interview.
const PROJECT: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Test" origin="QualCoder 3.5">
  <Users>
    <User guid="u-1" name="Anna"/>
    <User guid="u-2" name="Bo"/>
  </Users>
  <CodeBook><Codes>
    <Code guid="c-del" name="Delaktighet" isCodable="false">
      <Code guid="c-lyssnad" name="Blir lyssnad på" isCodable="true"/>
      <Code guid="c-overkord" name="del_overkord" isCodable="true"/>
      <Code guid="c-betyg" name="del_betyg" isCodable="true">
        <Code guid="c-b4" name="4" isCodable="true"/>
      </Code>
    </Code>
    <Code guid="c-citat" name="Bra citat" isCodable="true"/>
  </Codes></CodeBook>
  <Variables>
    <Variable guid="v-enhet" name="enhet" typeOfVariable="Text"/>
    <Variable guid="v-roll" name="role" typeOfVariable="Text"/>
  </Variables>
  <Cases>
    <Case guid="case-1" name="Intervju 1">
      <VariableValue><VariableRef targetGUID="v-enhet"/><TextValue>Vård &amp; omsorg &#196;</TextValue></VariableValue>
      <SourceRef targetGUID="s-1"/>
    </Case>
  </Cases>
  <Sources>
    <TextSource guid="s-1" name="I1" plainTextPath="internal://s-1.txt">
      <PlainTextSelection guid="p-1" startPosition="0" endPosition="40" creatingUser="u-1">
        <Coding guid="k-1" creatingUser="u-1"><CodeRef targetGUID="c-lyssnad"/></Coding>
        <Coding guid="k-2" creatingUser="u-1"><CodeRef targetGUID="c-citat"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="p-2" startPosition="0" endPosition="40" creatingUser="u-2">
        <Coding guid="k-3"><CodeRef targetGUID="c-overkord"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="p-3" startPosition="41" endPosition="90" creatingUser="u-1">
        <Coding guid="k-4" creatingUser="u-1"><CodeRef targetGUID="c-b4"/></Coding>
      </PlainTextSelection>
      <VariableValue><VariableRef targetGUID="v-roll"/><TextValue>chef</TextValue></VariableValue>
    </TextSource>
  </Sources>
  <Notes>
    <Note guid="n-1" name="Memo">
      <PlainTextSelection guid="p-9" startPosition="0" endPosition="5">
        <Coding guid="k-9"><CodeRef targetGUID="c-citat"/></Coding>
      </PlainTextSelection>
    </Note>
  </Notes>
</Project>"#;

fn project_file(name: &str) -> PathBuf {
    let path = temp(name);
    std::fs::write(&path, PROJECT).unwrap();
    path
}

#[test]
fn reads_a_qda_project_with_cases_users_and_rating_codes() {
    let p = read_qdpx(&project_file("project.qde")).unwrap();
    assert_eq!(p.variable_names, ["enhet", "role"]);
    assert_eq!(p.variables["I1"]["enhet"], "Vård & omsorg Ä");
    assert_eq!(p.variables["I1"]["role"], "chef");
    assert!(
        !p.variables.contains_key("Memo"),
        "memos are not interviews"
    );
    let rows: Vec<(u32, &str, &str, Option<&str>)> = p
        .codings
        .iter()
        .map(|c| {
            (
                c.segment,
                c.coder.as_str(),
                c.code.as_str(),
                c.parent.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (1, "Anna", "Blir lyssnad på", Some("Delaktighet")),
            (1, "Anna", "Bra citat", None),
            (1, "Bo", "del_overkord", Some("Delaktighet")),
            (2, "Anna", "4", Some("del_betyg")),
        ]
    );
}

#[test]
fn unknown_codes_are_named_with_counts_or_dropped_and_reported() {
    let path = project_file("unmatched.qde");
    let err = qdpx_frame(&path, Some(&frame()), Unmatched::Error).unwrap_err();
    let message = err.to_string();
    assert!(matches!(
        err,
        Error::Interview(InterviewError::UnmatchedCodes { .. })
    ));
    assert!(message.contains("`Bra citat` (1×)"), "{message}");
    assert!(message.contains("unmatched=\"drop\""), "{message}");

    let (seg, report) = qdpx_frame(&path, Some(&frame()), Unmatched::Drop).unwrap();
    assert_eq!(
        strings(&seg, "code"),
        ["del_lyssnad", "del_overkord", "del_betyg"].map(|s| Some(s.to_string()))
    );
    assert_eq!(
        seg.column("rating").unwrap().f64().unwrap().get(2),
        Some(4.0)
    );
    assert_eq!(
        strings(&seg, "enhet")[0].as_deref(),
        Some("Vård & omsorg Ä")
    );
    let status: Vec<_> = strings(&report, "source_code")
        .into_iter()
        .zip(strings(&report, "status"))
        .map(|(c, s)| format!("{}: {}", c.unwrap(), s.unwrap()))
        .collect();
    assert_eq!(
        status,
        [
            "4: rating of a rated code",
            "Blir lyssnad på: mapped by label",
            "Bra citat: not in the frame: dropped",
            "del_overkord: mapped by id",
            "<Notes>: ignored: 1 notes (memos) with 1 codings: memos are not interviews",
        ]
    );
}

#[test]
fn example_interviews_round_trip_through_qdpx() {
    let original = interview_frame(DEFAULT_SEED).unwrap();
    let path = temp("roundtrip.qdpx");
    write_qdpx_frame(
        &original,
        &columns(),
        "segment",
        &frame(),
        &path,
        "Exempelkommun",
    )
    .unwrap();
    let (back, report) = qdpx_frame(&path, Some(&frame()), Unmatched::Error).unwrap();
    let names: Vec<&str> = original
        .get_column_names()
        .iter()
        .map(|s| s.as_str())
        .collect();
    let back = back.select(names).unwrap();
    assert!(sorted(&back).equals_missing(&sorted(&original)));
    let total: u32 = report
        .column("n_codings")
        .unwrap()
        .u32()
        .unwrap()
        .sum()
        .unwrap();
    assert_eq!(total as usize, original.height());
}

#[test]
fn the_committed_example_export_matches_the_generator() {
    // tests/data/exempelkommun-interviews.qdpx is `lyhord.write_qdpx(example_data("interviews"))`;
    // if the generator changes, regenerate it (see tests/data/README.md).
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/exempelkommun-interviews.qdpx");
    let (back, _) = qdpx_frame(&path, Some(&frame()), Unmatched::Error).unwrap();
    let original = interview_frame(DEFAULT_SEED).unwrap();
    let names: Vec<&str> = original
        .get_column_names()
        .iter()
        .map(|s| s.as_str())
        .collect();
    assert!(sorted(&back.select(names).unwrap()).equals_missing(&sorted(&original)));
}

#[test]
fn bad_files_name_the_file_and_the_problem() {
    let cases: [(&str, &[u8], &str); 4] = [
        ("garbage.qdpx", &[0xff, 0xfe, 0x00, 0x81], "is not a zip archive (.qdpx)"),
        ("broken.qdpx", b"PK\x03\x04 not really a zip", "not a readable zip"),
        (
            "codebook.qdc",
            br#"<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>"#,
            "codebook (.qdc) without coded segments",
        ),
        (
            "dangling.qde",
            br#"<Project xmlns="urn:QDA-XML:project:1.0"><Sources><TextSource guid="s" name="I9">
            <PlainTextSelection guid="p" startPosition="0" endPosition="3"><Coding guid="k"><CodeRef targetGUID="nope"/></Coding></PlainTextSelection>
            </TextSource></Sources></Project>"#,
            "source `I9`: a coding refers to code nope, which is not in the codebook",
        ),
    ];
    for (name, bytes, expected) in cases {
        let path = temp(name);
        std::fs::write(&path, bytes).unwrap();
        let message = read_qdpx(&path).unwrap_err().to_string();
        assert!(message.contains(name), "{message}");
        assert!(message.contains(expected), "{message}");
    }
    let message = read_qdpx(&temp("missing.qdpx")).unwrap_err().to_string();
    assert!(message.contains("missing.qdpx"), "{message}");
}

#[test]
fn xml_errors_give_a_position() {
    let path = temp("truncated.qde");
    std::fs::write(&path, &PROJECT[..PROJECT.len() / 2]).unwrap();
    let message = read_qdpx(&path).unwrap_err().to_string();
    assert!(message.contains("truncated.qde"), "{message}");
    assert!(message.contains("near byte"), "{message}");
}

#[test]
fn spreadsheet_codes_map_by_id_or_label() {
    let df = df!(
        "interview" => ["A", "A", "B"],
        "code" => ["del_lyssnad", "  blir LYSSNAD  på ", "Stolthet över verksamheten"],
    )
    .unwrap();
    let (out, report) =
        map_code_column(&df, "code", &frame(), Unmatched::Error, "koder.xlsx").unwrap();
    assert_eq!(
        strings(&out, "code"),
        ["del_lyssnad", "del_lyssnad", "eng_stolthet"].map(|s| Some(s.to_string()))
    );
    assert_eq!(report.height(), 3);
    // The input is not modified.
    assert_eq!(
        strings(&df, "code")[1].as_deref(),
        Some("  blir LYSSNAD  på ")
    );

    let bad = df!("code" => ["del_lyssnad", "okänd", "okänd"]).unwrap();
    let message = map_code_column(&bad, "code", &frame(), Unmatched::Error, "koder.xlsx")
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("koder.xlsx: codes not in coding frame epl-interviews: `okänd` (2×)"),
        "{message}"
    );
    let (kept, _) = map_code_column(&bad, "code", &frame(), Unmatched::Keep, "k").unwrap();
    assert_eq!(kept.height(), 3);
}

#[test]
fn the_codebook_nests_codes_and_rating_levels() {
    let xml = codebook_xml(&frame());
    assert!(xml.contains("urn:QDA-XML:codebook:1.0"));
    // 19 frame codes + 5 rating levels of del_betyg.
    assert_eq!(xml.matches("<Code ").count(), 24);
    let betyg = xml.find(r#"name="del_betyg""#).unwrap();
    let five = xml.find(r#"name="5""#).unwrap();
    assert!(five > betyg);
}

// ---------------------------------------------------------------------------------------
// Projects in the shapes the QDA programs export (tests/data/qdpx/*.qde, see the README
// there), zipped here as the programs zip them: project.qde at the top, sources/ beside.

fn fixture_xml(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/qdpx")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

fn zip_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = ::zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = ::zip::write::SimpleFileOptions::default()
        .compression_method(::zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn fixture_qdpx(name: &str) -> PathBuf {
    let xml = fixture_xml(name);
    let bytes = zip_bytes(&[
        ("project.qde", xml.as_bytes()),
        (
            "sources/placeholder.txt",
            b"(the interview text is never read)",
        ),
    ]);
    let path = temp(&name.replace(".qde", ".qdpx"));
    std::fs::write(&path, bytes).unwrap();
    path
}

type Row = (
    String,
    u32,
    Option<i64>,
    Option<i64>,
    String,
    String,
    Option<String>,
);

fn coding_rows(p: &QdaProject) -> Vec<Row> {
    p.codings
        .iter()
        .map(|c| {
            (
                c.interview.clone(),
                c.segment,
                c.start,
                c.end,
                c.coder.clone(),
                c.code.clone(),
                c.parent.clone(),
            )
        })
        .collect()
}

fn row(i: &str, seg: u32, span: (i64, i64), coder: &str, code: &str, parent: Option<&str>) -> Row {
    let (start, end) = span;
    let parent = parent.map(String::from);
    (
        i.into(),
        seg,
        Some(start),
        Some(end),
        coder.into(),
        code.into(),
        parent,
    )
}

fn ignored(p: &QdaProject) -> Vec<(&str, u32)> {
    p.ignored
        .iter()
        .map(|QdaIgnored { name, codings, .. }| (name.as_str(), *codings))
        .collect()
}

const I1_A: &str = "Intervju 1 [D1000000-0000-4000-8000-000000000001]";
const I1_B: &str = "Intervju 1 [D1000000-0000-4000-8000-000000000002]";

/// MAXQDA 24 export shape: 4-space indented XML, attributes in MAXQDA's order, upper-case
/// GUIDs, `<Cases><Case><VariableValue><VariableRef/><TextValue>value⏎    </TextValue>`,
/// two documents named "Intervju 1" (one per document group), a coded <PictureSource>,
/// `<Notes><Note>` and document groups as `<Sets><Set><MemberSource targetGUID/>`.
#[test]
fn maxqda_24_export_with_document_sets_and_duplicate_names() {
    let p = read_qdpx(&fixture_qdpx("maxqda24-document-sets.qde")).unwrap();
    assert_eq!(p.variable_names, ["forvaltning", "enhet", "ar_i_yrket"]);
    let enhet: Vec<(&str, &str)> = p
        .variables
        .iter()
        .map(|(i, v)| (i.as_str(), v["enhet"].as_str()))
        .collect();
    assert_eq!(
        enhet,
        [
            (I1_A, "Förskola A"),
            (I1_B, "Förskola B"),
            ("Intervju 2", "Förskola A")
        ]
    );
    assert_eq!(p.variables[I1_A]["forvaltning"], "Utbildningsförvaltningen");
    assert_eq!(p.variables[I1_B]["ar_i_yrket"], "3");
    // <IntegerValue/> is a missing value, not "".
    assert!(!p.variables["Intervju 2"].contains_key("ar_i_yrket"));
    let d = Some("Delaktighet");
    assert_eq!(
        coding_rows(&p),
        [
            row(I1_A, 1, (87, 212), "Anna", "Blir lyssnad på", d),
            row(I1_B, 1, (10, 64), "Anna", "Beslut fattas över huvudet", d),
            row(
                "Intervju 2",
                1,
                (0, 120),
                "Anna",
                "Stolthet över verksamheten",
                Some("Engagemang")
            ),
            row(
                "Intervju 2",
                1,
                (0, 120),
                "Bo",
                "Stolthet över verksamheten",
                Some("Engagemang")
            ),
            row("Intervju 2", 2, (240, 305), "Bo", "Blir lyssnad på", d),
        ]
    );
    assert_eq!(
        ignored(&p),
        [
            ("Förskola A", 0),
            ("Förskola B", 0),
            ("Teckning från avdelningen", 1),
            ("<Notes>", 0)
        ]
    );
    assert!(p.ignored[0]
        .reason
        .starts_with("a set (2 sources, 0 codes, 0 notes)"));
    assert!(p.ignored[2]
        .reason
        .starts_with("a PictureSource with 1 codings"));
}

/// NVivo 14 export shape: 2-space indentation, lower-case GUIDs, `<User … />`, a case with
/// two documents (`<Case>` with two `<SourceRef>`), a person case holding a selection
/// (`<SelectionRef>`), two coders' `<Coding creatingUser>` on one selection, ratings as
/// child codes (del_betyg → 4) and a `<PDFSource>` whose `<Representation>` has its own
/// `<PlainTextSelection>`.
#[test]
fn nvivo_14_export_with_a_case_of_two_documents_and_a_pdf() {
    let p = read_qdpx(&fixture_qdpx("nvivo14-cases.qde")).unwrap();
    assert_eq!(p.variable_names, ["forvaltning", "enhet"]);
    for interview in ["Fokusgrupp personal", "Intervju fritidsledare"] {
        assert_eq!(p.variables[interview]["enhet"], "Fritidsgården Norr");
        assert_eq!(
            p.variables[interview]["forvaltning"],
            "Kultur- och fritidsförvaltningen"
        );
    }
    let (f, d) = ("Fokusgrupp personal", Some("Delaktighet"));
    assert_eq!(
        coding_rows(&p),
        [
            row(
                f,
                2,
                (455, 610),
                "Kim",
                "Inflytande över arbetet och beslut",
                d
            ),
            row(f, 2, (455, 610), "Lo", "4", Some("del_betyg")),
            row(f, 1, (12, 90), "Lo", "Tid för reflektion", Some("Lärande")),
            row(
                "Intervju fritidsledare",
                1,
                (30, 75),
                "Kim",
                "2",
                Some("del_betyg")
            ),
        ]
    );
    assert_eq!(
        ignored(&p),
        [("Verksamhetsplan 2025", 2), ("Deltagare 3", 0)]
    );
    assert!(p.ignored[1]
        .reason
        .contains("1 selections (<SelectionRef>)"));
}

/// QualCoder 3.6 export shape: unindented XML, file attributes as `<VariableValue>` inside
/// the `<TextSource>`, a whole-file `<Coding>` directly under the source, and an
/// `<AudioSource>` with a `<Transcript>` and a coded `<AudioSelection>`.
#[test]
fn qualcoder_export_with_source_variables_and_audio() {
    let p = read_qdpx(&fixture_qdpx("qualcoder36-source-variables.qde")).unwrap();
    let i = "hemtjanst_intervju_1.docx";
    assert_eq!(p.variable_names, ["enhet", "role"]);
    assert_eq!(p.variables[i]["enhet"], "Hemtjänst Väst");
    assert_eq!(p.variables[i]["role"], "undersköterska");
    assert_eq!(
        coding_rows(&p),
        [
            row(i, 1, (0, 54), "Sara", "Får information i tid", None),
            row(i, 2, (60, 111), "Sara", "Samma fel upprepas", None),
        ]
    );
    assert_eq!(ignored(&p), [("hemtjanst_intervju_2.m4a", 1), (i, 1)]);
}

#[test]
fn every_fixture_maps_to_the_frame_and_lists_what_was_ignored() {
    let (seg, report) = qdpx_frame(
        &fixture_qdpx("nvivo14-cases.qde"),
        Some(&frame()),
        Unmatched::Error,
    )
    .unwrap();
    assert_eq!(
        strings(&seg, "code"),
        ["del_inflytande", "del_betyg", "lar_reflektion", "del_betyg"].map(|s| Some(s.into()))
    );
    let ratings: Vec<Option<f64>> = seg
        .column("rating")
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(ratings, [None, Some(4.0), None, Some(2.0)]);
    let status = strings(&report, "status");
    assert_eq!(
        status.last().unwrap().as_deref(),
        Some("ignored: a case holding 1 selections (<SelectionRef>): case variables are read for whole sources (<SourceRef>) only")
    );
    for name in [
        "maxqda24-document-sets.qde",
        "qualcoder36-source-variables.qde",
    ] {
        let (seg, report) =
            qdpx_frame(&fixture_qdpx(name), Some(&frame()), Unmatched::Error).unwrap();
        let ignored = strings(&report, "status")
            .iter()
            .filter(|s| s.as_deref().unwrap().starts_with("ignored: "))
            .count();
        assert_eq!(
            (seg.height(), ignored),
            if name.starts_with("maxqda") {
                (5, 4)
            } else {
                (2, 2)
            }
        );
    }
}

/// Reading a fixture, writing it with write_qdpx and reading that back gives the same
/// codings and variables (duplicate names keep their "[guid]" ids).
#[test]
fn fixtures_round_trip_through_write_qdpx() {
    for (name, by) in [
        (
            "maxqda24-document-sets.qde",
            &["forvaltning", "enhet", "ar_i_yrket"][..],
        ),
        ("nvivo14-cases.qde", &["forvaltning", "enhet"][..]),
        ("qualcoder36-source-variables.qde", &["enhet", "role"][..]),
    ] {
        let (seg, _) = qdpx_frame(&fixture_qdpx(name), Some(&frame()), Unmatched::Error).unwrap();
        let cols = SegmentColumns {
            by: by.iter().map(|s| s.to_string()).collect(),
            ..columns()
        };
        let out = temp(&format!("again-{name}.qdpx"));
        write_qdpx_frame(&seg, &cols, "segment", &frame(), &out, "again").unwrap();
        let (back, _) = qdpx_frame(&out, Some(&frame()), Unmatched::Error).unwrap();
        let mut keep = vec!["interview", "segment", "coder", "code", "rating"];
        keep.extend(by);
        let key = ["interview", "segment", "coder", "code"];
        let a = seg
            .select(keep.clone())
            .unwrap()
            .sort(key, Default::default())
            .unwrap();
        let b = back
            .select(keep)
            .unwrap()
            .sort(key, Default::default())
            .unwrap();
        assert!(a.equals_missing(&b), "{name}:\n{a}\n{b}");
    }
}

fn write_temp(name: &str, bytes: &[u8]) -> PathBuf {
    let path = temp(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn files_that_are_no_project_say_so_and_name_the_file() {
    let cases: [(&str, Vec<u8>, &str); 6] = [
        (
            "empty.qdpx",
            vec![],
            "is empty (0 bytes), not a REFI-QDA project",
        ),
        (
            "notes.qdpx",
            b"Intervju 1\nsvar...\n".to_vec(),
            "is not a zip archive (.qdpx) nor REFI-QDA project XML (.qde): it holds no XML element",
        ),
        (
            "report.qdpx",
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec(),
            "is not a zip archive (.qdpx)",
        ),
        (
            "page.qdpx",
            b"<html><body>export</body></html>".to_vec(),
            "it has the root element <html>, expected <Project",
        ),
        (
            "word.qdpx",
            zip_bytes(&[("word/document.xml", b"<w:document/>")]),
            "is a zip archive without project.qde, so not a REFI-QDA project",
        ),
        (
            "wrong-root.qdpx",
            zip_bytes(&[("project.qde", b"<Sources/>")]),
            "is not a REFI-QDA project: its project.qde has the root element <Sources>",
        ),
    ];
    for (name, bytes, expected) in cases {
        let err = read_qdpx(&write_temp(name, &bytes)).unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, InterviewError::Qdpx { .. }), "{message}");
        assert!(message.contains(name), "{message}");
        assert!(message.contains(expected), "{name}: {message}");
    }
}

#[test]
fn malformed_structures_are_named() {
    let project = |body: &str| {
        format!(r#"<Project xmlns="urn:QDA-XML:project:1.0" name="x">{body}</Project>"#)
    };
    let source = |guid: &str, name: &str| format!(r#"<TextSource guid="{guid}" name="{name}"/>"#);
    let deep = format!(
        "<CodeBook><Codes>{}{}</Codes></CodeBook>",
        r#"<Code guid="c" name="c" isCodable="true">"#.repeat(300),
        "</Code>".repeat(300)
    );
    let cases = [
        (
            project(&format!(
                "<Sources>{}{}</Sources>",
                source("S-1", "a"),
                source("s-1", "b")
            )),
            "two sources have the guid s-1 (`a` and `b`)",
        ),
        (project(&deep), "elements nest deeper than 256 levels"),
        (
            project(r#"<Cases><Case guid="k"><SourceRef targetGUID="nope"/></Case></Cases>"#),
            "case `k` refers to source nope, which is not in <Sources>",
        ),
        (
            project(
                r#"<Sources><TextSource guid="s" name="I"><PlainTextSelection guid="p" startPosition="x" endPosition="3"/></TextSource></Sources>"#,
            ),
            "<PlainTextSelection startPosition=\"x\">: expected a whole number",
        ),
        (
            project(
                r#"<Sources><TextSource guid="s" name="I"><PlainTextSelection guid="p" endPosition="3"/></TextSource></Sources>"#,
            ),
            "a <PlainTextSelection> has no `startPosition` attribute",
        ),
        (
            project(r#"<Sources><TextSource guid="s" name="I">"#).replace("</Project>", ""),
            "the file is cut off",
        ),
        (
            project(&format!(
                r#"<Variables><Variable guid="v" name="enhet" typeOfVariable="Text"/></Variables><Cases>{}{}</Cases><Sources>{}</Sources>"#,
                r#"<Case guid="k1" name="A"><VariableValue><VariableRef targetGUID="v"/><TextValue>X</TextValue></VariableValue><SourceRef targetGUID="s"/></Case>"#,
                r#"<Case guid="k2" name="B"><VariableValue><VariableRef targetGUID="v"/><TextValue>Y</TextValue></VariableValue><SourceRef targetGUID="s"/></Case>"#,
                source("s", "I")
            )),
            "source `I` gets variable v = `X` from case `A` and `Y` from case `B`",
        ),
    ];
    for (k, (xml, expected)) in cases.iter().enumerate() {
        let name = format!("malformed-{k}.qdpx");
        let path = write_temp(&name, &zip_bytes(&[("project.qde", xml.as_bytes())]));
        let message = read_qdpx(&path).unwrap_err().to_string();
        assert!(message.contains(&name), "{message}");
        assert!(message.contains(expected), "{k}: {message}");
    }
}

#[test]
fn guids_match_whatever_their_case_and_braces() {
    let xml = r#"<Project xmlns="urn:QDA-XML:project:1.0" name="x">
      <Users><User guid="{AB-1}" name="Kim"/></Users>
      <CodeBook><Codes><Code guid="C-1" name="Blir lyssnad på" isCodable="true"/></Codes></CodeBook>
      <Sources><TextSource guid="s" name="I"><PlainTextSelection guid="p" startPosition="1" endPosition="3.0" creatingUser="ab-1">
        <Coding guid="k"><CodeRef targetGUID="{c-1}"/></Coding></PlainTextSelection></TextSource></Sources></Project>"#;
    let p = read_qdpx(&write_temp("guids.qde", xml.as_bytes())).unwrap();
    assert_eq!(
        coding_rows(&p),
        [row("I", 1, (1, 3), "Kim", "Blir lyssnad på", None)]
    );
}

/// Elements out of their place in the schema are not read as what they would be in place.
#[test]
fn misplaced_elements_are_left_alone() {
    let xml = r#"<Project xmlns="urn:QDA-XML:project:1.0" name="x">
      <Cases><Group><SourceRef targetGUID="s"/><VariableValue><VariableRef targetGUID="v"/><TextValue>A</TextValue></VariableValue></Group></Cases>
      <Sets><Group><MemberSource targetGUID="s"/></Group></Sets>
      <CodeBook><Codes><Folder><Code guid="c" name="c" isCodable="true"/></Folder></Codes></CodeBook>
      <Sources><TextSource guid="s" name="I"><Extra><PlainTextSelection guid="p" startPosition="0" endPosition="1"><Coding guid="k"><CodeRef targetGUID="c"/></Coding></PlainTextSelection></Extra></TextSource></Sources>
    </Project>"#;
    let p = read_qdpx(&write_temp("misplaced.qde", xml.as_bytes())).unwrap();
    assert!(p.codes.is_empty() && p.codings.is_empty() && p.ignored.is_empty());
    assert_eq!(p.variables["I"].len(), 0);
}

/// Damaged files: random byte changes and cuts, in the zip and in the XML inside it, give
/// an error or a project but never a panic.
mod mutated {
    use super::*;

    fn fixtures() -> Vec<String> {
        [
            "maxqda24-document-sets.qde",
            "nvivo14-cases.qde",
            "qualcoder36-source-variables.qde",
        ]
        .map(fixture_xml)
        .to_vec()
    }

    fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8)], cut: usize) -> Vec<u8> {
        for &(at, b) in edits {
            let n = bytes.len();
            bytes[at % n] = b;
        }
        let keep = bytes.len() - cut % (bytes.len() / 4 + 1);
        bytes.truncate(keep);
        bytes
    }

    fn read_without_panic(name: &str, bytes: &[u8]) {
        let path = write_temp(name, bytes);
        let _ = read_qdpx(&path);
        let _ = qdpx_frame(&path, None, Unmatched::Keep);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        #[test]
        fn damaged_zip_never_panics(which in 0usize..3, edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..8), cut in any::<usize>()) {
            let xml = &fixtures()[which];
            let zip = zip_bytes(&[("project.qde", xml.as_bytes())]);
            read_without_panic(&format!("mutated-zip-{which}.qdpx"), &mutate(zip, &edits, cut));
        }

        #[test]
        fn damaged_xml_never_panics(which in 0usize..3, edits in prop::collection::vec((any::<usize>(), prop::sample::select(b"<>/=\"'& \n?!xK{}".to_vec())), 0..8), cut in any::<usize>()) {
            let xml = fixtures()[which].clone().into_bytes();
            let zip = zip_bytes(&[("project.qde", &mutate(xml, &edits, cut))]);
            read_without_panic(&format!("mutated-xml-{which}.qdpx"), &zip);
        }
    }
}
