"""Writes the notebooks from their cell sources: this file is the source of the notebooks.

    python notebooks/_build_notebooks.py           # rewrite notebooks/*.ipynb
    python notebooks/_build_notebooks.py --check   # exit 1 if a committed notebook differs

Edit the cells here, never in the .ipynb files: the test suite runs ``--check`` and fails when
a committed notebook is not what this file writes. Notebooks are stored without outputs (the
test suite executes them; the documentation site renders them executed). Cell ids are derived
from the notebook's name and the cell's position so that writing twice gives the same bytes.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).parent
PYPROJECT = HERE.parent / "pyproject.toml"


def notebook(name, cells):
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
    for position, cell in enumerate(nb.cells):
        cell.id = f"{name[:2]}-{position:03d}"
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
        """# how many units were blanked (those under 5, and the partners that hide them)
table.filter(pl.col("level") == 2, pl.col("measure") == "epl").group_by("suppressed").len()""",
    ),
    (
        "code",
        """# every blanked unit keeps its row, and the row is bare: no number, no reason
table.filter(pl.col("level") == 2, pl.col("measure") == "epl", pl.col("suppressed")).select(
    "forvaltning", "enhet", "n_respondents", "n", "mean", "suppressed"
).head(8)""",
    ),
    (
        "md",
        "## Several tables of the same answers: one publication\nTwo tables of the same answers (by unit and by kön, or the reliability and driver analyses beside the estimates) are only protected together when they come from one `ly.Publication`: each table it returns is suppressed jointly with those it returned before, so a blank in one cannot be recovered by subtracting numbers of another. `pub.audit()` shows, for every blanked group, the interval an attacker holding all the published numbers can narrow its count and sums to (solved as linear programmes, with whole-number and sign bounds). The audit is for the statistician: never publish it.",
    ),
    (
        "code",
        """pub = ly.Publication(scores, inst, min_group=5)
by_unit = pub.estimate(by=["forvaltning", "enhet"], headcounts=hc)
by_sex = pub.estimate(by="kon")
by_sex.filter(pl.col("measure") == "epl").select("kon", "n_respondents", "mean", "suppressed")""",
    ),
    (
        "code",
        """audit = pub.audit()
# small units: the attacker's interval for their respondent count is at least 5 wide
audit.filter(pl.col("layer") == "respondents").select(
    "group", "blank", "value", "low", "high", "required_width", "passed"
).head(8)""",
    ),
    (
        "code",
        """audit.group_by("layer", "blank").agg(pl.len(), pl.col("passed").all())""",
    ),
    (
        "md",
        '## What a förvaltningschef reads\n`ly.wide` turns the long table into groups × measures with the instrument\'s own words (Swedish for the Swedish instruments, `lang="en"` for English): the statements as column names, the total row named, one decimal, blanks empty. `ly.write_report` writes the same as an Excel workbook and `ly.write_pages` as one HTML page per förvaltning and enhet.',
    ),
    (
        "code",
        """ly.wide(by_unit, inst).filter(pl.col("level") <= 1).drop("level")""",
    ),
    (
        "md",
        "## Answers per statement\nThe stacked negative / neutral / positive bars every engagement report leads with; a blanked group has no bars, only a dash.",
    ),
    (
        "code",
        """%matplotlib inline
ax = ly.plot.distribution(by_unit, inst, where={"forvaltning": "Socialförvaltningen"})""",
    ),
    (
        "md",
        "## Units × dimensions\nUnits grouped by förvaltning, coloured by the difference from the whole kommun. Blanked cells are grey and show a dash: the figure publishes nothing the table does not.",
    ),
    (
        "code",
        """social = table.filter(pl.col("forvaltning").str.starts_with("Social") | (pl.col("level") < 2))
ax = ly.plot.heatmap(social, level=2, label="enhet", instrument=inst)""",
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

RELIABILITY = [
    (
        "md",
        """# Reliability, item analysis and what drives the index

Before publishing an index, check that its items hang together (reliability), that no item
misbehaves (item analysis), and then ask which items matter most for the index (drivers) and
where each unit should start (priority matrix). All on Exempelkommun's 2025 staff survey.

Items are scored exactly as `ly.score` does: reverse-keyed items turned, *vet ej* treated as
missing, answers on 0–100.""",
    ),
    (
        "code",
        """import lyhord as ly
import polars as pl

pl.Config.set_tbl_rows(16)
answers = ly.example_data("staff", year=2025)
epl = ly.Instrument.builtin("epl-staff")
answers.height""",
    ),
    (
        "md",
        """## Reliability per dimension
Cronbach's α (raw and standardised) with Feldt's 95 % interval, Guttman's λ6 and McDonald's ω total from a one-factor minres model; covariances from pairwise-complete answers, as R `psych::alpha` does.""",
    ),
    (
        "code",
        """ly.reliability(answers, epl).select(
    "scale",
    "kind",
    "k",
    "n",
    pl.col("alpha", "alpha_std", "ci_low", "ci_high", "lambda6", "omega_total", "average_r").round(
        3
    ),
    "note",
)""",
    ),
    (
        "code",
        """# SKR's HME on the same answers, with a bootstrap interval instead of Feldt's
ly.reliability(answers, "hme", ci="bootstrap", n_boot=300, seed=1).select(
    "scale", "k", "n", pl.col("alpha", "ci_low", "ci_high", "omega_total").round(3)
)""",
    ),
    (
        "code",
        """# per förvaltning: groups under the instrument's min_group would be suppressed
ly.reliability(answers, epl, by="forvaltning").filter(pl.col("kind") == "dimension").pivot(
    on="scale", index="forvaltning", values="alpha"
)""",
    ),
    (
        "md",
        """## Item analysis
