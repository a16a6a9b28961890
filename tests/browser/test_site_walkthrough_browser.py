"""Issue 28's "Done when", tried as a new user would, in one real browser: a manager publishes the HPS's site
(`python -m impact publish`), copies the folder elsewhere (a USB stick), opens it from file:// with the network off,
filters the home page to one region, follows a chart to that region's chart, copies its embed snippet from the page's
copy box into a plain HTML page of another site (another origin) and sees the chart drawn there, and downloads the
numbers behind it. Every figure is checked against DuckDB over the shipped extract, independently of the site's code.

The site's other origin is nginx with the deployment's config (bench.publish_bench.serve_site, as in deploy/), so
the browser also reads plotly.js as nginx sends it: its precompressed copy, gzip-encoded."""

from __future__ import annotations

import csv
import functools
import http.server
import io
import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest

from bench import publish_bench, servers
from tests.browser.conftest import ROOT
from tests.browser.test_publish_browser import DRAW_TIMEOUT, offline

DATA = ROOT / "data"


def _sql(query: str, params: dict | None = None) -> list[tuple]:
    """A query over the shipped extract's Parquet files, with DuckDB alone."""
    con = duckdb.connect()
    for name in ("training", "volunteering", "projects", "countries"):
        con.read_parquet(str(DATA / f"{name}.parquet")).create_view(name)
    return con.execute(query, params or {}).fetchall()


def _role(vocabulary: str, role: str) -> str:
    terms = json.loads((DATA / "programme.json").read_text(encoding="utf-8"))["vocabularies"][vocabulary]
    return next(t["value"] for t in terms if isinstance(t, dict) and t.get("role") == role)


def _count(text: str) -> int:
    return int(text.replace(",", ""))


