"""The public site's themes chart for a range of years and a place (the programme or a region): every figure its
filter file holds, and every figure the page computes from them for random choices (the rule `site._theme_figures`
states, read here as a reader's page applies it), equals an independent DuckDB computation over the Parquet files
and the app's own query for the same choice, for both shipped programmes; a small one is never shown; a region's
themes chart exists beside the programme's and its CSV says the same."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from lxml import html as lxml_html

from impact.publish import site
from tests.conftest import ROOT

STORES = {"hps": ROOT / "data", "gsp": ROOT / "data" / "programmes" / "gsp"}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("themes") / "public"
    site.build(out, svg=False)
    return out


def _figures(root: Path, pid: str) -> dict:
    script = next((root / "assets").glob(f"{pid}-figures.*.js")).read_text(encoding="utf-8")
    return json.loads(script.split("=", 1)[1].strip().rstrip(";"))


def _sql(store: Path, query: str, params: list | None = None):
    con = duckdb.connect()
    for name in ("training", "projects", "countries"):
        con.register(name, pq.read_table(store / f"{name}.parquet"))
    return con.execute(query, params or []).fetchall()


def _independent(store: Path, place: str, a: int, b: int) -> dict[str, tuple[float, int]]:
    """{theme: (trainees, projects with training)} of `place` in the calendar years a..b, from the Parquet."""
    where, params = "year(t.period) between ? and ?", [a, b]
    if place.startswith("region:"):
        where, params = where + " and c.region = ?", params + [place[len("region:"):]]
    rows = _sql(store, "select p.theme, coalesce(sum(t.trainees), 0), count(distinct t.project_id) "
                       "from training t join projects p using (project_id) join countries c on c.iso3 = t.iso3 "
                       f"where {where} group by 1", params)
    return {theme: (float(n), int(k)) for theme, n, k in rows}


def _page(figures: list, years: list[int], a: int, b: int, threshold: int) -> tuple[float | None, str]:
    """What the page shows for a theme and the years a..b (the rule of `site._theme_figures`): (its number, or None
    when suppressed; "shown", "at least N" or "fewer")."""
    inside = [y for y, v in zip(years, figures[1:]) if v is None and a <= y <= b]
    outside = [y for y, v in zip(years, figures[1:]) if v is None and not a <= y <= b]
    rest = sum(v for y, v in zip(years, figures[1:]) if v is not None and a <= y <= b)
    other = sum(v for y, v in zip(years, figures[1:]) if v is not None and not a <= y <= b)
    if not inside:
        return rest, "shown"
    if not outside and len(inside) >= 2 and figures[0] is not None:
        return figures[0] - other, "shown"
    return None, f"at least {rest + len(inside):.0f}" if len(inside) > 1 or rest else "fewer"


@pytest.mark.parametrize("pid", ["hps", "gsp"])
def test_each_places_themes_by_year_equal_independent_sql_and_no_small_one_is_shown(built, pid):
    store, data = STORES[pid], _figures(built, pid)
    n = data["threshold"]
    (regions,), = _sql(store, "select list(distinct c.region) from training t join countries c using (iso3)")
    assert set(data["themes"]) == {""} | {f"region:{r}" for r in regions}  # the programme and each region
    hidden = 0
    for place, themes in data["themes"].items():
        whole = _independent(store, place, data["years"][0], data["years"][-1])
        by_year = {y: _independent(store, place, y, y) for y in data["years"]}  # one query a year, not a theme-year
        assert set(themes) == set(whole), place
        for theme, figures in themes.items():
            assert len(figures) == len(data["years"]) + 1
            for y, value in zip([None, *data["years"]], figures):
                truth = whole[theme][0] if y is None else by_year[y].get(theme, (0.0, 0))[0]
                if value is None:
                    hidden += 1
                else:
                    assert value == truth and not 0 < value < n, (place, theme, y)
                    if 0 < truth < n:
                        raise AssertionError((place, theme, y, truth))
            for y, value in zip(data["years"], figures[1:]):
                truth = by_year[y].get(theme, (0.0, 0))[0]
                assert value is not None or truth > 0, (place, theme, y)  # nothing to hide in a year of none
            assert data["theme_names"][theme]
    assert hidden > 0 or pid == "gsp"  # small theme-years of a region in HPS at the default threshold (5)


@pytest.mark.parametrize("pid", ["hps", "gsp"])
def test_the_themes_for_random_ranges_and_places_equal_the_app_and_independent_sql(built, pid):
    from impact.charts import export
    from impact.query import db
    from impact.query.filters import from_query_params
    from impact.storage import store as stores

    store, data = STORES[pid], _figures(built, pid)
    years, n = data["years"], data["threshold"]
    database = db.open_active(stores.open_store(ROOT / "data", pid))
    choices = export.filter_choices(database)
    pick = random.Random(28)
    shown = suppressed = 0
    for _ in range(12):
        a = pick.choice(years)
        b = pick.choice([y for y in years if y >= a])
        place = pick.choice(sorted(data["themes"]))
        truth = _independent(store, place, a, b)
        link = {"from": [f"{a}Q1" if a != years[0] else data["first"]],
                "to": [f"{b}Q4" if b != years[-1] else data["last"]]}
        if place:
            link["region"] = [place.split(":", 1)[1]]
        filters, notices = from_query_params(link, choices)  # the app reads the same link
        assert notices == []
        app = {r["theme"]: (float(r["trainees"]), int(r["projects"]))
               for r in db.run_query(database, "trainees_by_theme", filters.params(choices)).to_dict("records")}
        assert app == {t: v for t, v in truth.items() if v[0] > 0}, (a, b, place)
        mask = sum(1 << (y - years[0]) for y in range(a, b + 1))
        for theme, figures in data["themes"][place].items():
            value, how = _page(figures, years, a, b, n)
            expected = truth.get(theme, (0.0, 0))
            if how == "shown":
                assert value == expected[0] and not 0 < value < n, (a, b, place, theme)
                shown += 1
            else:
                suppressed += 1
                assert any(v is None and a <= y <= b for y, v in zip(years, figures[1:]))
                if how.startswith("at least"):
                    assert float(how.split()[-1]) <= expected[0], (a, b, place, theme)
            active = [m for m in data["theme_projects"][place].get(theme, []) if m & mask]
            assert len(active) == expected[1], (a, b, place, theme)
    assert shown > 20


@pytest.mark.parametrize("pid", ["hps", "gsp"])
def test_each_regions_themes_chart_says_what_independent_sql_says(built, pid):
    store, data = STORES[pid], _figures(built, pid)
    folder = built / pid / "charts"
    named = json.loads(lxml_html.parse(str(folder / "trainees_by_theme.html")).getroot()
                       .xpath("//body/@data-place-charts")[0])["region"]
    assert set(named) == {p.split(":", 1)[1] for p in data["themes"] if p}
    for region, slug in named.items():
        truth = _independent(store, f"region:{region}", data["years"][0], data["years"][-1])
        with open(folder / f"{slug}.csv", encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))[1:]
        assert {r[0] for r in rows} == {t for t, v in truth.items() if v[0] > 0}, region
        for theme, trainees, projects in rows:
            figures = data["themes"][f"region:{region}"][theme]
            assert trainees == ("" if figures[0] is None else f"{truth[theme][0]:.0f}"), (region, theme)
            assert int(projects) == truth[theme][1]
        page = lxml_html.parse(str(folder / f"{slug}.html")).getroot()
        period = json.loads(page.xpath('//form[@id="period"]/@data-period')[0])
        assert period["kind"] == "themes" and period["place"] == f"region:{region}"


@pytest.mark.parametrize("pid", ["hps", "gsp"])
def test_a_chart_page_with_a_period_range_carries_its_published_metadata_and_no_other_does(built, pid):
    """The page writes a reader's choice's metadata from the chart's published metadata: each page with a period
    range carries exactly its `<slug>.json` (written back as the page writes it, it is the file's text), and its
    Metadata link opens that file; a page without one carries none. (The French tree's: the browser test.)"""
    with_range, folder = 0, built / pid / "charts"
    for path in sorted(folder.glob("*.html")):
        page = lxml_html.parse(str(path)).getroot()
        carried = page.xpath('//script[@id="chart-metadata"]/text()')
        link = page.xpath('//section[@class="chart"]//a[@class="metadata"]/@href')
        assert len(link) == 1 and (path.parent / link[0]).resolve() == (folder / f"{path.stem}.json").resolve()
        text = (folder / f"{path.stem}.json").read_text(encoding="utf-8")
        if not page.xpath('//form[@id="period"]'):
            assert carried == [], path
            continue
        with_range += 1
        meta = json.loads(carried[0])
        assert meta == json.loads(text), path
        assert json.dumps(meta, ensure_ascii=False, indent=1) + "\n" == text  # JSON.stringify(meta, null, 1)
        assert meta["language"] == "en"
        assert meta["files"]["csv"] == f"{path.stem}.csv"
    places = _figures(built, pid)["themes"]
    # the programme's trend, top countries and themes, each region's three and each country's trend
    countries = len(list((built / pid / "countries").glob("*.html")))
    assert with_range == 3 + 3 * (len(places) - 1) + countries