The corrected item–total correlation (`r_drop`) is the item's correlation with the sum of the *other* items of its dimension; `alpha_if_deleted` shows whether the dimension would be more consistent without it. Floor and ceiling shares flag items that cannot discriminate.""",
    ),
    (
        "code",
        """items = ly.item_analysis(answers, epl)
items.select(
    "scale",
    "item",
    "reverse",
    "n",
    pl.col("mean", "sd", "r_drop", "alpha_if_deleted", "share_dont_know", "ceiling").round(3),
)""",
    ),
    (
        "code",
        """# answer distribution of the reverse-keyed items, in the codes as asked
items.filter(pl.col("reverse")).select(
    "item", "codes", pl.col("shares").list.eval(pl.element().round(3))
)""",
    ),
    (
        "md",
        """## What drives the EPL index
Johnson's relative weights split the explained variance (R²) among correlated items; `rescaled_pct` is each item's share, with a bootstrap interval. The index is built from these items, so the weights describe its composition; with a separately measured outcome (say an overall satisfaction question) pass `outcome=` that column.""",
    ),
    (
        "code",
        """drv = ly.drivers(answers, epl, outcome="index", n_boot=200, seed=1)
drv.sort("rescaled_pct", descending=True).select(
    "item",
    pl.col("r", "beta", "rescaled_pct", "rescaled_pct_ci_low", "rescaled_pct_ci_high").round(2),
    pl.col("r_squared").round(3),
)""",
    ),
    (
        "code",
        """%matplotlib inline
import matplotlib.pyplot as plt

d = drv.sort("rescaled_pct")
fig, ax = plt.subplots(figsize=(6, 4.5))
ax.barh(
    d["item"],
    d["rescaled_pct"],
    xerr=[
        d["rescaled_pct"] - d["rescaled_pct_ci_low"],
        d["rescaled_pct_ci_high"] - d["rescaled_pct"],
    ],
    color="#4c72b0",
)
ax.set_xlabel("share of explained variance in the EPL index (%)")
ax.set_title("Drivers of the EPL index, 2025");""",
    ),
    (
        "md",
        """## Priority matrix per unit
Importance (from the whole organisation) against each unit's current item score: `priority = importance_pct · (100 − score) / 100`. The three items with the highest priority are flagged `focus`. Units below the minimum group size get no content, only the reason.""",
    ),
    (
        "code",
        """pm = ly.priority_matrix(answers, epl, by="enhet", top=3)
largest = (
    pm.filter(~pl.col("suppressed"))
    .group_by("enhet")
    .agg(pl.col("n_respondents").first())
    .sort("n_respondents", descending=True)
    .head(3)["enhet"]
)
pm.filter(pl.col("enhet").is_in(largest.implode()), pl.col("focus")).sort("enhet", "rank").select(
    "enhet",
    "n_respondents",
    "rank",
    "item",
    pl.col("importance_pct", "score", "score_all", "priority").round(1),
)""",
    ),
    (
        "code",
        """# units that are too small keep their rows, without content
pm.filter(pl.col("suppressed")).select("enhet", "item", "n_respondents", "score", "note").head(3)""",
    ),
    (
        "code",
        """unit = largest[0]
u = pm.filter(pl.col("enhet") == unit)
fig, ax = plt.subplots(figsize=(6, 4.5))
ax.scatter(u["score"], u["importance_pct"], c=["#c44e52" if f else "#8c8c8c" for f in u["focus"]])
for row in u.iter_rows(named=True):
    ax.annotate(
        row["item"],
        (row["score"], row["importance_pct"]),
        fontsize=8,
        xytext=(3, 3),
        textcoords="offset points",
    )
ax.axvline(u["score_all"].mean(), ls=":", c="k")
ax.set_xlabel("current score in the unit (0–100)")
ax.set_ylabel("importance (% of explained variance)")
ax.set_title(f"{unit}: work first on the red items");""",
    ),
    (
        "md",
        """## Does the dimension structure hold?
A confirmatory factor model (each item on its own dimension, dimensions correlated; ML on the
complete respondents, as `lavaan::cfa`) checks that the three EPL dimensions are distinct and
that every item belongs where the instrument puts it. Rules of thumb: CFI and TLI at least
0.95, RMSEA at most 0.06, SRMR at most 0.08, loadings at least 0.4; a factor correlation near
1 says two dimensions measure the same thing.""",
    ),
    (
        "code",
        """fit = ly.dimension_check(answers, epl)
overall = fit.select(pl.col("n", "chisq", "df", "cfi", "tli", "rmsea", "srmr").round(3))
print(overall.row(0, named=True))
fit.select("dimension", "item", pl.col("loading", "uniqueness", "max_factor_r").round(2), "note")""",
    ),
]

INTERVIEWS = [
    (
        "md",
        """# Coded interviews: can we trust the coding, and what do the interviews say?

Exempelkommun interviewed managers and staff in a sample of units. Each interview is cut
into segments, coded with the built-in `epl-interviews` coding frame: codes that speak for
or against **engagement**, **participation** and **learning**, one rated code (`del_betyg`,
"how involved do you feel?", 1–5) and `ovrigt` for what falls outside the index. Coder K1
coded every interview; K2 recoded about a third independently. No quotes are stored or
shown: the data are codes only.""",
    ),
    (
        "code",
        """import lyhord as ly
import matplotlib.pyplot as plt
import polars as pl

pl.Config.set_tbl_rows(16)
cf = ly.CodingFrame.builtin("epl-interviews")
cf.codes().select("id", "parent", "dimension", "valence", "scale_min", "scale_max")""",
    ),
    (
        "code",
        """segments = ly.example_data("interviews")
print(segments.shape, segments["interview"].n_unique(), "interviews")
segments.head()""",
    ),
    (
        "md",
        """## To and from NVivo, MAXQDA, ATLAS.ti, QualCoder
Coders work in a QDA program; the REFI-QDA exchange format (`.qdpx`) carries codes, coders,
cases with their variables and coded selections between them. `ly.write_qdpx` writes the
segments as a project (the frame as codebook, a rating as a child code of `del_betyg`),
`ly.read_segments` reads a project (or a CSV/Excel sheet of codings) back, matching codes to
the frame by id or label and reporting every code it met.""",
    ),
    (
        "code",
        """import tempfile
from pathlib import Path

qdpx = Path(tempfile.mkdtemp()) / "exempelkommun.qdpx"
ly.write_qdpx(segments, qdpx, name="Exempelkommun")
imported = ly.read_segments(qdpx)
print(imported)
assert imported.segments.select(segments.columns).sort(segments.columns).equals(
    segments.sort(segments.columns)
)
imported.codes.head(8)""",
    ),
    (
        "md",
        """## Intercoder agreement
First per code: for each double-coded interview and coder, was the code used at all
(`ly.code_presence`)? Then per segment: did the two coders give the segment the same code
(nominal), and how close were their 1–5 participation ratings (ordinal)? Krippendorff's α
of at least 0.8 is the usual bar for drawing conclusions, 0.667 for tentative ones
(Krippendorff 2004). Standard errors are Gwet's analytic ones (as R irrCAC), with a t
interval and a two-sided test of "no agreement beyond chance"; `se_method="bootstrap"`
resamples interviews instead. With two coders Cohen's κ and Scott's π are the named
two-coder cases of Conger's κ and Fleiss' κ.""",
    ),
    (
        "code",
        """double = segments.filter(pl.col("coder") == "K2")["interview"].unique()
coded_twice = segments.filter(pl.col("interview").is_in(double.implode()))
presence = ly.code_presence(coded_twice.filter(pl.col("code") != "del_betyg"), unit="interview")
per_code = ly.agreement(presence, unit="interview", value="present", by="code")
per_code.filter(pl.col("statistic").is_in(["krippendorff_alpha", "percent_agreement"])).pivot(
    "statistic", index=["code", "n_units"], values="value"
).sort("krippendorff_alpha")""",
    ),
    (
        "code",
        """by_segment = coded_twice.with_columns(
    unit=pl.concat_str("interview", pl.lit("/"), pl.col("segment").cast(pl.String))
)
codes = ly.agreement(by_segment.filter(pl.col("code") != "del_betyg"), value="code")
ratings = ly.agreement(
    by_segment.filter(pl.col("code") == "del_betyg"), value="rating", level="ordinal"
)
pl.concat(
    [
        codes.with_columns(what=pl.lit("segment codes")),
        ratings.with_columns(what=pl.lit("del_betyg ratings")),
    ]
).filter(pl.col("value").is_not_null()).select(
    "what", "statistic", "weights", pl.col("value", "se", "ci_low", "ci_high").round(3),
    pl.col("p_value").round(4), "n_units"
)""",
    ),
    (
        "md",
        """## Interview scores
Each coding counts for or against its dimension (a rating counts by where it lies on its
scale); a double-coded interview counts once. The score is `100 (p + a) / (p + n + 2a)` with
`a = 2` pseudo-segments each way, so a unit with few segments is pulled toward 50, and the
interval is the matching Beta interval. Units with fewer than three interviews are not
shown: a score there would describe one or two people.""",
    ),
    (
        "code",
        """units = ly.score_interviews(segments, by=["forvaltning", "enhet"])
print(units["suppressed"].sum(), "of", units.height, "unit rows blanked")
units.filter(~pl.col("suppressed"), pl.col("dimension").is_not_null()).select(
    "enhet", "dimension", pl.col("score", "ci_low", "ci_high").round(1), "n_interviews"
)""",
    ),
    (
        "code",
        """by_forv = ly.score_interviews(segments, by="forvaltning").filter(
    pl.col("dimension").is_not_null()
)
fig, ax = plt.subplots(figsize=(8, 4))
dims = ["engagement", "participation", "learning"]
for k, d in enumerate(dims):
    part = by_forv.filter(pl.col("dimension") == d)
    y = [i + 0.25 * (k - 1) for i in range(part.height)]
    err = [part["score"] - part["ci_low"], part["ci_high"] - part["score"]]
    ax.errorbar(part["score"], y, xerr=err, fmt="o", label=d, capsize=3)
ax.set_yticks(range(part.height), part["forvaltning"])
ax.axvline(50, color="grey", lw=0.8)
ax.set_xlabel("interview score (0–100, 95 % interval)")
ax.legend()
fig.tight_layout()""",
    ),
    (
        "md",
        """## Do interviews and the staff survey agree?
The same förvaltningar in the staff survey (`epl-staff`, 0–100). Interview scores are on a
different footing (balance of what was said, not agreement with statements), so compare
the order, not the levels.""",
    ),
    (
        "code",
        """epl = ly.Instrument.builtin("epl-staff")
survey = ly.estimate(ly.score(ly.example_data("staff"), epl), epl, by=["forvaltning"])
survey = survey.filter(pl.col("kind") == "dimension").select(
    "forvaltning", dimension="measure", survey_mean="mean"
)
both = by_forv.select("forvaltning", "dimension", interview_score="score").join(
    survey, on=["forvaltning", "dimension"]
)
both.with_columns(pl.col("interview_score", "survey_mean").round(1)).sort("dimension")""",
    ),
    (
        "md",
        "## Which codes, and which together?\nCounts per unit and codes applied to the same segment.",
    ),
    (
        "code",
        """counts, pairs = ly.code_counts(segments, by="forvaltning")
counts.pivot("forvaltning", index=["code", "dimension", "valence"], values="n_codings")""",
    ),
]

