"""Captions are computed from the numbers: every figure in the sentence equals the data."""

from __future__ import annotations

import pandas as pd
import pytest

from impact.charts import captions, catalog
from impact.query import db
from impact.query.explore import View
from impact.query.filters import Filters


@pytest.fixture(scope="module")
def database(fixture_dir):
    return db.open_database(fixture_dir)


def test_ranking_names_the_leader_its_count_and_share(database, independent):
    spec = catalog.chart("explore", View(by="cadre").to_options())
    rows = spec.rows(db.run_query(database, spec.query, spec.query_params(Filters().params())))
    (cadre, count), (second, second_count) = independent.rows(
        "select cadre, sum(trainees) s from training group by 1 order by s desc limit 2")
    total = independent.scalar("select sum(trainees) from training")
    assert spec.caption(rows) == (
        f"{cadre} leads with {count:,} health workers trained, {round(100 * count / total)}% of the {total:,} shown; "
        f"next is {second} ({second_count:,}).")


def test_trend_caption_gives_total_and_peak(database, independent):
    spec = catalog.chart("trainees_trend")
    rows = spec.rows(db.run_query(database, spec.query, Filters(country=("KEN",)).params()))
    years = independent.rows("select year(period), sum(trainees) from training where iso3 = 'KEN' group by 1 order by 1")
    peak = max(years, key=lambda r: r[1])
    assert spec.caption(rows) == (f"{sum(v for _, v in years):,} health workers trained from {years[0][0]} to "
                                  f"{years[-1][0]}; the most in {peak[0]} ({peak[1]:,}).")


def test_country_profile_sentence():
    cadres = pd.DataFrame({"cadre": ["Nurse", "Midwife"], "trainees": [5_000, 3_412]})
    assert captions.country_profile("Uganda", 8_412, 93_112, cadres) == (
        "Uganda trained 8,412 health workers, 9% of the programme total, most of them nurses.")
    cadres = pd.DataFrame({"cadre": ["Midwife", "Nurse"], "trainees": [3_000, 2_000]})
    assert captions.country_profile("Kenya", 8_000, 93_112, cadres) == (
        "Kenya trained 8,000 health workers, 9% of the programme total; midwives were the largest group (38%).")
    assert captions.country_profile("Sudan", 0, 93_112) == "Sudan has no health workers trained under these filters."


def test_comparison_caption_totals_and_largest_change():
    rows = pd.DataFrame({"theme": ["A", "B"], "2011-2017": [100.0, 50.0], "2017-2019": [80.0, 150.0]})
    assert captions.comparison(rows, "theme", "2011-2017", "2017-2019", "trainees") == (
        "Health workers trained: 150 in 2011-2017 and 230 in 2017-2019 (+53%); the largest rise was in B (+100).")


def test_split_caption_and_shares():
    rows = pd.DataFrame({"cadre": ["Nurse", "Doctor"], "Female": [30.0, 10.0], "Male": [10.0, 50.0]})
    assert captions.split(rows, "cadre", ["Male", "Female"], "trainees", "Gender") == (
        "Of 100 health workers trained, Male account for 60 (60%); the largest cadre is Doctor (60).")
    assert captions.share(1, 1_000) == "<1%" and captions.share(5, 0) == "—"
    assert captions.plural("Laboratory staff") == "laboratory staff" and captions.plural("Nurse") == "nurses"
