"""The public site's themes chart in Chromium from file:// with the network cut: a reader picks a region and a range
of years on the programme's themes chart; the bars drawn, the table and the subtitle are the region's themes for
those years (an independent DuckDB computation over the Parquet files), the link keeps the choice, and the French
tree says the subtitle in French and writes its numbers the French way."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from urllib.parse import unquote

import duckdb
import pyarrow.parquet as pq
import pytest
from playwright.sync_api import expect

from impact.publish import site
from tests.browser.conftest import ROOT
from tests.browser.test_publish_browser import offline

DRAW_TIMEOUT = 30_000  # ms; generous for a 2-core machine shared with other work
STORE = ROOT / "data" / "programmes" / "gsp"


@pytest.fixture(scope="module")
def public(tmp_path_factory):
    """The GSP's public site in English and French, without SVGs (the live chart is what is checked)."""
    out = tmp_path_factory.mktemp("themes") / "site"
    site.build(out, data_dir=ROOT / "data", programmes=["gsp"], languages=["en", "fr"], svg=False)
    return out


def _figures(root, prefix: str = "") -> dict:
    script = next((root / "assets").glob(f"{prefix}gsp-figures.*.js")).read_text(encoding="utf-8")
    return json.loads(script.split("=", 1)[1].strip().rstrip(";"))


def _themes(region: str, a: int, b: int) -> dict[str, float]:
    """The region's trainees by theme in the calendar years a..b, from the Parquet files."""
    con = duckdb.connect()
    for name in ("training", "projects", "countries"):
        con.register(name, pq.read_table(STORE / f"{name}.parquet"))
    rows = con.execute("select p.theme, sum(t.trainees) from training t join projects p using (project_id) "
                       "join countries c on c.iso3 = t.iso3 where c.region = ? and year(t.period) between ? and ? "
                       "group by 1 having sum(t.trainees) > 0", [region, a, b]).fetchall()
    return {theme: float(n) for theme, n in rows}


def _choose(page, region: str, a: int, b: int) -> None:
    page.select_option("#period-where", f"region:{region}")
    page.select_option("#period-from", str(a))
    page.select_option("#period-to", str(b))
    page.wait_for_function("() => document.querySelector('.figure').dataset.drawn", timeout=DRAW_TIMEOUT)


def _bars(page) -> dict[str, float]:
    trace = page.evaluate("() => { const t = document.querySelector('.js-plotly-plot').data[0];"
                          " return {y: Array.from(t.y), x: Array.from(t.x)}; }")
    return dict(zip(trace["y"], trace["x"]))


def test_a_region_and_a_range_on_the_themes_chart_draw_its_themes_and_say_so(browser, public):
    data = _figures(public)
    region = sorted(p.split(":", 1)[1] for p in data["themes"] if p)[0]
    years = data["years"]
    a, b = years[1], years[-2]
    expected = _themes(region, a, b)
    assert expected  # a region with training in those years
    context, outside = offline(browser, public)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto((public / "gsp" / "charts" / "trainees_by_theme.html").as_uri())
    page.wait_for_function("() => document.querySelector('.figure').dataset.drawn", timeout=DRAW_TIMEOUT)
    whole = page.locator("section.chart p.subtitle").text_content()
    caption = page.locator("section.chart p.caption")  # the whole period's sentence, when the chart has one
    had_caption = caption.count() == 1 and caption.is_visible()
    _choose(page, region, a, b)
    if had_caption:
        expect(caption).to_be_hidden()  # it would describe the whole period
    names = data["theme_names"]
    assert _bars(page) == {names[t]: v for t, v in expected.items()}  # every bar, and no other
    table = page.evaluate("() => [...document.querySelectorAll('section.chart tbody tr')]"
                          ".map(tr => [...tr.cells].map(td => td.textContent))")
    assert {row[0]: float(row[1].replace(",", "")) for row in table} == {names[t]: v for t, v in expected.items()}
    assert [row[0] for row in table] == [names[t] for t, _ in sorted(expected.items(), key=lambda i: (-i[1], i[0]))]
    subtitle = page.locator("section.chart p.subtitle").text_content()
    label = data["region_names"][region]
    assert subtitle == f"{a}Q1\u2013{b}Q4; Region: {label}" and subtitle != whole
    assert page.evaluate("location.hash") == f"#from={a}Q1&to={b}Q4&region={region.replace(' ', '+')}"
    # "Download the data" gives the rows shown: the region's themes for those years, as a CSV file.
    link = page.locator("section.chart a.download")
    assert link.get_attribute("download").endswith(f"-{a}-{b}-region-{re.sub('[^A-Za-z0-9]+', '-', region)}.csv")
    text = unquote(link.get_attribute("href").split(",", 1)[1])
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == [th for th in page.evaluate("() => [...document.querySelectorAll('section.chart thead th')]"
                                                  ".map(th => th.textContent)")]
    assert {row[0]: float(row[1]) for row in rows[1:]} == {names[t]: v for t, v in expected.items()}
    # A link opens its choice: the programme's themes for the years it names, in a page of its own.
    other = context.new_page()
    other.on("pageerror", lambda error: errors.append(str(error)))
    other.goto((public / "gsp" / "charts" / "trainees_by_theme.html").as_uri() + f"#from={a}Q1&to={b}Q4")
    other.wait_for_function("() => document.querySelector('.figure').dataset.drawn", timeout=DRAW_TIMEOUT)
    assert other.locator("section.chart p.subtitle").text_content() == f"{a}Q1\u2013{b}Q4"
    everywhere = {}
    for place in [p for p in data["themes"] if p]:
        for theme, v in _themes(place.split(":", 1)[1], a, b).items():
            everywhere[theme] = everywhere.get(theme, 0.0) + v
    assert _bars(other) == {names[t]: v for t, v in everywhere.items()}
    other.get_by_role("button", name="All").click()  # the whole period again: its caption back (drawn after the click)
    if had_caption:
        expect(other.locator("section.chart p.caption")).to_be_visible()
    assert errors == [] and outside == [] and page.evaluate("window.blocked") == []
    context.close()