CITIZENS = [
    (
        "md",
        """# Citizen survey: weighting to the population and design-based estimates

Exempelkommun sent its citizen survey to 1,200 residents in each of six districts (a
stratified sample with equal allocation) and about four in ten answered: more often older
people and women, less often in the outer districts. Unweighted means describe the people
who answered, not the residents. This notebook weights the answers to the population
(design weights, then raking to age × sex and district), estimates the EPL index with
design-based standard errors, and shows what trimming the weights costs and buys.""",
    ),
    (
        "code",
        """import lyhord as ly
import polars as pl
from lyhord.plot import intervals

sample = ly.example_data("citizens")
population = ly.example_data("citizen_population")
print(sample.height, "respondents of", population["population"].sum(), "residents")


def share(df, w):
    per_age = df.group_by("age_group").agg(pl.col(w).sum())
    return per_age.with_columns((pl.col(w) / pl.col(w).sum() * 100).round(1))


share(sample.with_columns(respondents=pl.lit(1)), "respondents").join(
    share(population, "population"), on="age_group"
).sort("age_group")""",
    ),
    (
        "md",
        """## The design and the weights
Each district is a stratum; `design_weight` is residents per sampled person and
`district_population` gives the finite-population correction. Raking then adjusts the
weights until the weighted sample matches the population by age × sex and by district.
The variance of the raked estimates accounts for the calibration (residuals from a
regression on the margins), so what the margins explain is no longer counted as error.""",
    ),
    (
        "code",
        """design = ly.Design(weights="design_weight", strata="district", fpc="district_population")
margins = {
    ("age_group", "sex"): population.group_by("age_group", "sex").agg(pl.col("population").sum()),
    "district": population.group_by("district").agg(pl.col("population").sum()),
}
raked = ly.rake(sample, margins, design=design)
print(raked)
raked.report.head(8)""",
    ),
    (
        "code",
        """inst = ly.Instrument.builtin("epl-citizen")
versions = {
    "unweighted": (sample, ly.Design(strata="district")),
    "design weights": (sample, design),
    "raked": (raked.data, raked.design),
}
overall = pl.concat(
    [
        ly.design_estimate(data, d, instrument=inst)
        .filter(pl.col("level") == 0)
        .with_columns(weighting=pl.lit(name))
        for name, (data, d) in versions.items()
    ]
)
overall.pivot("weighting", index="variable", values="estimate").with_columns(
    pl.exclude("variable").round(1)
)""",
    ),
    (
        "md",
        """## The index per district, with intervals
Districts with fewer than the instrument's `min_group` (30) respondents would be blanked;
here every district is large enough.""",
    ),
    (
        "code",
        """by_district = ly.design_estimate(
    raked.data, raked.design, instrument=inst, by="district"
).filter(pl.col("level") == 1)
index = by_district.filter(pl.col("variable") == "epl").sort("estimate")
ax = intervals(index, value="estimate", label="district")
ax.set_xlabel("EPL index (0–100), raked, 95 % interval")
ax.figure.tight_layout()
by_district.select(
    "district", "variable", pl.col("estimate", "se", "ci_low", "ci_high").round(2), "n", "n_eff"
).head(8)""",
    ),
    (
        "md",
        """## Share positive (8–10) as a proportion
Any 0/1 column can be estimated with `statistic="proportion"`; here: residents who rate
their chances to influence decisions 8–10.""",
    ),
    (
        "code",
        """flags = raked.data.with_columns(
    influence_positive=pl.when(pl.col("del_paverka") <= 10).then(pl.col("del_paverka") >= 8)
)
ly.design_estimate(
    flags, raked.design, "influence_positive", statistic="proportion", by="age_group"
).select("age_group", pl.col("estimate", "ci_low", "ci_high").round(3), "n")""",
    ),
    (
        "md",
        """## Trimming
Raking gives some respondents large weights (young men in the outer districts). Capping
weights at 2.5 × the mean lowers the spread of the weights at the price of margins met
only after repeated raking; the design effect shows what that buys.""",
    ),
    (
        "code",
        """capped = ly.rake(sample, margins, design=design, cap=2.5, tolerance=1e-6)
print(raked)
print(capped)
compare = [
    ly.design_estimate(r.data, r.design, instrument=inst)
    .filter(pl.col("level") == 0, pl.col("variable") == "epl")
    .select(pl.lit(name).alias("weights"), "estimate", "se")
    for name, r in [("raked", raked), ("raked + capped", capped)]
]
pl.concat(compare)""",
    ),
    (
        "md",
        """## Calibration with bounded weights
`ly.calibrate` reaches the same margins by other distance functions: `"linear"` (the GREG
estimator's weights), `"raking"`, or the bounded `"logit"`, which keeps every weight within
`bounds` times its design weight instead of trimming afterwards (here 0.5–8; the young men
of the outer districts need more than five times their design weight, so an upper bound of
5 would be refused with an error saying the totals cannot be met). Numeric totals (e.g.
the number of households) can be added with `totals=`.""",
    ),
    (
        "code",
        """bounded = ly.calibrate(sample, margins, design=design, method="logit", bounds=(0.5, 8.0))
print(bounded)
g = bounded.data["weight"] / bounded.data["design_weight"]
print(f"g = weight / design weight: {g.min():.2f}–{g.max():.2f}")
ly.design_estimate(bounded.data, bounded.design, instrument=inst).filter(
    pl.col("level") == 0
).select("variable", pl.col("estimate", "se", "deff").round(3), "flag")""",
    ),
    (
        "md",
        """## Comparing groups: differences, tests and medians
Do women and men differ, beyond chance? `ly.design_compare` gives each difference with a
standard error that accounts for the strata, the finite-population correction and the
raking (R `svycontrast`), a t test and Holm-adjusted p-values; `ly.design_chisq` tests
whether the share rating their influence 8–10 is the same in every age group (Rao–Scott,
R `svychisq`); `statistic="quantile"` gives medians with Woodruff intervals.""",
    ),
    (
        "code",
        """ly.design_compare(raked.data, raked.design, instrument=inst, by="sex").select(
    "sex", "sex_versus", "variable", pl.col("difference", "se", "p_adjusted").round(3)
)""",
    ),
    (
        "code",
        """print(
    ly.design_chisq(flags, raked.design, "age_group", "influence_positive").select(
        "n", "n_excluded", pl.col("f", "ndf", "ddf", "p_value").round(4)
    )
)
ly.design_estimate(
    raked.data, raked.design, instrument=inst, by="sex", statistic="quantile"
).select("sex", "variable", pl.col("estimate", "ci_low", "ci_high").round(1))""",
    ),
    (
        "md",
        """## Replicate standard errors
The same estimates with standard errors from replicate weights, as R `as.svrepdesign`:
200 Rao–Wu bootstrap replicates within districts, each raked again to the same margins
(so the weighting's own uncertainty is in the SE), then every estimate recomputed with
each replicate. The bootstrap carries no finite-population correction (about 15 % of each
district's residents were sampled), so its SEs are a little larger than the linearised
ones with FPC; `method="jkn"` would apply it, with one replicate per respondent. Files
that come with replicate weights are read the same way: `ly.Design(weights=...,
replicates=[...], replicate_method=...)`.""",
    ),
    (
        "code",
        """no_fpc = ly.Design(weights="design_weight", strata="district")
boot = ly.replicate_weights(sample, no_fpc, method="bootstrap", replicates=200)
raked_boot = ly.rake(boot.data, margins, design=boot.design)
print(boot)
linearised = ly.design_estimate(raked.data, raked.design, instrument=inst, by="district")
replicated = ly.design_estimate(raked_boot.data, raked_boot.design, instrument=inst, by="district")
linearised.filter(pl.col("variable") == "epl").select(
    "district", pl.col("estimate").round(2), pl.col("se").round(3).alias("se_taylor_fpc")
).join(
    replicated.filter(pl.col("variable") == "epl").select(
        "district", pl.col("se").round(3).alias("se_bootstrap"), "df"
    ),
    on="district",
    nulls_equal=True,
)""",
    ),
]

