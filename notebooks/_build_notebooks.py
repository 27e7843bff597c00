"""Writes the notebooks from their cell sources (run by hand after editing; the test suite
executes the .ipynb files themselves)."""

from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).parent


def notebook(cells):
    nb = nbf.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbf.v4.new_markdown_cell(src) if kind == "md" else nbf.v4.new_code_cell(src)
        for kind, src in cells
    ]
    return nb


QUICKSTART = [
    (
        "md",
        """# lyhord quickstart: from a staff survey to a published EPL and HME table

This notebook runs the whole path on **Exempelkommun**, the example municipality that lyhord
generates itself (seeded: the same numbers every time): about 6,000 employees in five
förvaltningar and ~120 enheter, some too small to publish.""",
    ),
    (
        "code",
        """import lyhord as ly
import polars as pl

pl.Config.set_tbl_rows(12)
inst = ly.Instrument.builtin("epl-staff")
inst""",
    ),
    (
        "md",
        "## The answers\nOne row per respondent; item columns hold codes 1–5, null for no answer and 6 for *vet ej*.",
    ),
    (
        "code",
        """answers = ly.example_data("staff", year=2025)
print(answers.shape)
answers.select("forvaltning", "enhet", "kon", *inst.items[:6]).head()""",
    ),
    (
        "code",
        """# missing answers and "vet ej" per item, as shares
answers.select(
    [pl.col(i).is_null().mean().alias(i) for i in inst.items]
).unpivot(variable_name="item", value_name="missing").join(
    answers.select([(pl.col(i) == 6).mean().alias(i) for i in inst.items]).unpivot(variable_name="item", value_name="vet_ej"),
    on="item",
)""",
    ),
    (
        "md",
        "## Respondent scores\nEach dimension is the mean of its answered items on 0–100 (reverse-keyed items turned), when enough items are answered; the EPL index is the mean of the three dimensions.",
    ),
    (
        "code",
        """scores = ly.score(answers, inst)
scores.select("engagement", "participation", "learning", "epl").describe()""",
    ),
    (
        "md",
        "## The published table\nGrouped by förvaltning and enhet, with the finite-population correction from the headcounts (a staff survey is close to a census). Groups under the minimum size are blanked, and so are as many siblings as needed so that nobody can subtract their way to a blanked group.",
    ),
    (
        "code",
        """hc = ly.headcounts(year=2025)
table = ly.estimate(scores, inst, by=["forvaltning", "enhet"], headcounts=hc, min_group=5)
table.filter(pl.col("level") <= 1, pl.col("kind") != "item").select(
    "level", "forvaltning", "measure", "n", "mean", "ci_low", "ci_high", "pct_positive"
)""",
    ),
    (
        "code",
        """# what was blanked, and why
table.filter(pl.col("level") == 2, pl.col("measure") == "epl").group_by("suppression").len()""",
    ),
    (
        "code",
        """# every blanked cell keeps its row: nothing disappears silently
table.filter(pl.col("level") == 2, pl.col("measure") == "epl", pl.col("suppressed")).select(
    "forvaltning", "enhet", "n_respondents", "n", "mean", "suppression"
).head(8)""",
    ),
    (
        "md",
        "## Units × dimensions\nBlanked cells are grey and show a dash: the figure publishes nothing the table does not.",
    ),
    (
        "code",
        """%matplotlib inline
from lyhord.plot import heatmap

ax = heatmap(table.filter(pl.col("forvaltning").str.starts_with("Social") | (pl.col("level") < 2)), level=2, label="enhet")
ax.set_title("EPL dimensions, Socialförvaltningen 2025");""",
    ),
    (
        "md",
        "## SKR's HME for Kolada\nThe same answers also hold the nine HME statements; the total index and sub-indices are what Kolada reports as U00200–U00203.",
    ),
    (
        "code",
        """hme = ly.estimate(answers, "hme", by=["forvaltning"], headcounts=hc.group_by("forvaltning").agg(pl.col("headcount").sum()))
hme.filter(pl.col("kind") != "item").pivot(on="measure", index=["level", "forvaltning"], values="mean")""",
    ),
    (
        "md",
        "## Scoring inside your own polars queries\n`ly.expr` gives the same scoring as expressions, for `with_columns`, `group_by` and lazy queries.",
    ),
    (
        "code",
        """(
    answers.lazy()
    .with_columns(ly.expr.scores(inst))
    .group_by("kon")
    .agg(pl.len(), pl.col("epl").mean().round(1), pl.col("participation").mean().round(1))
    .sort("kon")
    .collect()
)""",
    ),
]

if __name__ == "__main__":
    nbf.write(notebook(QUICKSTART), HERE / "01_quickstart.ipynb")