def test_the_french_tree_says_the_chosen_range_and_region_in_french(browser, public):
    data = _figures(public, "fr-")
    region = sorted(p.split(":", 1)[1] for p in data["themes"] if p)[0]
    years = data["years"]
    a, b = years[0], years[-2]
    expected = _themes(region, a, b)
    context, outside = offline(browser, public)
    page = context.new_page()
    page.goto((public / "fr" / "gsp" / "charts" / "trainees_by_theme.html").as_uri())
    page.wait_for_function("() => document.querySelector('.figure').dataset.drawn", timeout=DRAW_TIMEOUT)
    _choose(page, region, a, b)
    subtitle = page.locator("section.chart p.subtitle").text_content()
    assert subtitle == f"{data['words']['start']}\u2013{b}Q4; {data['described']['region:' + region]}"
    assert data["described"]["region:" + region].startswith("Région")  # the catalogue's words, not the English
    assert data["words"]["start"] != "start"
    table = page.evaluate("() => [...document.querySelectorAll('section.chart tbody tr')]"
                          ".map(tr => [...tr.cells].map(td => td.textContent))")
    big = [row for row in table if float(row[1].replace("\u202f", "").replace("\u00a0", "")) >= 1000]
    assert all("," not in row[1] for row in table)  # French writes 1 234, never 1,234
    assert {float(row[1].replace("\u202f", "").replace("\u00a0", "")) for row in table} == set(expected.values())
    assert big or max(expected.values()) < 1000
    assert outside == []
    context.close()


def _download(page, link):
    """Click a download link; (the name the page gives the file, its text)."""
    with page.expect_download() as caught:
        link.click()
    download = caught.value
    return download.suggested_filename, Path(download.path()).read_text(encoding="utf-8-sig")


def _check_choice_metadata(page, public, tree: str, region: str, a: int, b: int, data: dict) -> dict:
    """Download the CSV and the metadata of the choice shown; check the metadata against the choice and the chart's
    published metadata file; the metadata."""
    csv_name, csv_text = _download(page, page.locator("section.chart a.download"))
    meta_name, meta_text = _download(page, page.locator("section.chart a.metadata"))
    place = re.sub("[^A-Za-z0-9]+", "-", region)
    assert csv_name == f"trainees_by_theme-{a}-{b}-region-{place}.csv"
    assert meta_name == f"trainees_by_theme-{a}-{b}-region-{place}.json"
    meta = json.loads(meta_text)
    published = json.loads((public / tree / "gsp" / "charts" / "trainees_by_theme.json").read_text(encoding="utf-8"))
    assert meta_text == json.dumps(meta, ensure_ascii=False, indent=1) + "\n"  # written as the site's files are
    assert meta["filters"] == {"from": [f"{a}Q1"], "to": [f"{b}Q4"], "region": [region]} != published["filters"]
    assert meta["subtitle"] == page.locator("section.chart p.subtitle").text_content() != published["subtitle"]
    assert meta["files"] == {**published["files"], "csv": csv_name}
    rows = list(csv.reader(io.StringIO(csv_text)))
    assert meta["columns"] == rows[0]
    assert meta["caption"] is None  # the published caption is the whole period's
    assert meta["suppressed"] == {**published["suppressed"], "cells": sum(c == "" for r in rows[1:] for c in r)}
    changed = {"filters", "subtitle", "files", "caption", "suppressed"}
    assert {k: v for k, v in meta.items() if k not in changed} == \
        {k: v for k, v in published.items() if k not in changed}
    assert list(meta) == list(published)  # the same keys in the same order
    return meta