FOLLOWUP = [
    (
        "md",
        """# Yearly follow-up and the combined EPL picture

What the municipality steers by: per unit, how engagement, participation and learning
changed since last year (only where both years are published), and one picture from all
three sources (staff survey, citizen survey, coded interviews) with a flag where they
disagree beyond their uncertainty.""",
    ),
    (
        "code",
        """import lyhord as ly
import polars as pl

by = ["forvaltning", "enhet"]
epl = ly.Instrument.builtin("epl-staff")
waves = {
    year: ly.estimate(
        ly.example_data("staff", year=year), epl, by=by, headcounts=ly.headcounts(year=year)
    )
    for year in (2024, 2025)
}
change = ly.compare_waves(waves[2024], waves[2025])
change.filter(pl.col("level") == 2, pl.col("measure") == "epl", pl.col("significant")).select(
    "enhet",
    pl.col("mean_earlier", "mean_later", "change", "ci_low", "ci_high").round(1),
    pl.col("p_adjusted").round(4),
).sort("change")""",
    ),
    (
        "md",
        """Units that were blanked in either year are not compared; their rows say why.""",
    ),
    (
        "code",
        """change.filter(pl.col("level") == 2, pl.col("measure") == "epl")["status"].value_counts()""",
    ),
    (
        "code",
        """from lyhord.plot import trend_lines

series = ly.trend(waves).filter(pl.col("level") == 1, pl.col("measure") == "epl")
trend_lines(series, measure="epl").figure.tight_layout()""",
    ),
    (
        "md",
        """## Targets
The council's targets for 2027, per förvaltning: met already, on track (the trend fitted
over the published years reaches the target in time) or off track.""",
    ),
    (
        "code",
        """goals = (
    series.filter(pl.col("year") == 2025)
    .select("level", "forvaltning", "enhet", "measure")
    .with_columns(target=pl.lit(74.0), year=pl.lit(2027))
)
ly.targets(series, goals).select(
    "forvaltning", "target", "year", "status", pl.col("latest", "slope", "projected").round(1)
)""",
    ),
    (
        "md",
        """## Reorganisations in the trend
Suppose Hemtjänst Norr and Hemtjänst Söder were merged for 2025. `unit_map` (keyed by the
first year of the new organisation) restates 2024 in the 2025 organisation: the merged
unit's 2024 figures are its two parts pooled from their published n, mean and SD, so its
line starts in 2024. The `mapping` column says what was done.""",
    ),
    (
        "code",
        """pair = ["Hemtjänst Norr", "Hemtjänst Söder"]
merged_2025 = ly.example_data("staff", year=2025).with_columns(
    pl.col("enhet").replace(dict.fromkeys(pair, "Hemtjänst Norr-Söder"))
)
reorganised = {2024: waves[2024], 2025: ly.estimate(merged_2025, epl, by=by)}
ly.trend(reorganised, unit_map={2025: dict.fromkeys(pair, "Hemtjänst Norr-Söder")}).filter(
    pl.col("enhet") == "Hemtjänst Norr-Söder", pl.col("measure") == "epl"
).select("year", "n", pl.col("mean", "ci_low", "ci_high").round(1), "mapping")""",
    ),
    (
        "md",
        """## Stored sums: new groupings and large data without the answers
`ly.summarise` keeps what an estimate is made of (sums per unit, **unsuppressed**: as private
as the answers). Sums from other files or years add up with `ly.merge_sums`, and
`ly.estimate_from_sums` publishes them, with suppression, at the stored grouping or any
coarser one — the same numbers `ly.estimate` gives on the answers. A LazyFrame (e.g.
`pl.scan_parquet` over ten years of a national survey) is streamed through polars'
streaming engine batch by batch, so memory holds one batch and the sums, not the rows
(`bench/RESULTS.md`: 12 M respondent-waves in 0.7 GB).""",
    ),
    (
        "code",
        """answers = pl.concat([ly.example_data("staff", year=y) for y in (2024, 2025)]).lazy()
sums = ly.summarise(answers, epl, by=["year", *by])  # streamed
per_forvaltning = {
    y: ly.estimate_from_sums(sums.filter(pl.col("year") == y), epl, by="forvaltning")
    for y in (2024, 2025)
}
ly.trend(per_forvaltning).filter(pl.col("level") == 1, pl.col("measure") == "epl").pivot(
    on="year", index="forvaltning", values="mean"
)""",
    ),
    (
        "md",
        """## One picture from three sources
Staff results per unit, the municipality-wide citizen survey (raked to the population) and
the unit interview scores, combined per unit and dimension with equal weights.
`disagreement` names the sources that differ beyond their intervals — a prompt to look
closer, not a verdict: the sources ask different people different questions.""",
    ),
    (
        "code",
        """population = ly.example_data("citizen_population")
total = pl.col("population").sum()
raked = ly.rake(
    ly.example_data("citizens"),
    {
        ("age_group", "sex"): population.group_by("age_group", "sex").agg(total),
        "district": population.group_by("district").agg(total),
    },
    design=ly.Design("design_weight", "district", fpc="district_population"),
)
citizens = ly.design_estimate(raked.data, raked.design, instrument="epl-citizen")
interviews = ly.score_interviews(ly.example_data("interviews"), by=by)
combined = ly.combine(staff=waves[2025], citizens=citizens, interviews=interviews, on=by)
print(
    combined.height,
    "unit × dimension rows;",
    combined["disagreement"].is_not_null().sum(),
    "with disagreeing sources",
)
combined.filter(pl.col("sources").str.contains("interviews")).select(
    "enhet",
    "dimension",
    pl.col("score", "ci_low", "ci_high", "staff", "citizens", "interviews").round(1),
    "disagreement",
).head(9)""",
    ),
]

