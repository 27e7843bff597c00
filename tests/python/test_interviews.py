"""Coding frames and interview scores from Python."""

import pathlib
import zipfile

import lyhord as ly
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import beta

SEGMENTS = pl.DataFrame(
    {
        "interview": ["I1", "I1", "I1", "I2", "I2", "I3"],
        "enhet": ["A", "A", "A", "A", "A", "B"],
        "coder": ["K1"] * 6,
        "segment": [1, 2, 3, 1, 2, 1],
        "code": [
            "del_lyssnad",
            "del_inflytande",
            "del_overkord",
            "del_lyssnad",
            "ovrigt",
            "eng_trotthet",
        ],
    }
)


def test_unit_score_pools_interviews_and_matches_the_beta_posterior():
    # Unit A: 3 positive, 1 negative participation codings → Beta(3 + 2, 1 + 2).
    out = ly.score_interviews(SEGMENTS, min_interviews=2)
    row = out.filter(pl.col("enhet") == "A", pl.col("dimension") == "participation").row(
        0, named=True
    )
    assert row["score"] == pytest.approx(100 * beta.mean(5, 3), abs=1e-10)
    assert row["ci_low"] == pytest.approx(100 * beta.ppf(0.025, 5, 3), abs=1e-6)
    assert row["ci_high"] == pytest.approx(100 * beta.ppf(0.975, 5, 3), abs=1e-6)
    assert (row["n_interviews"], row["suppressed"]) == (2, False)
    # Unit B has one interview: blanked, bare (no reason, no counts).
    b = out.filter(pl.col("enhet") == "B")
    assert b["suppressed"].all() and b["score"].null_count() == b.height
    assert b["negative"].null_count() == b.height
    assert b["note"].null_count() == b["n_interviews"].null_count() == b.height


def test_frame_api_and_errors():
    cf = ly.CodingFrame.builtin("epl-interviews")
    assert ly.CodingFrame.from_toml_str(cf.to_toml()).dimensions == cf.dimensions
    with pytest.raises(ly.InstrumentError, match=r"codes\[0\]\.dimension"):
        ly.CodingFrame.from_toml_str(
            'id = "x"\nname = "x"\n[[codes]]\nid = "a"\nlabel = "a"\nvalence = "+"\n'
        )
    bad = SEGMENTS.with_columns(code=pl.lit("nope"))
    with pytest.raises(ly.DataError, match=r"column `code`, row 0: code `nope`"):
        ly.score_interviews(bad)
    with pytest.raises(ly.EstimationError, match="prior"):
        ly.score_interviews(SEGMENTS, prior=0)


def test_example_interviews_are_seeded_and_double_coded_in_part():
    a = ly.example_data("interviews")
    assert a.equals(ly.example_data("interviews"))
    per = a.group_by("interview").agg(pl.col("coder").n_unique().alias("coders"))
    share = (per["coders"] == 2).mean()
    assert 0.2 < share < 0.5


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32))
def test_row_order_changes_nothing(seed):
    seg = ly.example_data("interviews")
    shuffled = seg.sample(fraction=1.0, shuffle=True, seed=seed)
    assert ly.score_interviews(seg, by="forvaltning").equals(
        ly.score_interviews(shuffled, by="forvaltning")
    )


def test_segments_import_from_qdpx_csv_and_xlsx_gives_identical_scores(tmp_path):
    seg = ly.example_data("interviews")
    expected = ly.score_interviews(seg, by="forvaltning")
    qdpx = tmp_path / "kodning.qdpx"
    ly.write_qdpx(seg, qdpx)
    # A spreadsheet as a coder would keep it: Swedish labels instead of ids, `;`.
    labels = dict(
        ly.CodingFrame.builtin("epl-interviews").codes().select("id", "label").iter_rows()
    )
    sheet = seg.with_columns(pl.col("code").replace_strict(labels))
    csv = tmp_path / "kodning.csv"
    sheet.write_csv(csv, separator=";")
    xlsx = tmp_path / "kodning.xlsx"
    sheet.write_excel(xlsx, worksheet="Kodning")
    for path, kwargs in [(qdpx, {}), (csv, {}), (xlsx, {"sheet": "Kodning"})]:
        imp = ly.read_segments(path, **kwargs)
        assert imp.segments.height == seg.height, path
        got = ly.score_interviews(imp.segments, by="forvaltning")
        assert got.equals(expected), path
    assert "0 dropped" in repr(imp)


def test_segment_import_reports_and_errors(tmp_path):
    csv = tmp_path / "k.csv"
    pl.DataFrame(
        {"interview": ["A", "A", "B"], "segment": [1, 2, 1], "code": ["del_lyssnad", "x", "x"]}
    ).write_csv(csv)
    with pytest.raises(ly.DataError, match=r"k\.csv: codes not in coding frame .*`x` \(2×\)"):
        ly.read_segments(csv)
    imp = ly.read_segments(csv, unmatched="drop")
    assert imp.segments["code"].to_list() == ["del_lyssnad"]
    dropped = imp.codes.filter(pl.col("code").is_null())
    assert dropped.select("source_code", "n_codings").row(0) == ("x", 2)
    assert "dropped: 'x' (2 codings)" in repr(imp)
    with pytest.raises(ly.DataError, match="no such file"):
        ly.read_segments(tmp_path / "saknas.qdpx")
    with pytest.raises(ly.DataError, match=r"\.docx"):
        (tmp_path / "a.docx").write_text("x")
        ly.read_segments(tmp_path / "a.docx")


