import lyhord as ly
import polars as pl
import pytest


@pytest.fixture(scope="session")
def staff_2025() -> pl.DataFrame:
    return ly.example_data("staff", year=2025)


@pytest.fixture(scope="session")
def headcounts_2025() -> pl.DataFrame:
    return ly.headcounts(year=2025)


def people_survey_frame(dist_sa_to_sd: list[int]) -> pl.DataFrame:
    """100 respondents answering the five engagement items alike (5 = strongly agree)."""
    codes = [5 - k for k, count in enumerate(dist_sa_to_sd) for _ in range(count)]
    return pl.DataFrame({item: codes for item in ["b47", "b48", "b49", "b50", "b51"]})