IMPORT = [
    (
        "md",
        """# Importing survey exports: from the file you were sent to answers you can score

Survey tools and SPSS each write their own kind of file. `ly.read_export` reads them all
(CSV/TSV in any of the usual dialects, Qualtrics and SurveyMonkey header rows, Excel, SPSS
`.sav`, Parquet, DataFrames), matches the columns to the instrument's items and returns the
answers **and an import report** that says what was done with every row and column. Nothing
is dropped or changed without the report saying so.

The example files are Exempelkommun's first 300 staff answers, written by lyhord itself in
each format.""",
    ),
    (
        "code",
        """import tempfile

import lyhord as ly
import polars as pl

pl.Config.set_tbl_rows(20)
pl.Config.set_fmt_str_lengths(60)
paths = ly.write_example_exports(tempfile.mkdtemp())
{kind: path.name for kind, path in paths.items()}""",
    ),
    (
        "md",
        """## First a look, without an instrument
`ly.read_table` (on the command line `lyhord inspect FILE`) opens any of these files as it is:
every column under its own name, every row, and a report of how the file was read and what
each column holds. Here the SPSS file: its variable labels, value labels and missing codes.""",
    ),
    (
        "code",
        """table, about = ly.read_table(paths["sav"])
print(about)
about.columns.filter(pl.col("value_labels").is_not_null()).select(
    "column", "label", "dtype", "value_labels", "user_missing", "n_user_missing"
).head(4)""",
    ),
    (
        "md",
        """## A Swedish Excel CSV
Windows-1252, semicolons, decimal commas, the item texts as column headers and the answers
as labels ("Stämmer helt", "Vet ej"). Everything is sniffed; the report shows what was found.""",
    ),
    (
        "code",
        """print(paths["cp1252"].read_bytes()[:160].decode("cp1252"))
answers, report = ly.read_export(paths["cp1252"], "epl-staff")
report""",
    ),
    (
        "code",
        """report.to_frame().select(
    "column", "role", "item", "matched_by", "n_valid", "n_missing", "n_dont_know", "dtype"
)""",
    ),
    ("md", "The answers are codes now, named by item id, ready for `ly.score`:"),
    (
        "code",
        """answers.select("Förvaltning", "Sysselsättningsgrad", "eng1", "eng2", "del1").head()""",
    ),
    (
        "md",
        """## Every format gives the same scores
Qualtrics (three header rows, English labels; the 2016–17 export with its ImportIds in single
quotes; the legacy `V1`…`V10` export with codes; an Excel export), SurveyMonkey (two header
rows, both the current `Respondent ID` and the older `RespondentID` layout, and an Excel
export), Excel (the answers on the second sheet), SPSS (labels and user-missing codes),
Excel's UTF-16 text. The report names the header layout it recognised:""",
    ),
    (
        "code",
        """means = {}
for kind in [k for k in paths if k != "problems"]:
    data, rep = ly.read_export(paths[kind], "epl-staff", sheet="Svar" if kind == "xlsx" else None)
    scores = ly.score(data, "epl-staff")
    means[kind] = [round(scores[m].mean(), 6) for m in ["engagement", "participation", "learning", "epl"]]
    print(f"{kind:18} {rep.source['format']:8} {rep.source['header']:62} {means[kind]}")
assert len({tuple(v) for v in means.values()}) == 1""",
    ),
    (
        "md",
        """## A file with problems
Real exports have them: a respondent twice, an empty row, a 7 on a 1–5 scale, a label the
instrument does not know, someone answering 4 to everything, and a column whose text is one
word off its item. The item that no column answers exactly is an error — lyhord does not
guess, but says which column is close:""",
    ),
    (
        "code",
        """try:
    ly.read_export(paths["problems"], "epl-staff")
except ly.DataError as e:
    print(e)""",
    ),
    (
        "md",
        "Map the column explicitly, and add the unknown label (a `mapping` TOML file can hold both):",
    ),
    (
        "code",
        """answers, report = ly.read_export(
    paths["problems"],
    "epl-staff",
    mapping={"Jag känner mig engagerad i arbetet": "eng1"},
)
report""",
    ),
    (
        "code",
        """report.items().filter((pl.col("n_out_of_range") > 0) | (pl.col("n_unknown_label") > 0)).select(
    "column", "n_out_of_range", "out_of_range", "n_unknown_label", "unknown_labels"
)""",
    ),
    (
        "code",
        """fixed, report = ly.read_export(
    paths["problems"],
    "epl-staff",
    mapping={"Jag känner mig engagerad i arbetet": "eng1"},
    labels={"Instämmer delvis": 3},
)
report.problems()""",
    ),
    (
        "md",
        """With `strict=True` the first value outside the scale stops the import instead, naming the
column and the row — useful in a scripted yearly run where nothing should pass unseen.
The same reading is behind the command line: `lyhord score export.csv --instrument epl-staff
--by Förvaltning --out results.xlsx` prints the report's problems and scores the answers.""",
    ),
    (
        "code",
        """try:
    ly.read_export(paths["problems"], "epl-staff", mapping={"Jag känner mig engagerad i arbetet": "eng1"}, strict=True)
except ly.DataError as e:
    print(e)""",
    ),
]


