"""Manager pages: rendered by a real browser (headless chromium), valid HTML, Swedish by
default and English on request, and not one blanked value, count or reason on any page."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import lyhord as ly
import polars as pl
import pytest
from lyhord.report.html import _file_name

BY = ["forvaltning", "enhet"]
VOID = {"meta", "br", "img", "input", "link", "hr", "col", "source", "wbr", "rect", "path"}


def chromium() -> str:
    """The browser `make test` installs (Debian's chromium); in CI its absence fails."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: `make test` installs it (make browser)")
        pytest.skip("chromium is not installed (make browser installs it)")
    return found


@pytest.fixture(scope="module")
def tables():
    latest = ly.estimate(
        ly.example_data("staff", year=2025), "hme", by=BY, headcounts=ly.headcounts(year=2025)
    )
    earlier = ly.estimate(ly.example_data("staff", year=2024), "hme", by=BY)
    return latest, earlier


@pytest.fixture(scope="module")
def pages(tables, tmp_path_factory):
    latest, earlier = tables
    out = tmp_path_factory.mktemp("pages")
    return ly.write_pages(latest, "hme", out, by=BY, earlier=earlier, year=2025)


class Page(HTMLParser):
    """A strict reading of a page: tags balanced, and every table row's cell texts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.starts: list[tuple[str, dict]] = []
        self.rows: list[list[str]] = []
        self.tables: list[list[list[str]]] = []  # per table: its header row, then its rows
        self.text: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.starts.append((tag, dict(attrs)))
        if tag == "table":
            self.tables.append([])
        if tag == "tr":
            self.rows.append([])
            self.tables[-1].append(self.rows[-1])
        if tag in ("td", "th"):
            self._cell = []
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.starts.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else '-'}>")
            return
        self.stack.pop()
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def read(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def test_every_page_is_valid_self_contained_html(pages):
    assert pages[0].name == "index.html" and len(pages) > 50
    for path in pages:
        page = read(path)
        assert not page.errors and not page.stack, (path.name, page.errors, page.stack)
        text = path.read_text(encoding="utf-8")
        assert text.startswith("<!DOCTYPE html>") and "<html lang='sv'>" in text
        tags = [t for t, _ in page.starts]
        assert tags.count("title") - tags.count("svg") == 1  # the page's, and each bar's
        assert tags.count("h1") == 1 and "main" in tags
        for tag, attrs in page.starts:
            for attr in ("src", "href"):
                value = attrs.get(attr, "")
                assert not re.match(r"(https?:)?//", value), (path.name, value)  # no network
            if tag == "img":
                assert attrs.get("alt"), path.name
            if tag == "svg":
                assert attrs.get("role") == "img" and attrs.get("aria-label"), path.name
            if tag == "table":
                assert "thead" in tags and "th" in tags
        links = [a["href"] for t, a in page.starts if t == "a"]
        assert all((path.parent / link).exists() for link in links), path.name


def test_every_page_parses_without_a_single_html5_parse_error(pages):
    """A spec-conformant HTML5 parser (html5lib, strict) finds no parse error: the check a
    validator's parsing stage makes."""
    html5lib = pytest.importorskip("html5lib")
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    for path in pages[:12]:
        parser.parse(path.read_text(encoding="utf-8"))  # raises on the first parse error
        assert parser.errors == [], (path.name, parser.errors[:3])


def test_pages_speak_swedish_and_english_on_request(tables, tmp_path):
    latest, earlier = tables
    index = ly.write_pages(latest, "hme", tmp_path / "sv", by=BY, earlier=earlier, year=2025)[0]
    text = index.read_text(encoding="utf-8")
    for words in (
        "Hela kommunen, 2025",
        "Svarsfrekvens",
        "HME totalindex",
        "Motivation",
        "Mitt arbete känns meningsfullt",
        "Förra året",
        "Negativa",
    ):
        assert words in text
    total = latest.filter(level=0, measure="hme")
    assert f"<b>{total['mean'].item():.1f}".replace(".", ",") in text  # decimal comma
    assert "4\u202f698" in text  # 4 698 respondents, thousands spaced the Swedish way
    en = ly.write_pages(latest, "hme", tmp_path / "en", by=BY, year=2025, lang="en")[0]
    text = en.read_text(encoding="utf-8")
    assert "<html lang='en'>" in text and "Whole organisation, 2025" in text
    assert "My work feels meaningful" in text and "Response rate" in text
    assert f"<b>{total['mean'].item():.1f}</b>" in text  # decimal point


def test_no_blanked_value_count_or_reason_reaches_any_page(tables, pages):
    latest, _ = tables
    whole = latest.filter(level=2).group_by(BY).agg(pl.col("suppressed").all())
    blanked = whole.filter("suppressed").select(BY)
    blanked_units = blanked["enhet"].to_list()
    assert len(blanked_units) > 10
    names = {p.name for p in pages}
    all_rows = [row for p in pages for row in read(p).rows]
    text = " ".join(" ".join(read(p).text) for p in pages)
    assert "primary" not in text and "secondary" not in text and "suppress" not in text
    for forv, unit in blanked.select(BY).iter_rows():
        assert _file_name((2, forv, unit)) not in names  # no page of its own
        rows = [r for r in all_rows if r and r[0] == unit]
        assert rows, unit  # listed on its förvaltning's page …
        for r in rows:
            assert set(r[1:]) == {"–"}, (unit, r)  # … with nothing but the blank mark
    # measure-level blanks of published units: "–" for that measure wherever the unit is
    # listed (its förvaltning's table of units) and on its own page
    labels = dict(ly.Instrument.builtin("hme").labels().select("measure", "label").iter_rows())
    published = latest.filter(level=2, suppressed=False).select(BY).unique()
    partial = latest.filter(level=2, suppressed=True).join(published, on=BY)
    assert set(partial["kind"]) == {"index", "dimension", "item"}
    checked = 0
    for r in partial.iter_rows(named=True):
        own = read(
            next(p for p in pages if p.name == _file_name((2, r["forvaltning"], r["enhet"])))
        )
        own_columns = {
            "Värde",
            "Intervall",
            "Förra året",
            "Förändring",
            "",
            "Negativa",
            "Neutrala",
            "Positiva",
        }  # the parent's and the kommun's are published
        for table in own.tables:
            mine = [i for i, h in enumerate(table[0]) if i and h in own_columns]
            for row in table[1:]:
                if row[0] == labels[r["measure"]]:
                    assert {row[i] for i in mine} == {"–"}, (r["enhet"], r["measure"], row)
                    checked += 1
        for table in (t for p in pages for t in read(p).tables):
            if labels[r["measure"]] in table[0]:
                column = table[0].index(labels[r["measure"]])
                for row in table[1:]:
                    if row[0] == r["enhet"]:
                        assert row[column] == "–", (r["enhet"], r["measure"], row)
                        checked += 1
    assert checked >= partial.height


def render(browser: str, page: Path, out: Path, width: int = 794) -> str:
    """Prints the page to PDF and PNG at A4 width, and returns the DOM after layout with a
    probe of whether any table is wider than the page."""
    probe = page.with_name(f"probe-{page.name}")
    script = (
        "<script>document.body.dataset.overflow = [...document.querySelectorAll('table')]"
        ".some(t => t.getBoundingClientRect().right > document.documentElement.clientWidth + 1)"
        "</script></body>"
    )
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", script), "utf-8")
    base = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--window-size={width},1123",
    ]
    for flag in (
        (f"--print-to-pdf={out / (page.stem + '.pdf')}", "--no-pdf-header-footer"),
        (f"--screenshot={out / (page.stem + '.png')}",),
    ):
        subprocess.run([*base, *flag, probe.as_uri()], check=True, capture_output=True, timeout=90)
    dom = subprocess.run(
        [*base, "--dump-dom", probe.as_uri()], check=True, capture_output=True, timeout=90
    ).stdout.decode("utf-8")
    probe.unlink()
    return dom