@pytest.fixture(scope="module")
def usb(tmp_path_factory) -> Path:
    """The HPS's site as the command publishes it, then copied to another folder (a USB stick): the folder written
    by the command is removed, so nothing can be read from it."""
    published = tmp_path_factory.mktemp("published") / "site"
    run = subprocess.run([sys.executable, "-m", "impact", "publish", "--out", str(published), "--programme", "hps",
                          "--lang", "en"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr
    assert "wrote the public site of hps" in run.stdout
    stick = tmp_path_factory.mktemp("usb-stick") / "impact-site"
    shutil.copytree(published, stick)
    shutil.rmtree(published)
    return stick


@pytest.fixture
def other_site():
    """Another site: a plain web server on its own port (another origin) serving the pages put in its folder."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="impact-other-site-"))
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    shutil.rmtree(folder, ignore_errors=True)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.mark.skipif(not Path(servers.NGINX).exists(), reason=f"nginx is not installed at {servers.NGINX}")
def test_a_manager_publishes_opens_it_from_a_stick_filters_embeds_and_downloads(browser, usb, other_site):
    # The region a reader picks: the one that trained most (large figures: nothing suppressed in it).
    (region, _), = _sql("select c.region, sum(t.trainees) from training t join countries c using (iso3) "
                        "group by 1 order by 2 desc limit 1")

    # 1. Opened from the stick with the network off: file:// pages, every request outside the folder refused.
    context, outside = offline(browser, usb, accept_downloads=True)
    asked: list[str] = []
    context.on("request", lambda request: asked.append(request.url))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto((usb / "hps" / "index.html").as_uri())
    page.wait_for_selector("#filters:not([hidden])", timeout=DRAW_TIMEOUT)
    page.wait_for_function("() => [...document.querySelectorAll('.figure')].every(f => f.dataset.drawn)",
                           timeout=DRAW_TIMEOUT)
    assert page.locator('.tile[data-metric="trainees"] .value').inner_text() == "93,112"  # the published figure

    # 2. Filtered to one region: the headline figures are the region's, as DuckDB counts them.
    page.select_option("#filter-where", f"region:{region}")
    page.wait_for_function("(r) => document.querySelector('#filters-note').textContent.includes(r)", arg=region,
                           timeout=DRAW_TIMEOUT)
    women, overseas, home = _role("gender", "women"), _role("location", "overseas"), _role("location", "home")
    (trainees, women_trained, countries_trained), = _sql(
        "select sum(trainees), sum(trainees) filter (where gender = $women), "
        "count(distinct iso3) filter (where trainees > 0) from training join countries using (iso3) "
        "where region = $region", {"women": women, "region": region})
    (days_overseas, days_home), = _sql(
        "select sum(volunteer_days) filter (where location = $overseas), "
        "sum(volunteer_days) filter (where location = $home) from volunteering join countries using (iso3) "
        "where region = $region", {"overseas": overseas, "home": home, "region": region})
    (projects, countries_active), = _sql("select count(*), count(distinct iso3) from projects "
                                         "join countries using (iso3) where region = $region", {"region": region})
    expected = {"trainees": trainees, "women_trained": women_trained, "countries_trained": countries_trained,
                "projects": projects, "countries_active": countries_active, "volunteer_days_overseas": days_overseas,
                "volunteer_days_uk": days_home}
    shown = {key: _count(page.locator(f'.tile[data-metric="{key}"] .value').inner_text()) for key in expected}
    assert shown == expected and trainees < 93_112
    assert page.url.endswith("#region=" + region.replace(" ", "+"))

    # 3. The trend's link carries the region: it opens the region's own trend, drawn.
    page.click("#title-trainees_trend a")
    page.wait_for_url("**/hps/charts/region-*-trend.html", timeout=DRAW_TIMEOUT)
    page.wait_for_selector(".figure[data-drawn] .main-svg", timeout=DRAW_TIMEOUT)
    assert region in page.locator("p.subtitle").first.inner_text()
    chart_page = Path(page.evaluate("() => decodeURIComponent(location.pathname)"))
    by_year = _sql("select year(t.period), sum(t.trainees) from training t join countries c using (iso3) "
                   "where c.region = $region group by 1 order by 1", {"region": region})
    drawn = page.evaluate("() => document.querySelector('.js-plotly-plot').data[0].x.map(String)")
    assert drawn == [str(year) for year, _ in by_year]

    # 4. The numbers behind it: "Download the data" gives the region's figures per year, with the running total.
    with page.expect_download(timeout=DRAW_TIMEOUT) as downloading:
        page.get_by_role("link", name="Download the data").first.click()
    download = downloading.value
    assert download.suggested_filename == chart_page.with_suffix(".csv").name
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert rows[0][0] == "Year"
    running, wanted = 0, []
    for year, value in by_year:
        running += value
        wanted.append([str(year), str(value), str(running)])
    assert rows[1:] == wanted
    snippet_from_stick = page.locator("textarea.snippet").input_value()
    assert errors == [] and outside == [] and page.evaluate("window.blocked") == []
    assert not [url for url in asked if url.startswith(("http:", "https:"))]  # the network was never asked
    context.close()

    # 5. The site put on a web server (nginx, the deployment's config) and the embed snippet, copied from the chart
    # page's copy box as it offers it, pasted into a plain HTML page of another site.
    relative = chart_page.relative_to(usb.resolve()).as_posix()
    with publish_bench.serve_site(usb) as base:
        context = fresh_context(browser)
        page = context.new_page()
        encodings: dict[str, str] = {}
        page.on("response", lambda r: encodings.__setitem__(r.url, r.headers.get("content-encoding", "")))
        page.goto(base + relative)
        page.wait_for_selector(".figure[data-drawn] .main-svg", timeout=DRAW_TIMEOUT)
        plotly = next(url for url in encodings if "/assets/plotly." in url)
        assert encodings[plotly] == "gzip"  # plotly.js came as its precompressed copy, and drew
        copy_box = page.locator("textarea.snippet")
        snippet = copy_box.input_value()
        embed = base + relative.replace("charts/", "charts/embed/")
        assert snippet.startswith(f'<iframe src="{embed}"')
        # The same snippet as the stick's page offered, only with the address the site is served from.
        assert snippet == snippet_from_stick.replace((usb / "hps").resolve().as_uri() + "/", base + "hps/")
        context.close()

        folder, origin = other_site
        (folder / "article.html").write_text(
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Our partners' results</title></head>"
            f"<body><h1>Our partners' results</h1><p>Health workers trained in {region}:</p>{snippet}</body></html>",
            encoding="utf-8")
        context = fresh_context(browser)
        refused: list[str] = []

        def only_the_two_sites(route):
            if route.request.url.startswith((origin + "/", base)):
                route.continue_()
            else:
                refused.append(route.request.url)
                route.abort("internetdisconnected")

        context.route("**/*", only_the_two_sites)
        page = context.new_page()
        page.goto(f"{origin}/article.html")
        frame = page.frame_locator("iframe")
        frame.locator(".figure[data-drawn] .main-svg").first.wait_for(timeout=DRAW_TIMEOUT)
        inner = next(f for f in page.frames if f != page.main_frame)
        assert inner.url.startswith(base) and urlsplit(base).port != urlsplit(origin).port  # two origins
        assert region in frame.locator(".subtitle").inner_text()
        assert inner.evaluate("() => document.querySelector('.js-plotly-plot').data[0].x.map(String)") == \
            [str(year) for year, _ in by_year]
        assert refused == []
        context.close()


def fresh_context(browser):
    """A fresh browser context for the served site (a reader's first visit: nothing cached)."""
    return browser.new_context(viewport={"width": 1280, "height": 900})
