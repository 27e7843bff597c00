//! REFI-QDA import and export of coded segments, and code mapping of spreadsheets.

use lyhord::datasets::interview_frame;
use lyhord::error::{Error, InterviewError};
use lyhord::example::DEFAULT_SEED;
use lyhord::interviews::frame::SegmentColumns;
use lyhord::interviews::import::{map_code_column, qdpx_frame, write_qdpx_frame, Unmatched};
use lyhord::interviews::qdpx::{codebook_xml, read_qdpx};
use lyhord::interviews::CodingFrame;
use polars::prelude::*;
use std::path::PathBuf;

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
    <TextSource guid="n-1" name="Memo">
      <PlainTextSelection guid="p-9" startPosition="0" endPosition="5">
        <Coding guid="k-9"><CodeRef targetGUID="c-citat"/></Coding>
      </PlainTextSelection>
    </TextSource>
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
        ("garbage.qdpx", &[0xff, 0xfe, 0x00, 0x81], "neither a zip"),
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