def test_the_metadata_of_a_chosen_range_and_region_describes_the_csv_of_that_choice(browser, public):
    data = _figures(public)
    region = sorted(p.split(":", 1)[1] for p in data["themes"] if p)[0]
    years = data["years"]
    a, b = years[1], years[-2]
    expected = _themes(region, a, b)
    context, outside = offline(browser, public, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto((public / "gsp" / "charts" / "trainees_by_theme.html").as_uri())
    page.wait_for_function("() => document.querySelector('.figure').dataset.drawn", timeout=DRAW_TIMEOUT)
    meta_link = page.locator("section.chart a.metadata")
    whole_meta, whole_csv = meta_link.get_attribute("href"), page.locator("section.chart a.download").get_attribute("href")
    assert whole_meta.endswith("/gsp/charts/trainees_by_theme.json") and meta_link.get_attribute("download") is None
    _choose(page, region, a, b)
    meta = _check_choice_metadata(page, public, "", region, a, b, data)
    assert meta["subtitle"] == f"{a}Q1\u2013{b}Q4; Region: {data['region_names'][region]}"
    assert meta["language"] == "en"
    _, csv_text = _download(page, page.locator("section.chart a.download"))
    names = data["theme_names"]
    assert {r[0]: float(r[1]) for r in list(csv.reader(io.StringIO(csv_text)))[1:]} == \
        {names[t]: v for t, v in expected.items()}
    # "All" gives the whole chart's files again, as with JavaScript off.
    page.get_by_role("button", name="All").click()
    page.wait_for_function("(whole) => document.querySelector('section.chart a.metadata').getAttribute('href')"
                           " === whole", arg=whole_meta, timeout=DRAW_TIMEOUT)
    assert meta_link.get_attribute("download") is None
    assert page.locator("section.chart a.download").get_attribute("href") == whole_csv
    # A region's own trend page: its place stays in the choice's filters (the page has no Where).
    slug = f"region-{site.safe_name(region)}-trend"
    page.goto((public / "gsp" / "charts" / f"{slug}.html").as_uri() + f"#from={a}Q1")
    page.wait_for_function("() => document.querySelector('section.chart a.metadata').hasAttribute('download')",
                           timeout=DRAW_TIMEOUT)
    meta_link = page.locator("section.chart a.metadata")
    assert meta_link.get_attribute("download") == f"{slug}-{a}-{years[-1]}-region-{re.sub('[^A-Za-z0-9]+', '-', region)}.json"
    trend = json.loads(unquote(meta_link.get_attribute("href").split(",", 1)[1]))
    assert trend["filters"] == {"from": [f"{a}Q1"], "region": [region]}
    assert trend["title"] == json.loads((public / "gsp" / "charts" / f"{slug}.json").read_text(encoding="utf-8"))["title"]
    assert errors == [] and outside == [] and page.evaluate("window.blocked") == []
    context.close()


def test_the_french_tree_writes_the_metadata_of_a_choice_in_french(browser, public):
    data = _figures(public, "fr-")
    region = sorted(p.split(":", 1)[1] for p in data["themes"] if p)[0]
    years = data["years"]
    a, b = years[1], years[-2]
    context, outside = offline(browser, public, accept_downloads=True)
    page = context.new_page()
    page.goto((public / "fr" / "gsp" / "charts" / "trainees_by_theme.html").as_uri())
    page.wait_for_function("() => document.querySelector('.figure').dataset.drawn", timeout=DRAW_TIMEOUT)
    _choose(page, region, a, b)
    meta = _check_choice_metadata(page, public, "fr", region, a, b, data)
    assert meta["language"] == "fr"
    assert meta["subtitle"] == f"{a}Q1\u2013{b}Q4; {data['described']['region:' + region]}"
    assert meta["subtitle"].split("; ")[1].startswith("Région")
    assert outside == []
    context.close()
