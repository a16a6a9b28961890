"""The public site's build made fast without changing what it publishes (issue 28's 60 s): the SVGs drawn in one
page loaded once (`export.Drawing`) are Kaleido's own (`export.render`'s), their random ids seeded from each figure so
that building twice gives the same bytes; and the questions a page asks are asked once per build, not per language."""

from __future__ import annotations

import collections
import re

import pandas as pd
import plotly.graph_objects as go
import pytest
from lxml import etree

from impact.charts import export, theme
from impact.publish import site
from impact.query import db
from tests.conftest import ROOT

GSP = ROOT / "data" / "programmes" / "gsp"
WIDTH, HEIGHT = 960, 420


def _figures() -> list[go.Figure]:
    """Figures like the site's: a trend with a legend, bars, a map over the shipped outlines."""
    theme.register()
    years = list(range(2012, 2020))
    trend = go.Figure([go.Scatter(x=years, y=[3 * y % 17 + 5 for y in years], name="Trained"),
                       go.Scatter(x=years, y=[2 * y % 13 + 1 for y in years], name="Women trained")])
    trend.update_layout(showlegend=True, legend={"orientation": "h"})
    bars = go.Figure(go.Bar(x=[120, 80, 45], y=["Uganda", "Tanzania", "Zambia"], orientation="h"))
    world = go.Figure(go.Choropleth(locations=["UGA", "TZA", "ZMB"], z=[120, 80, 45], locationmode="ISO-3"))
    return [trend, bars, world]


def _ids(svg: bytes) -> list[bytes]:
    """plotly.js's random ids in an SVG: its figure's (clip paths, definitions, legend) and its traces'."""
    found = re.findall(rb'defs-([0-9a-f]{6})"', svg) + re.findall(rb"\btrace([0-9a-f]{6})\b", svg) \
        + re.findall(rb'id="g[0-9a-f]{6}-([0-9a-f]+)"', svg)  # a colour bar's gradient
    return list(dict.fromkeys(found))


def _canonical(svg: bytes) -> bytes:
    """The SVG with its ids numbered in order and its attributes in canonical order (W3C C14N): what it draws."""
    for n, uid in enumerate(_ids(svg)):
        svg = svg.replace(uid, b"UID%03d" % n)
    return etree.tostring(etree.fromstring(svg), method="c14n")


def test_the_drawing_gives_kaleidos_svgs_with_ids_seeded_from_each_figure():
    figures = _figures()
    reference = [export.render(f, "svg", width=WIDTH, height=HEIGHT) for f in figures]
    with export.Drawing() as drawing:
        first = [drawing.svg(f, width=WIDTH, height=HEIGHT) for f in figures]
        again = [drawing.svg(f, width=WIDTH, height=HEIGHT) for f in figures]
    with export.Drawing() as drawing:
        another_session = [drawing.svg(f, width=WIDTH, height=HEIGHT) for f in figures]
    assert another_session == first  # the same figures in the same order: the same bytes
    for drawn, kaleidos, redrawn in zip(first, reference, again):
        assert drawn.startswith(b"<svg") and _ids(drawn)
        assert _canonical(drawn) == _canonical(kaleidos)  # Kaleido's drawing, but for its random ids
        assert _ids(redrawn) == _ids(drawn)  # seeded from the figure, not from what was drawn before
        assert _canonical(redrawn) == _canonical(drawn)
    assert len({_ids(svg)[0] for svg in first}) == len(first)  # each figure ids of its own
    assert set(_ids(first[0])) != set(_ids(reference[0]))  # (Kaleido's own are random)


def test_building_twice_gives_the_same_bytes(tmp_path):
    built = [site.build(tmp_path / name, data_dir=GSP, languages=["en", "es"]) for name in ("a", "b")]
    assert built[0].svgs > 0 and built[0].gzipped > 0
    files = {name: sorted(p.relative_to(tmp_path / name) for p in (tmp_path / name).rglob("*") if p.is_file())
             for name in ("a", "b")}
    assert files["a"] == files["b"]
    differ = [str(p) for p in files["a"] if (tmp_path / "a" / p).read_bytes() != (tmp_path / "b" / p).read_bytes()]
    assert not differ, f"{len(differ)} files differ, e.g. {differ[:5]}"
    assert any(str(p).endswith(".svg") for p in files["a"])


@pytest.fixture
def asked(monkeypatch):
    """Every named query the build runs: (name, parameters) -> how many times."""
    counts: collections.Counter = collections.Counter()
    run = db.run_query

    def counting(database, name, params=None):
        counts[(name, tuple(sorted((k, repr(v)) for k, v in (params or {}).items())))] += 1
        return run(database, name, params)

    monkeypatch.setattr(db, "run_query", counting)
    return counts


def _a_pages(key: tuple) -> bool:
    """A question of a project's or a country's page (the portfolio's, a few a language, are its module's)."""
    name, params = key
    return name in ("project_detail", "project_details", "projects_list") or (
        name in ("headline_totals", "indicator_totals") and "'country'" in str(params))


def test_a_pages_questions_are_asked_once_per_build_whatever_the_languages(tmp_path, asked):
    site.build(tmp_path / "one", data_dir=GSP, languages=["en"], svg=False)
    once = {key: n for key, n in asked.items() if _a_pages(key)}
    asked.clear()
    site.build(tmp_path / "two", data_dir=GSP, languages=["en", "es"], svg=False)
    twice = {key: n for key, n in asked.items() if _a_pages(key)}
    assert [key for key in once if key[0].startswith("project_detail")] == [("project_details", ())]  # one query
    assert sum(1 for key in once if key[0] == "headline_totals") > 5  # a page per country
    assert twice == once
    assert set(once.values()) == {1}


@pytest.mark.parametrize("data", [ROOT / "data", GSP], ids=["hps", "gsp"])
def test_every_projects_details_at_once_are_each_projects_own(data):
    """project_details (the site's project pages, one query) gives each project project_detail's row, value for
    value and type for type."""
    from impact.model import metrics
    from impact.storage import store

    database = db.open_active(store.open_store(data))
    with metrics.using(database.programme):
        every = db.run_query(database, "project_details", {})
        ids = database.connection.execute("select project_id from projects order by project_id").fetchall()
        assert every["project_id"].tolist() == [i for (i,) in ids]
        for (project_id,) in ids:
            own = db.run_query(database, "project_detail", {"project_id": project_id})
            row = every[every["project_id"] == project_id].reset_index(drop=True)
            assert (own.dtypes == row.dtypes).all()
            for column in own.columns:
                mine, theirs = own.at[0, column], row.at[0, column]
                assert (pd.isna(mine) and pd.isna(theirs)) if not isinstance(mine, str) and pd.isna(mine) else \
                    (mine == theirs and type(mine) is type(theirs)), (project_id, column, mine, theirs)
