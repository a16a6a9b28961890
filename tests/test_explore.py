"""The explorer's model and queries: views checked and read from the URL, every breakdown query equal
to an independent computation with plain SQL, results shaped into the tables charts draw."""

from __future__ import annotations

import datetime as dt

import pytest

from impact.charts import catalog
from impact.query import db, explore
from impact.query.explore import View, ViewError
from impact.query.filters import Filters


@pytest.fixture(scope="module")
def database(fixture_dir):
    return db.open_database(fixture_dir)


def _run(database, view: View, filters: Filters | None = None):
    spec = catalog.chart("explore", view.to_options())
    frame = db.run_query(database, spec.query, spec.query_params((filters or Filters()).params()))
    return spec, spec.rows(frame)


JOIN = "from training t join projects p using (project_id) join countries c on c.iso3 = t.iso3"


def test_training_by_cadre_and_gender_equals_plain_sql(database, independent, definition):
    region = definition.values("region")[0]
    filters = Filters(region=(region,), period_from=dt.date(2014, 1, 1))
    spec, rows = _run(database, View(by="cadre", split="gender"), filters)
    expected = independent.rows(
        f"select t.cadre, t.gender, sum(t.trainees) {JOIN} where c.region = $r "
        "and t.period >= date '2014-01-01' group by all", {"r": region})
    assert {(r[0], r[1]): r[2] for r in expected} == {
        (row["cadre"], gender): row[gender] for _, row in rows.iterrows() for gender in spec.series(rows)
        if row[gender]}
    assert list(rows["cadre"]) == sorted(rows["cadre"], key=lambda c: -rows.set_index("cadre").loc[c].sum())


def test_quarters_over_time_in_order(database, independent, definition):
    theme, women = definition.values("theme")[1], definition.role("gender", "women")
    _, rows = _run(database, View(metric="women_trained", by="time", grain="quarter"), Filters(theme=(theme,)))
    expected = independent.rows(
        f"select year(t.period) || 'Q' || quarter(t.period), coalesce(sum(t.trainees) filter (where t.gender = $w), 0) "
        f"{JOIN} where p.theme = $t group by t.period order by t.period", {"w": women, "t": theme})
    assert [(q, int(v)) for q, v in zip(rows["quarter"], rows["women_trained"])] == [(q, int(v)) for q, v in expected]


def test_volunteering_by_profession_and_outcome_shares(database, independent):
    _, rows = _run(database, View(metric="volunteer_days_uk", by="profession"), Filters(country=("UGA", "TZA")))
    expected = dict(independent.rows(
        "select profession, sum(volunteer_days) filter (where location = 'UK') from volunteering "
        "where iso3 in ('UGA', 'TZA') group by 1"))
    assert dict(zip(rows["profession"], rows["volunteer_days_uk"])) == expected
    _, shares = _run(database, View(metric="new_approaches_share", by="region"))
    expected = dict(independent.rows(
        "select c.region, sum(value) filter (where indicator = 'uk_volunteers_new_approaches') "
        "/ sum(value) filter (where indicator = 'uk_volunteers_surveyed') "
        "from outcomes o join countries c using (iso3) group by 1"))
    assert dict(zip(shares["region"], shares["new_approaches_share"])) == pytest.approx(expected)


@pytest.mark.parametrize("first, last", [(dt.date(2013, 1, 1), dt.date(2016, 10, 1)),
                                         (dt.date(2013, 7, 1), dt.date(2016, 4, 1))])  # a window cutting years
def test_projects_per_year_count_every_active_year(database, independent, definition, first, last):
    grant = definition.values("grant_type")[0]
    filters = Filters(period_from=first, period_to=last, grant_type=(grant,))
    _, rows = _run(database, View(metric="projects", by="time"), filters)
    expected = {str(year): independent.scalar(
        "select count(*) from projects where grant_type = $g "
        "and start_date < least(make_date($y + 1, 1, 1), $last + interval 3 month) "
        "and end_date >= greatest(make_date($y, 1, 1), $first)",
        {"y": year, "g": grant, "first": first, "last": last}) for year in range(2013, 2017)}
    assert dict(zip(rows["year"], rows["projects"])) == {y: n for y, n in expected.items() if n}


ACTIVE = ("select count(*) from projects where start_date < least($after, $last + interval 3 month) "
          "and end_date >= greatest($first_day, $first)")