INVARIANCE = [
    (
        "md",
        """# Do we measure the right things? Invariance across förvaltningar and years

*Mäter vi rätt saker?* Ranking förvaltningar on an index, or following it over years, is fair
only when the items measure the same thing in every group and every year. If one statement is
answered lower in one förvaltning *at the same level of learning* — because of how work is
organised there, not because learning is weaker — then that förvaltning's learning index is
pulled down by the statement, not by learning.

`ly.invariance` tests this as R's lavaan does (multi-group confirmatory factor analysis), one
dimension at a time: **configural** (same pattern), **metric** (equal loadings), **scalar**
(equal intercepts: what comparing means needs) and **strict** (equal residual variances). Each
step is accepted when CFI drops by at most 0.01 (Cheung & Rensvold 2002); a rejected step is
searched item by item for the statement that works differently (partial invariance).""",
    ),
    (
        "code",
        """import lyhord as ly
import polars as pl

pl.Config.set_tbl_rows(20)
pl.Config.set_fmt_str_lengths(120)
staff = {year: ly.example_data("staff", year=year) for year in (2024, 2025)}
units = ly.invariance(staff[2025], "epl-staff", group="forvaltning")
units.select(
    "dimension",
    "step",
    "outcome",
    "groups",
    "n",
    pl.col("chisq").round(1),
    "df",
    pl.col("cfi", "rmsea", "srmr", "delta_cfi").round(3),
    "freed",
)""",
    ),
    (
        "md",
        """Engagement and participation hold up to strict invariance: their items work the same in
all five förvaltningar. For **learning**, equal intercepts are rejected (CFI drops by
0.045); freeing one statement's intercept per förvaltning is enough. The verdict says which
statement and where it differs most:""",
    ),
    (
        "code",
        """units.unique("dimension", maintain_order=True).select("dimension", "level", "comparable", "verdict")""",
    ),
    (
        "md",
        """## The evidence behind it

At equal learning, Socialförvaltningen answers *"Det finns tid för reflektion i
arbetsgruppen"* lower than the others. The published item means show it plainly: in
Socialförvaltningen lar3 sits far below the other learning statements, elsewhere close to
them (the numbers come from an estimate table, so they pass the publication layer).""",
    ),
    (
        "code",
        """table = ly.estimate(staff[2025], "epl-staff", by="forvaltning")
learning = ["lar1", "lar2", "lar3", "lar4"]
(
    table.filter(pl.col("level") == 1, pl.col("measure").is_in(learning))
    .pivot(on="measure", index="forvaltning", values="mean")
    .with_columns(pl.col(learning).round(1))
    .with_columns(lar3_minus_others=(pl.col("lar3") - pl.mean_horizontal("lar1", "lar2", "lar4")).round(1))
)""",
    ),
    (
        "md",
        """## Between years

The same statement works the same way in 2024 and 2025 — the bias is there both years — so
**change over time** within Socialförvaltningen is fair, even though its **level** cannot be
ranked against the other förvaltningar. Stack the waves with a year column and test across
it:""",
    ),
    (
        "code",
        """both = pl.concat(staff.values())
years = ly.invariance(both, "epl-staff", waves="year")
years.unique("dimension", maintain_order=True).select("dimension", "level", "comparable", "verdict")""",
    ),
    (
        "md",
        """## Carrying the flag

`compare_waves` and `trend` take the invariance table and mark every dimension (and the
index) as comparable or not, with the verdict beside it. Across years everything compares;
passing the table across förvaltningar instead marks learning (and so the index) as not
comparable between units.""",
    ),
    (
        "code",
        """tables = {year: ly.estimate(answers, "epl-staff", by="forvaltning") for year, answers in staff.items()}
change = ly.compare_waves(tables[2024], tables[2025], invariance=years)
change.filter(pl.col("level") == 1, pl.col("kind") != "item").select(
    "forvaltning", "measure", pl.col("change").round(1), "comparable"
).head(8)""",
    ),
    (
        "code",
        """ly.trend(tables, invariance=units).filter(pl.col("level") == 0, pl.col("kind") != "item").select(
    "year", "measure", pl.col("mean").round(1), "comparable", "invariance"
)""",
    ),
    (
        "md",
        """## The whole instrument at once, and in English

`model="instrument"` fits the three dimensions together as correlated factors — the same
structure `dimension_check` tests in one group — and gives one verdict for the instrument.
A group enters a model with 10 complete respondents per item by default (140 for all 14
items, which two small förvaltningar do not have); `min_respondents` lowers that.
`lang="en"` writes the verdicts in English.""",
    ),
    (
        "code",
        """whole = ly.invariance(
    staff[2025], "epl-staff", group="forvaltning", model="instrument", min_respondents=50, lang="en"
)
whole.select("step", "outcome", "df", pl.col("cfi", "delta_cfi").round(3), "freed", "verdict")""",
    ),
    (
        "md",
        """## Ordinal answers

Answers on a 1–5 scale are ordinal. The invariance models here are fitted by maximum
likelihood on the item scores (the estimator is named in the `estimator` column). The
dimension check and the reliability have an ordinal view (`ordinal=True`): the factor model
by lavaan's WLSMV on polychoric correlations, and ordinal α and ω.""",
    ),
    (
        "code",
        """ly.reliability(staff[2025], "epl-staff", ordinal=True).select(
    "scale", pl.col("alpha", "alpha_ordinal", "omega_total", "omega_ordinal").round(3)
)""",
    ),
    (
        "code",
        """pl.concat(
    ly.dimension_check(staff[2025], "epl-staff", ordinal=ordinal).select(
        "estimator", pl.col("cfi", "rmsea", "srmr", "omega_hierarchical", "omega_total").round(3)
    ).head(1)
    for ordinal in (False, True)
)""",
    ),
    (
        "md",
        """## Privacy

A group the publication layer blanks is left out of the models altogether (the `note` column
names it), so nothing in the table depends on its answers — and inside a `Publication` a
group blanked for another table's sake stays out here too:""",
    ),
    (
        "code",
        """publication = ly.Publication(staff[2025], "epl-staff")
publication.estimate(by=["forvaltning", "enhet"])
publication.invariance("enhet").select("dimension", "step", "outcome", "groups", "note").head(4)""",
    ),
]


