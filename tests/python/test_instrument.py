import lyhord as ly
import pytest


def test_builtins_have_their_published_structure():
    hme = ly.Instrument.builtin("hme")
    assert hme.items == [f"hme{i}" for i in range(1, 10)]
    assert hme.dimensions == ["motivation", "ledarskap", "styrning"]
    assert hme.index_id == "hme"
    assert hme.min_group == 5
    assert sorted(ly.Instrument.builtins()) == [
        "enps",
        "epl-citizen",
        "epl-staff",
        "hme",
        "uk-engagement",
    ]
    assert ly.Instrument.builtin("epl-staff").dimensions == [
        "engagement",
        "participation",
        "learning",
    ]


def test_error_hierarchy():
    assert issubclass(ly.InstrumentError, ly.LyhordError)
    assert issubclass(ly.LyhordError, ValueError)
    with pytest.raises(
        ly.InstrumentError,
        match="hmee.*available: hme, epl-staff, epl-citizen, uk-engagement, enps",
    ):
        ly.Instrument.builtin("hmee")


def test_toml_file_errors_name_file_and_key(tmp_path):
    text = ly.Instrument.builtin("hme").to_toml().replace('"hme2"', '"hme99"', 1)
    path = tmp_path / "local.toml"
    # the first "hme2" in the serialised TOML is in the motivation dimension's item list
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ly.InstrumentError, match=r"dimensions\[0\]\.items\[1\].*hme99"):
        ly.Instrument.from_toml(path)
    path.write_text(text.replace("min_group = 5", "min_grupp = 5"), encoding="utf-8")
    with pytest.raises(
        ly.InstrumentError, match="(?s)local.toml.*line 4.*unknown field `min_grupp`"
    ):
        ly.Instrument.from_toml(path)


def test_round_trip_and_override(tmp_path):
    hme = ly.Instrument.builtin("hme")
    path = tmp_path / "hme.toml"
    path.write_text(hme.to_toml(), encoding="utf-8")
    assert ly.Instrument.from_toml(path) == hme
    assert hme.with_min_group(10).min_group == 10
    with pytest.raises(ly.InstrumentError, match="min_group"):
        hme.with_min_group(0)


def test_labels_speak_the_instruments_language_or_the_one_asked_for():
    hme = ly.Instrument.builtin("hme")
    sv = hme.labels()
    assert hme.language == "sv" and sv["measure"].to_list() == [m for m, _ in hme.measures]
    assert sv.row(0) == ("hme", "index", None, "HME totalindex")
    assert sv.filter(measure="hme7").row(0) == (
        "hme7",
        "item",
        "styrning",
        "Jag är insatt i min arbetsplats mål",
    )
    en = hme.labels(lang="EN")
    assert en.filter(measure="hme7")["label"].item() == "I know the goals of my workplace"
    assert en.filter(measure="motivation")["parent"].item() == "hme"
    uk = ly.Instrument.builtin("uk-engagement")
    assert uk.language == "en" and uk.labels()["label"][0] == "Engagement index"
    with pytest.raises(ly.ArgumentError, match='parameter `lang` must be "sv" or "en"'):
        hme.labels(lang="de")