def test_pages_render_in_a_real_browser_without_overflow(pages, tmp_path):
    """The index, every förvaltning's page and the units with the longest names (the widest
    tables) rendered at A4 width, printed to PDF and PNG."""
    browser = chromium()
    units = sorted((p for p in pages if p.name.startswith("2-")), key=lambda p: -len(p.name))
    chosen = [p for p in pages if not p.name.startswith("2-")] + units[:3]
    assert len(chosen) == 1 + 5 + 3
    for page in chosen:
        dom = render(browser, page, tmp_path)
        assert 'data-overflow="false"' in dom, page.name
        assert "Svarsfördelning per påstående" in dom and "Mitt arbete känns meningsfullt" in dom
        pdf = (tmp_path / f"{page.stem}.pdf").read_bytes()
        assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
        png = (tmp_path / f"{page.stem}.png").read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_a_units_page_names_the_statements_to_work_on_from_the_driver_analysis(tmp_path):
    pub = ly.Publication(ly.example_data("staff", year=2025), "hme")
    table = pub.estimate(by=BY)
    priorities = pub.priority_matrix(by="enhet")
    pages = ly.write_pages(table, "hme", tmp_path, by=BY, priorities=priorities, year=2025)
    page = next(
        p for p in pages if p.name == _file_name((2, "Socialförvaltningen", "Hemtjänst Norr"))
    )
    text = " ".join(read(page).text)
    focus = priorities.filter(enhet="Hemtjänst Norr", focus=True).sort("rank")
    labels = dict(ly.Instrument.builtin("hme").labels().select("measure", "label").iter_rows())
    assert focus.height == 3
    for r in focus.iter_rows(named=True):
        score = f"{r['score']:.1f}".replace(".", ",")
        share = f"{r['importance_pct']:.0f}\u00a0%"
        assert (
            f"{labels[r['item']]} – värde {score}, står för {share} av det som förklarar "
            "HME totalindex" in text
        )
    # the strongest statements and the difference from the förvaltning are there too
    assert "Starkast" in text and "Hela förvaltningen" in text and "Skillnad" in text
