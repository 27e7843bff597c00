"""Manager pages: one self-contained HTML page per published group, and an index page.

Each page shows a group's respondents and response rate, its index and dimensions with
intervals beside last year, the parent group and the whole organisation, a stacked
negative / neutral / positive bar per statement, its strongest and weakest statements, and
what the numbers mean. Only published numbers appear: a blanked group has no page and is
"–" wherever it is listed, with one line saying why, never a count.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from .._args import resolve_instrument
from .._followup import _invariance_flags, compare_waves
from .._lyhord import DataError, Instrument
from .._types import Lang
from ._format import BLANK, Words, action_note, measure_labels, measured_waves
from ._wide import column_title

__all__ = ["write_pages"]

CSS = """
:root { --neg: #c0504d; --neu: #bfbfbf; --pos: #4f81bd; --ink: #1f2328; --muted: #57606a; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, "Segoe UI", Roboto, Arial, sans-serif; color: var(--ink);
       max-width: 60rem; margin: 2rem auto; padding: 0 1.25rem; }
h1 { font-size: 1.6rem; margin: 0 0 .2rem; } h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; }
.sub { color: var(--muted); margin: 0 0 1.5rem; }
.keys { display: flex; flex-wrap: wrap; gap: 1rem; margin: 1rem 0; }
.key { border: 1px solid #d0d7de; border-radius: 6px; padding: .6rem 1rem; min-width: 9rem; }
.key b { display: block; font-size: 1.5rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { border-bottom: 1px solid #d0d7de; padding: .35rem .5rem; text-align: right; }
th:first-child, td:first-child { text-align: left; width: 24%; overflow-wrap: anywhere; }
small { color: var(--muted); white-space: nowrap; }
td:nth-child(2):has(svg) { width: 25%; }
thead th { background: #f6f8fa; font-weight: 600; }
.bar { width: 100%; height: 1.1rem; display: block; }
.legend span { display: inline-block; margin-right: 1rem; }
.legend i { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; }
.note { color: var(--muted); font-size: .9rem; }
nav a { margin-right: 1rem; }
@media print { body { margin: 0; max-width: none; } a { color: inherit; text-decoration: none; }
  h2 { break-after: avoid; } tr { break-inside: avoid; } }
"""

_TEXT = {
    "sv": {
        "title": "{name}, {year}",
        "index": "Översikt",
        "respondents": "Svarande",
        "rate": "Svarsfrekvens",
        "measures": "Index och delindex",
        "this": "Värde",
        "ci": "Intervall",
        "last": "Förra året",
        "change": "Förändring",
        "parent": "{name}",
        "distribution": "Svarsfördelning per påstående",
        "strong": "Starkast",
        "weak": "Att arbeta med",
        "units": "Enheter",
        "all": "Alla grupper",
        "comparability": "Jämförbarhet mellan grupper – {dimension}: {verdict}.",
        "means": (
            "Värdena går från 0 till 100: varje svar räknas om så att 'stämmer mycket "
            "dåligt' blir 0 och 'stämmer mycket bra' blir 100, och ett index är medelvärdet. "
            "Intervallet visar osäkerheten (95 %): skillnader inom intervallet kan bero på "
            "slumpen. Positiva = de två högsta svarsalternativen, negativa = de två lägsta."
        ),
        "significant": "* = säkerställd förändring sedan förra året (95 %, Holm-justerat).",
        "no_change": "ingen jämförbar uppgift",
        "back": "Till översikten",
        "made": "Framtaget {date} med lyhord ur {instrument}.",
        "blanked_units": "{count} visas inte: för få svar.",
        "focus": "{statement} – värde {score}, står för {share} av det som förklarar {index}",
        "whole_group": "Hela {group}",
        "difference": "Skillnad",
        "difference_note": "Skillnad = värdet minus {group}s värde.",
        "interval": "Under värdet: 95 % konfidensintervall.",
        "actions": "Åtgärder och utfall",
        "detectable": "Nästa mätning kan visa en förändring av {index} på {x} poäng eller mer "
        "(med {power} % sannolikhet, om lika många svarar).",
        "action_all": "{action} ({units}, {first} jämfört med {base}): {sentence}.",
        "action_starts": "{action}, starterna {waves} tillsammans ({units}): {sentence}.",
        "detectable_all": "Här svarar alla: nästa mätning visar varje förändring av {index}, "
        "om alla svarar igen.",
        "action_unit": "{unit}: {sentence}.",
        "action_pretrend": "Obs: redan före {action} utvecklades {label} annorlunda än i "
        "jämförbara enheter, så skillnaden behöver inte bero på åtgärden.",
        "action_none": "{action} ({first} jämfört med {base}): {note}.",
    },
    "en": {
        "title": "{name}, {year}",
        "index": "Overview",
        "respondents": "Respondents",
        "rate": "Response rate",
        "measures": "Index and sub-indices",
        "this": "Value",
        "ci": "Interval",
        "last": "Last year",
        "change": "Change",
        "parent": "{name}",
        "distribution": "Answers per statement",
        "strong": "Strongest",
        "weak": "To work on",
        "units": "Units",
        "all": "All groups",
        "comparability": "Comparability across groups – {dimension}: {verdict}.",
        "means": (
            "Values run from 0 to 100: each answer is rescaled so that 'strongly disagree' "
            "is 0 and 'strongly agree' is 100, and an index is the mean. The interval shows "
            "the uncertainty (95 %): differences within it may be chance. Positive = the two "
            "highest answers, negative = the two lowest."
        ),
        "significant": "* = significant change since last year (95 %, Holm-adjusted).",
        "no_change": "nothing comparable",
        "back": "Back to the overview",
        "made": "Made {date} with lyhord from {instrument}.",
        "blanked_units": "{count} not shown: too few answers.",
        "focus": "{statement} – value {score}, {share} of what explains the {index}",
        "whole_group": "All of the {group}",
        "difference": "Difference",
        "difference_note": "Difference = the value minus that of {group}.",
        "interval": "Below the value: 95 % confidence interval.",
        "actions": "Actions and outcomes",
        "detectable": "The next wave can show a change in the {index} of {x} points or more "
        "(with {power} % probability, if as many answer).",
        "action_all": "{action} ({units}, {first} compared with {base}): {sentence}.",
        "action_starts": "{action}, the starts {waves} together ({units}): {sentence}.",
        "detectable_all": "Everyone answers here: the next wave shows any change in the {index} "
        "if everyone answers again.",
        "action_unit": "{unit}: {sentence}.",
        "action_pretrend": "Note: already before {action}, {label} moved differently than in "
        "comparable units, so the difference need not be the action's doing.",
        "action_none": "{action} ({first} compared with {base}): {note}.",
    },
}


@dataclass
class _Context:
    inst: Instrument
    words: Words
    by: list[str]
    labels: dict[str, str]
    latest: pl.DataFrame
    change: pl.DataFrame | None
    priorities: pl.DataFrame | None
    year: str
    pages: dict[tuple, str]
    comparability: list[str] = field(default_factory=list)
    actions: pl.DataFrame | None = None
    detectable: pl.DataFrame | None = None

    def text(self, key: str, **kw: object) -> str:
        return _TEXT[self.words.lang][key].format(**kw)


def write_pages(
    table: pl.DataFrame,
    instrument: Instrument | str | Path,
    folder: str | Path,
    *,
    by: list[str] | str,
    earlier: pl.DataFrame | None = None,
    priorities: pl.DataFrame | None = None,
    year: int | str | None = None,
    lang: Lang | None = None,
    invariance: pl.DataFrame | None = None,
    actions: pl.DataFrame | None = None,
    detectable: pl.DataFrame | None = None,
) -> list[Path]:
    """Write one HTML page per published group of an estimate table, and ``index.html``.

    Parameters
    ----------
    table : polars.DataFrame
        An estimate table (:func:`estimate`, :meth:`Publication.estimate`) by ``by``;
        blanked rows are kept (they are shown as "–", never with a number).
    instrument : Instrument, str or path
    folder : path
        Where the pages go (created; existing pages of the same names are replaced).
    by : list of str
        The grouping columns of ``table``, top level first.
    earlier : polars.DataFrame, optional
        Last year's table, grouped the same way: each page shows last year's value and
        the change (published groups in both years only).
    priorities : polars.DataFrame, optional
        :meth:`Publication.priority_matrix` by the lowest ``by`` column, from the same
        publication as ``table``: a unit's page then names the three statements to work
        on from the driver analysis (important for the index and scored low), in words.
        Without it, the three lowest-scoring statements are listed.
    year : int or str, optional
        Shown in the titles.
    lang : {"sv", "en"}, optional
        Default: the instrument's language.
    invariance : polars.DataFrame, optional
        The table of :func:`invariance` across the units: every page then says, under the
        index table, which dimensions are not comparable between units and why (the
        verdict, in the language it was written in).
    actions : polars.DataFrame, optional
        The table of :func:`action_effects` from the same published tables: every page
        then has a section "Åtgärder och utfall" with the effect of each action that ran
        in the group's units (all its units together, then each unit shown), and a warning
        when the units already moved differently before the action.
    detectable : polars.DataFrame, optional
        The table of :func:`detectable_change` for ``table``: every page then says how
        large a change of the index the next wave can show for the group.

    Returns
    -------
    list of Path
        The pages written, ``index.html`` first.

    Examples
    --------
    >>> import tempfile, lyhord as ly
    >>> staff = ly.example_data("staff", year=2025)
    >>> t = ly.estimate(staff, "hme", by=["forvaltning", "enhet"],
    ...                 headcounts=ly.headcounts(year=2025))
    >>> pages = ly.write_pages(t, "hme", tempfile.mkdtemp(), by=["forvaltning", "enhet"],
    ...                        year=2025)
    >>> pages[0].name, "Hela kommunen" in pages[0].read_text(encoding="utf-8")
    ('index.html', True)
    """
    by = [by] if isinstance(by, str) else list(by)
    missing = [c for c in ["level", *by, "measure", "suppressed"] if c not in table.columns]
    if missing:
        raise DataError(
            f"`table` lacks column `{missing[0]}`: pass an estimate table grouped by "
            f"by={by} (ly.estimate or Publication.estimate)"
        )
    inst = resolve_instrument(instrument)
    words = Words.of(inst, lang)
    ctx = _Context(
        inst=inst,
        words=words,
        by=by,
        labels=measure_labels(inst, words),
        latest=table,
        change=None if earlier is None else compare_waves(earlier, table),
        priorities=priorities,
        year="" if year is None else str(year),
        pages={},
    )
    if invariance is not None:
        ctx.comparability = [
            ctx.text("comparability", dimension=ctx.labels.get(d, d), verdict=verdict)
            for d, (comparable, verdict) in _invariance_flags(invariance).items()
            if comparable is False and verdict
        ]
    ctx.actions, ctx.detectable = actions, detectable
    groups = _groups(table, by)
    for key in groups:
        ctx.pages[key] = "index.html" if key[0] == 0 else _file_name(key)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for key in groups:
        path = out / ctx.pages[key]
        path.write_text(_page(ctx, key), encoding="utf-8")
        written.append(path)
    return written


def _groups(table: pl.DataFrame, by: list[str]) -> list[tuple]:
    """(level, keys…) of every published group (any of its numbers shown), the total first."""
    keys = ["level", *by]
    shown = table.group_by(keys, maintain_order=True).agg(
        (~pl.col("suppressed")).any().alias("shown")
    )
    return [tuple(r[:-1]) for r in shown.filter("shown").select(*keys, "shown").iter_rows()]


def _file_name(key: tuple) -> str:
    parts = [str(v) for v in key[1:] if v is not None]
    slug = "-".join(
        "".join(ch.lower() if ch.isalnum() else "-" for ch in part).strip("-") for part in parts
    )
    return f"{key[0]}-{slug or 'saknas'}.html"


def _rows_of(table: pl.DataFrame, by: list[str], key: tuple) -> pl.DataFrame:
    level = key[0]
    cond = pl.col("level") == level
    for c, v in zip(by, key[1:], strict=True):
        cond &= pl.col(c).is_null() if v is None else pl.col(c) == v
    return table.filter(cond)


def _name(ctx: _Context, key: tuple) -> str:
    level = key[0]
    if level == 0:
        return ctx.words["total"]
    value = key[level]
    return ctx.words.missing(ctx.by[level - 1]) if value is None else str(value)


def _parent(key: tuple) -> tuple | None:
    level = key[0]
    if level == 0:
        return None
    keys = list(key[1:])
    keys[level - 1] = None
    return (level - 1, *keys)


def _value(rows: pl.DataFrame, measure: str, column: str) -> float | None:
    row = rows.filter(pl.col("measure") == measure)
    if row.height == 0 or row["suppressed"][0]:
        return None
    return row[column][0]


def _page(ctx: _Context, key: tuple) -> str:
    w = ctx.words
    name = _name(ctx, key)
    rows = _rows_of(ctx.latest, ctx.by, key)
    title = ctx.text("title", name=name, year=ctx.year) if ctx.year else name
    parts = [
        _head(ctx, title),
        f"<h1>{_e(title)}</h1>",
        f"<p class='sub'>{_e(ctx.inst.name)}</p>",
    ]
    if key[0] > 0:
        parts.append(f"<nav><a href='index.html'>{_e(ctx.text('back'))}</a></nav>")
    parts.append(_key_figures(ctx, rows))
    parts.append(_measures_table(ctx, key, rows))
    parts.extend(f"<p class='note'>{_e(text)}</p>" for text in ctx.comparability)
    parts.append(_detectable(ctx, key))
    parts.append(_statements(ctx, key, rows))
    parts.append(_actions_section(ctx, key))
    children = _children(ctx, key)
    if children:
        parts.append(children)
    parts.append(f"<p class='note'>{_e(ctx.text('means'))}</p>")
    parts.append(f"<p class='note'>{_e(w['blank_note'])}</p>")
    made = ctx.text("made", date=date.today().isoformat(), instrument=ctx.inst.name)
    parts.append(f"<p class='note'>{_e(made)}</p></main></body></html>")
    return "\n".join(parts)


def _detectable(ctx: _Context, key: tuple) -> str:
    """How large a change of the index the next wave can show for the group (none for a
    blank: a blanked group has no page, and a blanked index no number)."""
    if ctx.detectable is None:
        return ""
    rows = _rows_of(ctx.detectable, ctx.by, key).filter(pl.col("measure") == ctx.inst.index_id)
    if rows.height == 0 or rows["detectable"][0] is None:
        return ""
    if rows["detectable"][0] == 0:
        text = ctx.text("detectable_all", index=ctx.labels[ctx.inst.index_id])
        return f"<p class='note'>{_e(text)}</p>"
    text = ctx.text(
        "detectable",
        index=ctx.labels[ctx.inst.index_id],
        x=ctx.words.number(rows["detectable"][0]),
        power=ctx.words.number(100 * rows["power"][0], 0),
    )
    return f"<p class='note'>{_e(text)}</p>"


def _actions_section(ctx: _Context, key: tuple) -> str:
    """The effect of each action in the group's units: all of them together, then each unit
    shown (its own row of the effects, so a unit is matched by its whole key)."""
    if ctx.actions is None or ctx.actions.height == 0:
        return ""
    fx = ctx.actions
    lines = []
    pooled = fx.filter(pl.col("view") == "effect").sort(
        "action", "first_wave", nulls_last=True, maintain_order=True
    )
    for row in pooled.iter_rows(named=True):
        units = _unit_rows(fx, row)
        mine = [u for u in units if _under(u, key, ctx.by)]
        if key[0] > 0 and not mine:
            continue
        lines.extend(_action_lines(ctx, fx, row))
        for unit in mine:
            if unit["sentence"]:
                name = unit[ctx.by[-1]]
                lines.append(ctx.text("action_unit", unit=name, sentence=unit["sentence"]))
    if not lines:
        return ""
    items = "".join(f"<li>{_e(line)}</li>" for line in lines)
    note = f"<p class='note'>{_e(action_note(fx, ctx.words))}</p>"
    return f"<h2>{_e(ctx.text('actions'))}</h2><ul>{items}</ul>{note}"


def _action_lines(ctx: _Context, fx: pl.DataFrame, row: dict) -> list[str]:
    """An action's pooled effect in words (or why there is none), and the placebo warning."""
    first, base = measured_waves(fx, row), str(row["base_wave"])
    if row["estimate"] is None:
        note = row["note"]
        return [ctx.text("action_none", action=row["action"], first=first, base=base, note=note)]
    count = ctx.words.count(len(row["units"] or []), "unit_noun")
    if row["first_wave"] is None:
        waves = _combined_waves(fx, row, ctx.words)
        text = ctx.text(
            "action_starts",
            action=row["action"],
            waves=waves,
            units=count,
            sentence=row["sentence"],
        )
        return [text]
    lines = [
        ctx.text(
            "action_all",
            action=row["action"],
            first=first,
            base=base,
            units=count,
            sentence=row["sentence"],
        )
    ]
    if _pretrend(fx, row):
        lines.append(ctx.text("action_pretrend", action=row["action"], label=row["label"]))
    return lines


def _unit_rows(fx: pl.DataFrame, row: dict) -> list[dict]:
    """The unit rows of a pooled effect's action, wave and measure (every start's, for the
    starts together)."""
    same = (
        (pl.col("view") == "unit")
        & (pl.col("action") == row["action"])
        & (pl.col("measure") == row["measure"])
    )
    if row["first_wave"] is not None:
        same &= pl.col("first_wave") == row["first_wave"]
    return fx.filter(same).to_dicts()


def _combined_waves(fx: pl.DataFrame, row: dict, words: Words) -> str:
    """The first waves of the starts a combined row is made of: "2025 och 2026"."""
    starts = fx.filter(
        (pl.col("view") == "effect")
        & (pl.col("action") == row["action"])
        & (pl.col("measure") == row["measure"])
        & pl.col("first_wave").is_not_null()
        & pl.col("estimate").is_not_null()
    )["first_wave"]
    waves = [str(w) for w in sorted(starts.to_list())]
    return (
        f"{', '.join(waves[:-1])} {words['and']} {waves[-1]}" if len(waves) > 1 else "".join(waves)
    )


def _under(unit: dict, key: tuple, by: list[str]) -> bool:
    """Whether an effects row's unit lies in the page's group (keys compared as text: the
    effects hold them as text whatever the estimate table's type)."""
    level = key[0]
    return all(str(unit[c]) == str(v) for c, v in zip(by[:level], key[1 : level + 1], strict=True))


def _pretrend(fx: pl.DataFrame, row: dict) -> bool:
    """Whether a wave before the start already shows a clear difference (the placebo)."""
    before = fx.filter(
        (pl.col("view") == "event")
        & (pl.col("action") == row["action"])
        & (pl.col("first_wave") == row["first_wave"])
        & (pl.col("measure") == row["measure"])
        & (pl.col("event_time") < -1)
    )
    return bool(before.filter((pl.col("ci_low") > 0) | (pl.col("ci_high") < 0)).height)


def _head(ctx: _Context, title: str) -> str:
    return (
        f"<!DOCTYPE html>\n<html lang='{ctx.words.lang}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main>"
    )


def _key_figures(ctx: _Context, rows: pl.DataFrame) -> str:
    w = ctx.words
    index = ctx.inst.index_id
    n = _respondents(rows)
    figures = [(ctx.text("respondents"), w.number(n, 0))]
    headcount = _first_shown(rows, "headcount")
    if headcount and n is not None:
        figures.append((ctx.text("rate"), w.percent(100 * n / headcount)))
    figures.append((ctx.labels[index], w.number(_value(rows, index, "mean"))))
    cells = "".join(f"<div class='key'>{_e(k)}<b>{_e(v)}</b></div>" for k, v in figures)
    return f"<section class='keys'>{cells}</section>"


def _first_shown(rows: pl.DataFrame, column: str):
    """A group's own number (respondents, headcount) from any of its published rows."""
    shown = rows.filter(~pl.col("suppressed"))
    return shown[column][0] if shown.height else None


def _respondents(rows: pl.DataFrame) -> int | None:
    return _first_shown(rows, "n_respondents")


def _measures_table(ctx: _Context, key: tuple, rows: pl.DataFrame) -> str:
    """Index and sub-indices: the value (its interval below it), last year and the change,
    the group above ("Hela förvaltningen") and the difference from it, the whole kommun."""
    w = ctx.words
    parent = _parent(key)
    refs: list[tuple[str, pl.DataFrame]] = []
    if parent is not None:
        if parent[0] > 0:
            whole = ctx.text("whole_group", group=_definite(column_title(ctx.by[parent[0] - 1]), w))
            refs.append((whole, _rows_of(ctx.latest, ctx.by, parent)))
        total = (0, *([None] * len(ctx.by)))
        refs.append((w["total"], _rows_of(ctx.latest, ctx.by, total)))
    change = _rows_of(ctx.change, ctx.by, key) if ctx.change is not None else None
    head = [w["measure"], ctx.text("this")]
    if change is not None:
        head += [ctx.text("last"), ctx.text("change")]
    if refs:
        head += [refs[0][0], ctx.text("difference")]
        head += [name for name, _ in refs[1:]]
    body = []
    for measure, kind in ctx.inst.measures:
        if kind == "item":
            continue
        mean = _value(rows, measure, "mean")
        cells = [ctx.labels[measure], _Raw(_with_interval(w, rows, measure))]
        if change is not None:
            cells += _change_cells(w, change.filter(pl.col("measure") == measure))
        if refs:
            references = [_value(r, measure, "mean") for _, r in refs]
            above = references[0]
            diff = None if mean is None or above is None else mean - above
            cells += [w.number(above), w.number(diff, sign=True)]
            cells += [w.number(v) for v in references[1:]]
        body.append(cells)
    notes = [ctx.text("interval")]
    if refs:
        notes.append(ctx.text("difference_note", group=refs[0][0].lower()))
    if change is not None:
        notes.append(ctx.text("significant"))
    note = "".join(f"<p class='note'>{_e(n)}</p>" for n in notes)
    return f"<h2>{_e(ctx.text('measures'))}</h2>" + _table(head, body) + note


def _with_interval(w: Words, rows: pl.DataFrame, measure: str) -> str:
    """The value, and its 95 % interval in small type below it ("–" when blanked)."""
    mean = _value(rows, measure, "mean")
    low, high = _value(rows, measure, "ci_low"), _value(rows, measure, "ci_high")
    if mean is None or low is None:
        return _e(w.number(mean))
    return f"{_e(w.number(mean))}<br><small>{_e(w.number(low))}–{_e(w.number(high))}</small>"


def _definite(noun: str, w: Words) -> str:
    """ "förvaltningen", "enheten", "området": the Swedish definite form of a group's
    name (English keeps the noun)."""
    word = noun.lower()
    if w.lang != "sv":
        return word
    return word + ("t" if word.endswith("e") else "en")


def _change_cells(w: Words, row: pl.DataFrame) -> list[str]:
    """Last year's value and the change, starred when significant; "–" unless the group
    was published in both years (compare_waves compares published groups only)."""
    if row.height == 0 or row["change"][0] is None:
        return [BLANK, BLANK]
    star = "*" if row["significant"][0] else ""
    return [w.number(row["mean_earlier"][0]), w.number(row["change"][0], sign=True) + star]


def _statements(ctx: _Context, key: tuple, rows: pl.DataFrame) -> str:
    """A stacked bar per statement, then the strongest statements and those to work on."""
    w = ctx.words
    items = [m for m, k in ctx.inst.measures if k == "item"]
    body = []
    scored = []
    for item in items:
        neg, neu, pos = (
            _value(rows, item, f"pct_{s}") for s in ("negative", "neutral", "positive")
        )
        mean = _value(rows, item, "mean")
        if mean is not None:
            scored.append((mean, item))
        if pos is None or neg is None or neu is None:
            body.append([ctx.labels[item], BLANK, BLANK, BLANK, BLANK])
            continue
        label = (
            f"{w['negative']} {w.percent(neg)}, {w['neutral']} {w.percent(neu)}, "
            f"{w['positive']} {w.percent(pos)}"
        )
        body.append(
            [
                ctx.labels[item],
                _Raw(_bar(neg, neu, pos, label)),
                w.percent(neg),
                w.percent(neu),
                w.percent(pos),
            ]
        )
    legend = "".join(
        f"<span><i style='background:var(--{c})'></i>{_e(w[k])}</span>"
        for c, k in (("neg", "negative"), ("neu", "neutral"), ("pos", "positive"))
    )
    out = [f"<h2>{_e(ctx.text('distribution'))}</h2><p class='legend'>{legend}</p>"]
    out.append(_table([w["statement"], "", w["negative"], w["neutral"], w["positive"]], body))
    if len(scored) >= 6:
        scored.sort()
        strong = [ctx.labels[i] + f" ({w.number(m)})" for m, i in scored[::-1][:3]]
        weak = _to_work_on(ctx, key) or [ctx.labels[i] + f" ({w.number(m)})" for m, i in scored[:3]]
        for title, listed in ((ctx.text("strong"), strong), (ctx.text("weak"), weak)):
            items_html = "".join(f"<li>{_e(x)}</li>" for x in listed)
            out.append(f"<h2>{_e(title)}</h2><ol>{items_html}</ol>")
    return "".join(out)


def _to_work_on(ctx: _Context, key: tuple) -> list[str]:
    """The driver analysis' three focus statements of a unit, in words (none when the
    priorities are not given or not published for it)."""
    leaf = ctx.by[-1]
    if ctx.priorities is None or key[0] != len(ctx.by) or leaf not in ctx.priorities.columns:
        return []
    value = key[-1]
    mine = ctx.priorities.filter(
        (pl.col(leaf).is_null() if value is None else pl.col(leaf) == value),
        ~pl.col("suppressed"),
        pl.col("focus"),
    ).sort("rank")
    index = ctx.labels[ctx.inst.index_id]
    return [
        ctx.text(
            "focus",
            statement=ctx.labels.get(r["item"], r["item"]),
            score=ctx.words.number(r["score"]),
            share=ctx.words.percent(r["importance_pct"]),
            index=index,
        )
        for r in mine.head(3).iter_rows(named=True)
    ]


def _bar(neg: float, neu: float, pos: float, label: str) -> str:
    """A stacked bar as inline SVG (no files, no scripts): negative, neutral, positive."""
    x, rects = 0.0, []
    for share, colour in ((neg, "neg"), (neu, "neu"), (pos, "pos")):
        rects.append(
            f"<rect x='{x:.2f}' width='{share:.2f}' height='10' style='fill:var(--{colour})'/>"
        )
        x += share
    return (
        f"<svg class='bar' viewBox='0 0 100 10' preserveAspectRatio='none' role='img' "
        f"aria-label='{_e(label)}'><title>{_e(label)}</title>{''.join(rects)}</svg>"
    )


def _children(ctx: _Context, key: tuple) -> str:
    """The groups one level down: linked when published, "–" when blanked."""
    level = key[0]
    if level >= len(ctx.by):
        return ""
    w = ctx.words
    cond = pl.col("level") == level + 1
    for c, v in zip(ctx.by[:level], key[1 : level + 1], strict=True):
        cond &= pl.col(c).is_null() if v is None else pl.col(c) == v
    index = ctx.inst.index_id
    keys = [ctx.by[i] for i in range(len(ctx.by))]
    children = ctx.latest.filter(cond).select(keys).unique(maintain_order=True)
    dims = [m for m, k in ctx.inst.measures if k == "dimension"]
    body, n_blank = [], 0
    for r in children.iter_rows(named=True):
        child = (level + 1, *(r[c] for c in ctx.by))
        name = _e(_name(ctx, child))
        if child not in ctx.pages:  # the whole group is blanked
            n_blank += 1
            body.append([_Raw(name), BLANK, BLANK, *([BLANK] * len(dims))])
            continue
        link = _Raw(f"<a href='{ctx.pages[child]}'>{name}</a>")
        child_rows = _rows_of(ctx.latest, ctx.by, child)
        values = [w.number(_value(child_rows, m, "mean")) for m in [index, *dims]]
        body.append([link, w.number(_respondents(child_rows), 0), *values])
    head = [ctx.text("all") if level == 0 else ctx.text("units"), ctx.text("respondents")]
    head += [ctx.labels[m] for m in [index, *dims]]
    note = ""
    if n_blank:
        note = (
            f"<p class='note'>{_e(ctx.text('blanked_units', count=w.count(n_blank, 'group')))}</p>"
        )
    return f"<h2>{_e(head[0])}</h2>" + _table(head, body) + note


class _Raw(str):
    """Markup that is already escaped."""


def _e(text: object) -> str:
    return text if isinstance(text, _Raw) else html.escape(str(text), quote=True)


def _table(head: list[str], body: list[list]) -> str:
    header = "".join(f"<th scope='col'>{_e(h)}</th>" for h in head)
    rows = "".join(
        "<tr>"
        + f"<th scope='row'>{_e(r[0])}</th>"
        + "".join(f"<td>{_e(c)}</td>" for c in r[1:])
        + "</tr>"
        for r in body
    )
    return f"<table><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>"