def test_agreement_on_an_imported_project_without_a_frame(tmp_path):
    seg = ly.example_data("interviews")
    path = tmp_path / "k.qdpx"
    ly.write_qdpx(seg, path)
    # Without a frame, ratings stored as child codes keep their names ("4"); leave them out.
    raw = ly.read_segments(path, frame=None).segments
    raw = raw.filter(~pl.col("code").str.contains(r"^\d$"))
    ref = seg.filter(pl.col("code") != "del_betyg")
    unit = pl.format("{}/{}", "interview", "segment").alias("unit")
    a = ly.agreement(raw.with_columns(unit), coder="coder", value="code", n_boot=200)
    b = ly.agreement(ref.with_columns(unit), coder="coder", value="code", n_boot=200)
    assert a.equals(b)
    assert a.height > 0


QDPX_FIXTURES = pathlib.Path(__file__).parent.parent / "data" / "qdpx"


def _qdpx(tmp_path, fixture):
    """A fixture's project.qde zipped as the QDA programs do (project.qde + sources/)."""
    path = tmp_path / fixture.replace(".qde", ".qdpx")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(QDPX_FIXTURES / fixture, "project.qde")
        z.writestr("sources/placeholder.txt", "(never read)")
    return path


def test_maxqda_24_export_with_document_sets_joins_to_survey_units(tmp_path):
    # MAXQDA 24 export shape: <Sets><Set><MemberSource/> document groups, indented
    # <TextValue>Förskola A⏎    </TextValue>, two documents named "Intervju 1".
    imp = ly.read_segments(_qdpx(tmp_path, "maxqda24-document-sets.qde"))
    seg = imp.segments
    first = "Intervju 1 [D1000000-0000-4000-8000-000000000001]"
    second = "Intervju 1 [D1000000-0000-4000-8000-000000000002]"
    assert seg["interview"].unique(maintain_order=True).to_list() == [first, second, "Intervju 2"]
    assert seg["enhet"].to_list() == ["Förskola A", "Förskola B"] + ["Förskola A"] * 3
    assert seg["code"].to_list() == [
        "del_lyssnad",
        "del_overkord",
        "eng_stolthet",
        "eng_stolthet",
        "del_lyssnad",
    ]
    assert seg["coder"].to_list() == ["Anna", "Anna", "Anna", "Bo", "Bo"]
    units = pl.DataFrame({"enhet": ["Förskola A", "Förskola B"], "hme": [71.0, 64.0]})
    joined = seg.join(units, on="enhet", how="left")
    assert joined["hme"].null_count() == 0
    ignored = imp.codes.filter(pl.col("status").str.starts_with("ignored: "))
    assert ignored.select("source_code", "n_codings").rows() == [
        ("Förskola A", 0),
        ("Förskola B", 0),
        ("Teckning från avdelningen", 1),
        ("<Notes>", 0),
    ]
    assert ignored["code"].null_count() == 4
    text = repr(imp)
    assert "3 distinct codes in the file, 0 dropped" in text
    assert "ignored: a PictureSource with 1 codings" in text


@pytest.mark.parametrize(
    "fixture",
    ["maxqda24-document-sets.qde", "nvivo14-cases.qde", "qualcoder36-source-variables.qde"],
)
def test_qda_exports_round_trip_through_write_qdpx(tmp_path, fixture):
    seg = ly.read_segments(_qdpx(tmp_path, fixture)).segments
    by = [
        c
        for c in seg.columns
        if c not in ("interview", "segment", "start", "end", "coder", "code", "rating")
    ]
    out = tmp_path / "again.qdpx"
    ly.write_qdpx(seg, out, by=by)
    back = ly.read_segments(out).segments
    cols = ["interview", "segment", "coder", "code", "rating", *by]
    key = ["interview", "segment", "coder", "code"]
    assert back.select(cols).sort(key).equals(seg.select(cols).sort(key))


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("tom.qdpx", b"", "is empty"),
        ("anteckning.qdpx", b"Intervju 1: svar\n", "not a zip archive"),
        ("rapport.qdpx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "not a zip archive"),
        ("bild.qdpx", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a zip archive"),
    ],
)
def test_files_that_are_no_project_raise_data_error_naming_the_file(
    tmp_path, name, content, expected
):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ly.DataError, match=expected) as err:
        ly.read_segments(path, frame=None)
    assert name in str(err.value)


def test_a_renamed_word_file_is_a_data_error(tmp_path):
    path = tmp_path / "kodning.qdpx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(ly.DataError, match=r"kodning\.qdpx is a zip archive without project\.qde"):
        ly.read_segments(path)