ACTIONS = [
    (
        "md",
        """# Did it work? Actions and their effect

*Leder utfallet till åtgärder — och fungerade åtgärderna?* A staff survey is meant to lead
to action: a unit reads its results, picks something to work on and does it. A year later
the question is whether it made a difference. Looking at the unit's own change is not
enough: the whole kommun moves from year to year, and a unit that scored unusually low tends
to rise by itself the year after (regression to the mean).

lyhord keeps the actions as data — an **action register**: which unit did what, from when,
aimed at which measure — and compares the change of the units that acted with the change of
comparable units that did not (**difference in differences**), from the published numbers
only. Exempelkommun has four staff waves, 2023–2026, each fielded in October, and two
actions whose true effect is known because lyhord planted it:

- **Ledarskapsutbildning** (a leadership programme for the managers) in 11 units, started
  November 2025 – January 2026, aimed at *Ledarskap*: true effect +5.8 points on average from 2026;
- **Målbild på APT** (the unit's goals discussed at every workplace meeting) in 8 units from
  February 2025, aimed at *Styrning*: true effect 0.""",
    ),
    (
        "code",
        """import lyhord as ly
import polars as pl

pl.Config.set_tbl_rows(20)
pl.Config.set_fmt_str_lengths(100)
register = ly.example_data("actions")
register""",
    ),
    (
        "md",
        """## Four waves, published

Each wave is estimated as it was published that year: by förvaltning and enhet, with the
headcounts for the finite-population correction, small units blanked. Everything below uses
these tables, never the answers.""",
    ),
    (
        "code",
        """by = ["forvaltning", "enhet"]
years = (2023, 2024, 2025, 2026)
waves = {
    year: ly.estimate(
        ly.example_data("staff", year=year), "hme", by=by, headcounts=ly.headcounts(year=year)
    )
    for year in years
}
pl.DataFrame(
    {
        "year": years,
        "respondents": [t.filter(level=0, measure="hme")["n_respondents"][0] for t in waves.values()],
        "headcount": [t.filter(level=0, measure="hme")["headcount"][0] for t in waves.values()],
        "units_published": [t.filter(level=2, measure="hme", suppressed=False).height for t in waves.values()],
        "units_blanked": [t.filter(level=2, measure="hme", suppressed=True).height for t in waves.values()],
        "ledarskap": [round(t.filter(level=0, measure="ledarskap")["mean"][0], 1) for t in waves.values()],
    }
)""",
    ),
    (
        "md",
        """## The register, checked

`ly.actions` reads the register (a polars frame, CSV/Excel, or TOML with one `[[action]]`
table per row) and checks it against the published units and the waves. The unit columns
are the estimates' grouping columns; `measures` names dimensions, the index or items by id
or label; `start` is a date. Each action is measured from the first wave fielded after its
start (`first_wave`; fieldwork on 1 October by default, `fieldwork="MM-DD"` otherwise)
against the last wave before it (`base_wave`).""",
    ),
    (
        "code",
        """checked = ly.actions(register, "hme", units=waves, waves=years)
checked.group_by("action", "base_wave", "first_wave", maintain_order=True).agg(
    units=pl.len(), starts=pl.col("start").unique().sort(), measures=pl.col("measures").first()
)""",
    ),
    (
        "md",
        """Every problem is an error naming the register's row and column and what would fix it;
nothing is dropped or guessed. A misspelled unit:""",
    ),
    (
        "code",
        """typo = register.with_columns(pl.col("enhet").replace("Räddningstjänsten", "Räddningstjänst"))
try:
    ly.actions(typo, "hme", units=waves, waves=years)
except ly.DataError as e:
    print(f"{type(e).__name__}: {e}")""",
    ),
    (
        "md",
        """A register kept by hand reads well as TOML. A row that names only a förvaltning covers
all its units, and measures may be given by their labels:""",
    ),
    (
        "code",
        """import tempfile
from pathlib import Path

toml = Path(tempfile.mkdtemp()) / "atgarder.toml"
toml.write_text(
    '''[[action]]
forvaltning = "Kultur- och fritidsförvaltningen"
action = "Friskvårdstimme"
start = 2025-03-01
measures = ["Motivation"]

[[action]]
enhet = "Bygglov"
action = "Ny chef"
start = 2024-12-01
measures = "Ledarskap, Styrning"
''',
    encoding="utf-8",
)
ly.actions(toml, "hme", units=waves, waves=years).select(
    "enhet", "action", "measures", "base_wave", "first_wave", "row"
)""",
    ),
    (
        "md",
        """## The effect

`ly.action_effects` takes the published tables of every wave and the register. For each
action and each measure it aims at, every unit contributes its change from the base wave to
the waves after the start. The comparison units are those with no registered action aimed at
that measure. The effect is the coefficient of "has the action" in a least-squares fit of
the changes that also adjusts for each unit's level and size in the base wave; its standard
error is cluster-robust by unit (HC2) and the interval uses the Bell–McCaffrey degrees of
freedom, so it holds with a handful of units (see the methods page). The `sentence` is what a
manager page says.""",
    ),
    (
        "code",
        """effects = ly.action_effects(waves, register, "hme")
effects.filter(view="effect").select(
    "action",
    "label",
    pl.col("estimate", "ci_low", "ci_high", "df").round(1),
    "treated_units",
    "comparison_units",
    "sentence",
)""",
    ),
    (
        "md",
        """The degrees of freedom are about the number of units with the action, not the thousands
of respondents behind them: nine units are nine observations of "what the programme did".

### Against the truth

Exempelkommun's answers were generated with the effects in `ly.datasets.planted_effects()`.
Both intervals hold the true value: the leadership programme's +5.8 is found, and the
goals-at-APT routine, which did nothing, is not credited with anything.""",
    ),
    (
        "code",
        """truth = ly.datasets.planted_effects().group_by("action", "measure").agg(pl.col("true_effect").mean())
effects.filter(view="effect").join(truth, on=["action", "measure"]).select(
    "action",
    "measure",
    "true_effect",
    pl.col("estimate", "ci_low", "ci_high").round(1),
    covered=pl.col("true_effect").is_between("ci_low", "ci_high"),
)""",
    ),
    (
        "md",
        """## Wave by wave: the event view

`view="event"` is the same comparison for each wave on its own, against the base wave
(`event_time` −1). Waves after the start (0, 1, …) show how the effect builds up; **waves
before the start are a placebo**: an action cannot work before it begins, so a clear
"effect" there would mean the units were already on another path than their comparison
units, and the difference in differences would not be believable. Here the pre-waves stay
close to zero, and the leadership programme jumps at its first wave.""",
    ),
    (
        "code",
        """event = effects.filter(view="event").select(
    "action", "wave", "event_time", pl.col("estimate", "ci_low", "ci_high").round(1), "treated_units"
)
event""",
    ),
    (
        "code",
        """import matplotlib.pyplot as plt

fig, axes = plt.subplots(1, 2, figsize=(8, 3), sharey=True)
for ax, (action, rows) in zip(axes, event.partition_by("action", as_dict=True).items(), strict=True):
    t, est = rows["event_time"], rows["estimate"]
    after = (t >= 0).to_list()
    ax.errorbar(
        t, est, yerr=[est - rows["ci_low"], rows["ci_high"] - est], fmt="none", ecolor="0.4", capsize=3
    )
    ax.scatter(t, est, c=["#1f4e79" if a else "0.6" for a in after], zorder=3)
    ax.scatter([-1], [0], marker="o", facecolors="white", edgecolors="0.3", zorder=3)
    ax.axhline(0, color="0.7", lw=0.8)
    ax.axvline(-0.5, color="0.7", ls=":", lw=1)
    true = truth.filter(action=action[0])["true_effect"][0]
    ax.hlines(true, -0.2, t.max() + 0.2, colors="#c0504d", linestyles="--", lw=1, label="planted")
    ax.set_title(action[0], fontsize=10)
    ax.set_xlabel("event_time (0: first wave after the start)")
    ax.set_xticks(range(t.min(), t.max() + 1))
axes[0].set_ylabel("effect, points (0–100)")
axes[0].legend(frameon=False, fontsize=8)
fig.tight_layout()""",
    ),
    (
        "md",
        """## Unit by unit

`view="unit"` gives each unit with the action its own effect: its change minus what the
comparison units' fit predicts for a unit of its level and size. Its interval is much wider
than the pooled one. It adds the unit's own sampling error (from the published SEs, with the
finite-population correction), the year-to-year variation any unit's change has beyond
sampling, and the uncertainty of the prediction; and the intervals hold jointly over the
action's units (Bonferroni), so that among nine units one does not look "clearly changed" by
chance.""",
    ),
    (
        "code",
        """effects.filter(view="unit", action="Ledarskapsutbildning").select(
    "forvaltning", "enhet", pl.col("estimate", "ci_low", "ci_high").round(1), "sentence"
)""",
    ),
    (
        "md",
        """Every one of these units really gained (about +5.8 on average; between +3.4 and +7.2,
as units near the ceiling move less), yet most of them cannot show it on their own:
one unit's change is one noisy observation. What the programme did is the pooled effect; a
unit row is for the manager's own page, with its honest interval.""",
    ),
    (
        "md",
        """## Placebo measures

`view="placebo"` estimates the same comparison on the dimensions and statements that share
no statement with what the action aimed at. A leadership programme should not move
Motivation or Styrning (or their statements) by itself; a clear "effect" there would suggest
the units differed in some other way (a reorganisation, a new manager), not that the
programme worked. With eight placebo rows per action, one of them now and then excludes zero
by chance at 95 %: it is a pattern across them that would matter.""",
    ),
    (
        "code",
        """effects.filter(view="placebo").select(
    "action", "label", pl.col("estimate", "ci_low", "ci_high").round(1), "sentence"
)""",
    ),
    (
        "md",
        """## Why adjust for the base level

Actions tend to go to the units that scored low. Part of a low score is chance — this year's
respondents, a bad week — and chance does not repeat, so those units rise the next year
whether anything is done or not (**regression to the mean**). Compared with all other units,
that rise looks like an effect. Adjusting for the base-wave level compares each unit with
comparison units that started at the same level (and adjusting for size, with units of the
same size).

Suppose Exempelkommun gave a programme that does nothing to the ten units with the lowest
Motivation in 2025, starting January 2026. Without the adjustment (`adjust=False`, the plain
difference of mean changes) the programme "works"; with it, it does not:""",
    ),
    (
        "code",
        """import datetime as dt

lowest = (
    waves[2025]
    .filter(level=2, measure="motivation", suppressed=False)
    .sort("mean")
    .head(10)
    .select(*by, action=pl.lit("Inget alls"), start=pl.lit(dt.date(2026, 1, 15)), measures=pl.lit("motivation"))
)
pl.concat(
    ly.action_effects(waves, lowest, "hme", adjust=adjust, placebo=False)
    .filter(view="effect")
    .select(
        pl.lit(adjust).alias("adjust"), pl.col("estimate", "ci_low", "ci_high").round(1), "sentence"
    )
    for adjust in (False, True)
)""",
    ),
    (
        "md",
        """The adjustment assumes that, without the action, units of the same base level and size
would have changed alike (parallel trends conditional on level and size). The event view's
pre-waves and the placebo measures are the checks on that assumption the data can give.
Where units were already on their way up or down, `trend=True` also adjusts for each unit's
change from the wave before the base.

## Power before acting

Before a förvaltning starts something, it can ask what the next wave will be able to see.
`ly.detectable_change` gives, from the last published table, the smallest change of each
group's mean that a two-sided test at 95 % would detect with 80 % probability (Bloom 1995),
with the census finite-population correction: the more of the staff answer, the smaller the
change that shows. In 2025, before the leadership programme:""",
    ),
    (
        "code",
        """detectable = ly.detectable_change(waves[2025])
detectable.filter(level=1).pivot(on="measure", index="forvaltning", values="detectable").select(
    "forvaltning", pl.col("hme", "motivation", "ledarskap", "styrning").round(1)
)""",
    ),
    (
        "md",
        """A whole förvaltning would see a change of one to three points or so. A single enhet needs
several points; a higher response rate next time (`response_rate=0.9`: 90 % of the headcount) helps.
How many of the published enheter would see a change the size of the leadership programme's:""",
    ),
    (
        "code",
        """units = pl.concat(
    ly.detectable_change(waves[2025], response_rate=rate)
    .filter(pl.col("detectable").is_not_null(), level=2, measure="ledarskap")
    .select(
        pl.lit("as in 2025" if rate is None else f"{rate:.0%} of the headcount").alias("next_wave"),
        pl.len().alias("units"),
        pl.col("detectable").median().round(1).alias("median"),
        (pl.col("detectable") <= 5.8).sum().alias("would_see_5_8"),
    )
    for rate in (None, 0.9)
)
units""",
    ),
    (
        "md",
        """This is the change of the unit's own mean. An action's effect is judged against
comparison units too, and a unit's change varies from year to year beyond its sampling, so
the unit view above needs more than this (a unit where everyone answered has a detectable
change of 0 here: its mean is known exactly, its year-to-year swing is not). The pooled
effect over several units is what a programme can be judged on.

## Privacy: only published numbers

`ly.action_effects` reads the published estimate tables, nothing else. A unit blanked in a
wave the comparison needs takes no part in it: it is neither a unit with the action nor a
comparison unit, and it gets no row of its own. The `note` column says how many of the
action's units were left out; `comparison` names the comparison units (all of them
published).""",
    ),
    (
        "code",
        """effects.filter(pl.col("note").is_not_null()).select(
    "action", "view", "label", "event_time", "treated_units", "note"
)""",
    ),
    (
        "code",
        """# the programme's units blanked in a wave it needs (2025 or 2026)
blanked = {
    unit
    for year in (2025, 2026)
    for unit in waves[year].filter(level=2, measure="ledarskap", suppressed=True)["enhet"]
} & set(register.filter(action="Ledarskapsutbildning")["enhet"])
shown = set(effects.filter(view="unit", action="Ledarskapsutbildning")["enhet"])
print(len(blanked), "blanked;", "with a row of their own:", blanked & shown or "none")""",
    ),
    (
        "md",
        """## In the yearly run

`lyhord followup --config followup.toml` takes the register beside the waves:

```toml
actions = "atgarder.csv"
```

or, when the survey is fielded at another time of year,

```toml
[actions]
file = "atgarder.toml"
fieldwork = "09-15"
```

and then writes the checked register (`actions`) and the effects (`action_effects`, the
table above) with the other tables, and a section *Åtgärder och utfall* on the manager pages,
from the published tables only. The register is kept in the store. In English: `lang="en"`
(or `lang = "en"` in the config).""",
    ),
    (
        "code",
        """ly.action_effects(waves, register, "hme", lang="en").filter(view="effect")["sentence"].to_list()""",
    ),
]