def test_projects_per_quarter_and_per_compared_period(database, independent, definition):
    first, last = dt.date(2014, 4, 1), dt.date(2015, 7, 1)
    _, rows = _run(database, View(metric="projects", by="time", grain="quarter"),
                   Filters(period_from=first, period_to=last))
    quarters = [dt.date(y, m, 1) for y in (2014, 2015) for m in (1, 4, 7, 10) if first <= dt.date(y, m, 1) <= last]
    after = {q: dt.date(q.year + q.month // 10, (q.month + 2) % 12 + 1, 1) for q in quarters}  # the next quarter
    expected = {f"{q.year}Q{(q.month + 2) // 3}": independent.scalar(
        ACTIVE, {"first_day": q, "after": after[q], "first": first, "last": last}) for q in quarters}
    assert dict(zip(rows["quarter"], rows["projects"])) == {q: n for q, n in expected.items() if n}
    # Compared periods: a project counts once in a period it was active in any quarter of.
    view = View(metric="projects", by="grant_type", compare="period", a="2012Q1:2013Q4", b="2016Q1:2017Q4")
    _, compared = _run(database, view)
    grant = definition.values("grant_type")[0]
    row = compared.set_index("grant_type").loc[grant]
    for column, (start, end) in (("2012Q1–2013Q4", (dt.date(2012, 1, 1), dt.date(2013, 10, 1))),
                                 ("2016Q1–2017Q4", (dt.date(2016, 1, 1), dt.date(2017, 10, 1)))):
        assert row[column] == independent.scalar(
            "select count(*) from projects where grant_type = $g and start_date < $end + interval 3 month "
            "and end_date >= $start", {"g": grant, "start": start, "end": end})


def test_projects_by_theme_count_each_project_once(database, independent):
    first, last = dt.date(2013, 7, 1), dt.date(2016, 4, 1)  # a window of several years, cutting two
    _, rows = _run(database, View(metric="projects", by="theme"), Filters(period_from=first, period_to=last))
    assert dict(zip(rows["theme"], rows["projects"])) == dict(independent.rows(
        "select theme, count(*) from projects where start_date < $last + interval 3 month and end_date >= $first "
        "group by 1", {"first": first, "last": last}))
    _, phases = _run(database, View(metric="projects", by="time", grain="phase"),
                     Filters(period_from=first, period_to=last))
    assert dict(zip(phases["phase"], phases["projects"])) == dict(independent.rows(
        "select phase, count(*) from projects where start_date < $last + interval 3 month and end_date >= $first "
        "group by 1", {"first": first, "last": last}))


def test_institutions_and_funding_by_theme(database, independent):
    _, rows = _run(database, View(metric="institutions_uk", by="theme"))
    expected = dict(independent.rows(
        "select p.theme, count(distinct pp.institution_id) from project_partners pp join projects p using (project_id) "
        "join institutions i using (institution_id) where i.side = 'UK' group by 1"))
    assert dict(zip(rows["theme"], rows["institutions_uk"])) == expected
    _, budget = _run(database, View(metric="budget_gbp", by="grant_type"))
    assert dict(zip(budget["grant_type"], budget["budget_gbp"])) == dict(independent.rows(
        "select grant_type, sum(budget) from projects group by 1"))


def test_phase_comparison_has_change_and_percentage(database, independent, definition):
    a, b = definition.phase_names[0], definition.phase_names[-1]
    spec, rows = _run(database, View(by="theme", compare="phase"))
    phases = dict(independent.rows(
        "select p.theme || '|' || p.phase, sum(t.trainees) from training t join projects p using (project_id) group by 1"))
    for _, row in rows.iterrows():
        first, second = phases.get(f"{row['theme']}|{a}", 0), phases.get(f"{row['theme']}|{b}", 0)
        assert (row[a], row[b], row["change"]) == (first, second, second - first)
        if first:
            assert row["pct_change"] == pytest.approx((second - first) / first)
    assert spec.series(rows) == [a, b]
    assert spec.title.endswith(f"{a} and {b} compared")


def test_period_comparison_replaces_the_period_filter(database, independent):
    view = View(metric="volunteer_days", by="region", compare="period", a="2012Q1:2013Q4", b="2016Q1:2017Q4")
    _, rows = _run(database, view, Filters(period_from=dt.date(2015, 1, 1)))
    sums = dict(independent.rows(
        "select c.region || '|' || case when period < date '2014-01-01' then 'A' else 'B' end, sum(volunteer_days) "
        "from volunteering v join countries c using (iso3) where period between date '2012-01-01' and date '2013-10-01' "
        "or period between date '2016-01-01' and date '2017-10-01' group by 1"))
    for _, row in rows.iterrows():
        assert row["2012Q1–2013Q4"] == sums.get(f"{row['region']}|A", 0)
        assert row["2016Q1–2017Q4"] == sums.get(f"{row['region']}|B", 0)


def test_many_split_values_fold_into_other(database, independent):
    spec, rows = _run(database, View(by="region", split="country"))
    assert len(spec.series(rows)) == explore.MAX_SERIES and spec.series(rows)[-1] == "Other"
    assert rows[spec.series(rows)].to_numpy().sum() == independent.scalar("select sum(trainees) from training")


@pytest.mark.parametrize("view, message", [
    (View(metric="nope"), "unknown metric"),
    (View(metric="volunteer_days", by="cadre"), "cannot be broken down by cadre"),
    (View(by="theme", split="theme"), "must differ"),
    (View(by="time", compare="phase"), "other than time"),
    (View(compare="period", a="2014Q1:2015Q4", b="2015Q1:2016Q4"), "overlap"),
    (View(compare="period", a="2015Q4:2014Q1"), "two quarters"),
    (View(compare="phase", a="2011-2017", b="2011-2017"), "different phases"),
    (View(chart="pie"), "unknown chart type"),
])
def test_views_that_cannot_be_drawn_say_why(view, message):
    with pytest.raises(ViewError, match=message):
        view.checked()


def test_url_round_trip_and_hostile_values(fixture_dir):
    quarters = [dt.date(2012, 1, 1), dt.date(2012, 4, 1)]
    view = View(metric="volunteer_days", by="profession", split="location", grain="quarter", chart="area")
    again, notices = explore.from_query_params({k: [v] for k, v in view.to_options().items()}, quarters)
    assert again == view and notices == []
    hostile = {"metric": ["trainees'; drop table training; --"], "by": ["cadre"], "chart": ["<script>"]}
    parsed, notices = explore.from_query_params(hostile, quarters)
    assert parsed == View(by="cadre")
    assert len(notices) == 2 and all("Ignored" in n for n in notices)


def test_deck_and_command_line_take_explorer_options(database):
    from impact.charts import deck

    slide = deck.validate_slide({"chart": "explore", "options": {"by": "cadre", "split": "gender"}}, 1)
    assert slide.spec.title == "Health workers trained by cadre and gender"
    with pytest.raises(deck.DeckError, match="cannot be broken down"):
        deck.validate_slide({"chart": "explore", "options": {"metric": "projects", "by": "gender"}}, 2)
    with pytest.raises(deck.DeckError, match="needs the option"):
        deck.validate_slide({"chart": "project_results"}, 3)


def test_explorer_slides_become_native_multi_series_charts(fixture_dir, independent, definition):
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    from impact.charts import deck
    from tests.test_deck import _build

    the_deck = deck.Deck("Explorer", (
        deck.Slide("explore", {"by": "cadre", "split": "gender"}),
        deck.Slide("explore", {"metric": "volunteer_days", "by": "region", "cmp": "phase"}),
        deck.Slide("partnership_scores", {"project_id": "HPS-002"}),
    ))
    data, _, _ = _build(fixture_dir, the_deck, "pptx", Filters())
    pages = list(Presentation(__import__("io").BytesIO(data)).slides)[1:]
    split = next(s for s in pages[0].shapes if s.has_chart).chart
    series = {s.name: {c: v for c, v in zip(split.plots[0].categories, s.values) if v}
              for s in split.plots[0].series}
    expected = independent.rows("select cadre, gender, sum(trainees) from training group by all")
    assert series == {g: {c: float(v) for c, g2, v in expected if g2 == g} for g in {r[1] for r in expected}}
    compared = next(s for s in pages[1].shapes if s.has_chart).chart
    first, last = definition.phase_names[0], definition.phase_names[-1]
    assert [s.name for s in compared.plots[0].series] == [first, last]
    assert sum(compared.plots[0].series[1].values) == independent.scalar(
        "select sum(volunteer_days) from volunteering join projects using (project_id) where phase = $p", {"p": last})
    assert split.has_legend and compared.has_legend  # several series, each named on the slide
    assert not any(s.has_chart for s in pages[2].shapes)  # radar: a picture
    assert any(s.shape_type == MSO_SHAPE_TYPE.PICTURE for s in pages[2].shapes)


def test_command_line_exports_an_explorer_chart(fixture_dir, independent, tmp_path, capsys):
    import csv
    import io

    from impact.cli import main

    out = tmp_path / "by_profession.csv"
    assert main(["export", "chart", "explore", "--option", "metric=volunteer_days", "--option", "by=profession",
                 "--option", "split=location", "--format", "csv", "--out", str(out), "--filter", "country=UGA",
                 "--data", str(fixture_dir)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    expected = independent.rows("select profession, location, sum(volunteer_days) from volunteering "
                                "where iso3 = 'UGA' group by all")
    assert {(r["Profession"], loc): int(r[loc]) for r in rows for loc in ("Overseas", "UK")} == {
        (p, loc): v for p, loc, v in expected}
    assert main(["export", "chart", "explore", "--option", "by=cadre", "--option", "metric=projects",
                 "--format", "csv", "--out", str(out), "--data", str(fixture_dir)]) == 2
    assert "cannot be broken down by cadre" in capsys.readouterr().err
    assert main(["export", "chart", "project_results", "--format", "csv", "--out", str(out),
                 "--data", str(fixture_dir)]) == 2
    assert "needs the option(s) project_id" in capsys.readouterr().err


def test_excel_export_of_a_comparison_formats_the_compared_shares(database):
    import io

    from openpyxl import load_workbook

    from impact.charts import export

    spec = catalog.chart("explore", View(metric="women_share", by="region", compare="phase").to_options())
    frame = db.run_query(database, spec.query, spec.query_params(Filters().params()))
    prov = export.Provenance.of(database, "All")
    sheet = load_workbook(io.BytesIO(export.xlsx_bytes(spec, frame, prov)))["Data"]
    header = [c.value for c in sheet[1]]
    assert header == ["Region", "2011-2017", "2017-2019", "Change", "Change (%)"]
    assert {c.number_format for c in sheet[2][1:]} == {"0%"}
    rows = spec.rows(frame)
    first = [c.value for c in sheet[2]]
    assert first[0] == rows.iloc[0]["region"]
    assert first[1:3] == pytest.approx([rows.iloc[0]["2011-2017"], rows.iloc[0]["2017-2019"]])


def _pandas_order(out, view, values):
    """The reading order as pandas says it: a rank column sorted largest first (missing last), ties by name."""
    out = out.copy()
    out[view.category_column] = out[view.category_column].astype(str)
    if view.over_time:
        return out.sort_values(view.category_column).reset_index(drop=True)
    ranking = out[values[-1]] if view.compare else out[values].sum(axis=1, min_count=1)
    out = out.assign(_rank=ranking).sort_values(["_rank", view.category_column], ascending=[False, True])
    return out.drop(columns="_rank").reset_index(drop=True)


@pytest.mark.parametrize("options", [{"by": "country"}, {"by": "cadre", "split": "gender"}, {"by": "time"},
                                     {"by": "country", "compare": "period", "a": "2012Q1-2013Q4",
                                      "b": "2014Q1-2015Q4"}])
@pytest.mark.parametrize("seed", range(5))
def test_rows_are_ordered_as_pandas_orders_them(options, seed):
    """Shaped rows in reading order (sorted in Python) equal pandas' sort, with ties and missing values."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    view = View.from_options(options).checked()
    columns = ["A", "B"] if options.get("split") or options.get("compare") else ["trainees"]
    names = [f"{2010 + i}" if view.over_time else rng.choice(["Ghana", "Uganda", "Zambia", "Ägypt", "b"]) + str(i)
             for i in range(25)]
    out = pd.DataFrame({view.category_column: names,
                        **{c: rng.choice([np.nan, 0.0, 1.0, 2.0, 5.0], size=25) for c in columns}})
    out = out.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    pd.testing.assert_frame_equal(explore.ordered(out, view, columns), _pandas_order(out, view, columns))
