"""The generator is deterministic and the shipped extract reproduces the published HPS figures.

Expected values are computed here with plain SQL over the Parquet files, independent of the
app's views, macros and named queries.
"""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

from impact.demo.generate import apportion, generate
from impact.model import programme as programmes
from impact.model import schema
from tests.conftest import ROOT, Independent


def _tables(folder):
    return {name: pq.read_table(folder / f"{name}.parquet") for name in schema.TABLE_NAMES}


def test_same_seed_gives_identical_extract(tmp_path):
    generate(tmp_path / "a", seed=7)
    generate(tmp_path / "b", seed=7)
    a, b = _tables(tmp_path / "a"), _tables(tmp_path / "b")
    for name in schema.TABLE_NAMES:
        assert a[name].equals(b[name]), name


def test_shipped_extract_is_the_generators_output(tmp_path):
    generate(tmp_path, seed=2011)
    fresh, shipped = _tables(tmp_path), _tables(ROOT / "data")
    for name in schema.TABLE_NAMES:
        assert fresh[name].equals(shipped[name]), f"data/{name}.parquet is not what the generator writes"


def test_every_table_has_the_schema_columns_and_types():
    types = {"VARCHAR": "string", "DATE": "date32[day]", "BIGINT": "int64", "DOUBLE": "double"}
    for spec in schema.TABLES:
        table = pq.read_table(ROOT / "data" / f"{spec.name}.parquet")
        assert table.column_names == spec.column_names
        for column in spec.columns:
            assert str(table.schema.field(column.name).type) == types[column.type], (spec.name, column.name)


# (description, SQL over the shipped Parquet, check)
PUBLISHED = [
    ("93,112 health workers trained by March 2019", "select sum(trainees) from training", lambda v: v == 93_112),
    ("30 countries where health workers were trained",
     "select count(distinct iso3) from training where trainees > 0", lambda v: v == 30),
    ("210 projects", "select count(*) from projects", lambda v: v == 210),
    ("over 90,000 volunteer days overseas",
     "select sum(volunteer_days) from volunteering where location = 'Overseas'", lambda v: 90_000 < v < 91_000),
    ("a further 12,000 volunteer days from the UK",
     "select sum(volunteer_days) from volunteering where location = 'UK'", lambda v: v == 12_000),
    ("5,653 UK volunteers with improved skills",
     "select sum(value) from outcomes where indicator = 'uk_volunteers_improved_skills'", lambda v: v == 5_653),
    ("74% of UK volunteers bring back new approaches",
     "select round(100 * sum(value) filter (where indicator = 'uk_volunteers_new_approaches')"
     " / sum(value) filter (where indicator = 'uk_volunteers_surveyed')) from outcomes", lambda v: v == 74),
    ("765 LMIC institutions with higher-quality services",
     "select sum(value) from outcomes where indicator = 'institutions_improved_quality'", lambda v: v == 765),
    ("499,568 patients using improved services",
     "select sum(value) from outcomes where indicator = 'patients_improved_services'", lambda v: v == 499_568),
    ("over 46,600 of the trained were women",
     "select sum(trainees) from training where gender = 'Female'", lambda v: 46_600 < v < 93_112 / 2 + 1_000),
    ("38,701 trained by 2015",
     "select sum(trainees) from training where period < date '2016-01-01'", lambda v: v == 38_701),
    ("over 50,000 trained by early 2017",
     "select sum(trainees) from training where period < date '2017-01-01'", lambda v: 50_000 < v < 51_000),
    ("over 60,000 UK health-worker volunteer days by early 2017",
     "select sum(volunteer_days) from volunteering where period < date '2017-01-01'", lambda v: 60_000 < v < 61_000),
    ("more than 130 health institutions strengthened by early 2017",
     "select count(distinct pp.institution_id) from project_partners pp join institutions i using (institution_id)"
     " join projects p using (project_id) where i.side = 'Overseas' and p.start_date < date '2017-01-01'",
     lambda v: 130 < v < 150),
    ("32 countries with partnerships in early 2017",
     "select count(distinct iso3) from projects where start_date < date '2017-01-01'", lambda v: v == 32),
    ("£30m programme", "select sum(budget) from projects", lambda v: v == 30_000_000),
    ("phases 2011-2017 and 2017-2019", "select string_agg(distinct phase, ',' order by phase) from projects",
     lambda v: v == "2011-2017,2017-2019"),
]


@pytest.mark.parametrize(("figure", "sql", "check"), PUBLISHED, ids=[p[0] for p in PUBLISHED])
def test_shipped_extract_reproduces_published_figure(shipped: Independent, figure, sql, check):
    value = shipped.scalar(sql)
    assert check(value), f"{figure}: got {value}"


def test_regions_and_countries_are_sub_saharan_africa_and_asia(shipped: Independent):
    regions = {r for (r,) in shipped.rows("select distinct region from countries")}
    assert regions <= set(programmes.load(ROOT / "data").values("region"))
    assert {"Uganda", "Myanmar", "Tanzania"} <= {n for (n,) in shipped.rows("select name from countries")}


def test_scale_multiplies_totals_and_projects(tmp_path):
    counts = generate(tmp_path, scale=2)
    extract = Independent(tmp_path)
    assert extract.scalar("select sum(trainees) from training") == 2 * 93_112
    assert extract.scalar("select count(*) from projects") == 2 * 210
    assert counts["training"] == extract.scalar("select count(*) from training")


def test_apportion_is_exact_and_proportional():
    parts = apportion(10, np.array([1.0, 1.0, 1.0]))
    assert parts.sum() == 10 and sorted(parts) == [3, 3, 4]
    assert apportion(0, np.array([1.0])).tolist() == [0]
    with pytest.raises(ValueError):
        apportion(5, np.array([0.0, 0.0]))


def test_scale_below_one_is_refused(tmp_path):
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path, scale=0)