def notebooks():
    """Every notebook by file name."""
    return {
        "01_quickstart.ipynb": QUICKSTART,
        "02_import.ipynb": IMPORT,
        "03_reliability_and_drivers.ipynb": RELIABILITY,
        "04_citizen_survey.ipynb": CITIZENS,
        "05_interviews.ipynb": INTERVIEWS,
        "06_yearly_followup.ipynb": FOLLOWUP,
        "07_measuring_the_right_things.ipynb": INVARIANCE,
        "08_did_it_work.ipynb": ACTIONS,
    }


def write(folder):
    for name, cells in notebooks().items():
        nbf.write(notebook(name, cells), folder / name)
    # Cells are written for reading here; ruff gives them the project's formatting.
    ruff = [sys.executable, "-m", "ruff", "format", "--quiet", "--config", str(PYPROJECT)]
    subprocess.run([*ruff, str(folder)], check=True)


def differing(folder):
    """Names of the committed notebooks that differ from what this file writes."""
    return [
        name
        for name in notebooks()
        if not (HERE / name).exists() or (HERE / name).read_bytes() != (folder / name).read_bytes()
    ]


def main(argv):
    if "--check" not in argv:
        write(HERE)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        write(Path(tmp))
        stale = differing(Path(tmp))
    for name in stale:
        print(
            f"notebooks/{name} differs from notebooks/_build_notebooks.py: edit the cells there "
            "and run `python notebooks/_build_notebooks.py`",
            file=sys.stderr,
        )
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
