"""The public site in Chromium from file:// with the network cut: a page draws its charts (maps included) asking
nothing outside the site, an embed page draws inside an <iframe> of a page in another folder, a page reads with
JavaScript off (the SVG and the table), and axe-core finds no serious or critical violation on any page type."""

from __future__ import annotations

import json
import time

import pytest
from lxml import html

from impact.publish import site
from tests.browser.axe import AXE, BLOCKING, report
from tests.browser.conftest import ROOT

DRAW_TIMEOUT = 30_000  # ms; generous for a 2-core machine shared with other work


@pytest.fixture(scope="module")
def public(tmp_path_factory):
    """The GSP's public site, with its SVGs, in every language its definition translates (en, es, fr)."""
    out = tmp_path_factory.mktemp("public") / "site"
    site.build(out, data_dir=ROOT / "data", programmes=["gsp"], languages=None)
    return out


def offline(browser, root, **options):
    """A browser context that lets a page read the site's own files and refuses every other request."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    outside: list[str] = []
    inside = root.resolve().as_uri()

    def handle(route):
        url = route.request.url
        if url.startswith(inside + "/") or url.startswith("data:"):
            route.continue_()
        else:
            outside.append(url)
            route.abort("internetdisconnected")

    context.route("**/*", handle)
    context.add_init_script("window.blocked = []; document.addEventListener('securitypolicyviolation', "
                            "e => window.blocked.push(e.violatedDirective + ' ' + e.blockedURI));")
    return context, outside


def test_a_page_draws_its_charts_and_map_from_file_asking_nothing_outside(browser, public):
    context, outside = offline(browser, public)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    started = time.perf_counter()
    page.goto((public / "gsp" / "index.html").as_uri())
    page.wait_for_selector(".figure .main-svg", timeout=DRAW_TIMEOUT)
    first = time.perf_counter() - started
    page.wait_for_function("() => [...document.querySelectorAll('.figure')].every(f => f.dataset.drawn)",
                           timeout=DRAW_TIMEOUT)
    page.wait_for_selector(".choroplethlayer path", timeout=DRAW_TIMEOUT)  # the outlines came from the site
    print(f"first chart drawn {first:.2f} s after opening the page")
    assert page.evaluate("() => [...document.querySelectorAll('.figure')].filter(f => f.querySelector('.main-svg'))"
                         ".length") == 4
    assert page.locator(".figure img").count() == 0  # the live chart replaced the pre-rendered SVG
    assert errors == [] and outside == [] and page.evaluate("window.blocked") == []
    context.close()


def test_the_svg_is_the_first_chart_a_reader_sees_and_the_live_chart_takes_its_place(browser, public):
    """plotly.js held back (as on a slow disk or a busy machine): the page shows every chart at once as its SVG,
    with plotly.js not yet run; when plotly.js arrives each SVG gives way to the live chart."""
    context, outside = offline(browser, public)
    held, released = [], []

    def hold(route):
        if released:
            route.continue_()
        else:
            held.append(route)

    context.route("**/assets/plotly.*.min.js", hold)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto((public / "gsp" / "index.html").as_uri())
    page.wait_for_function("() => [...document.querySelectorAll('.figure img')].every(i => i.complete "
                           "&& i.naturalWidth > 0 && i.getBoundingClientRect().height > 100)", timeout=DRAW_TIMEOUT)
    page.wait_for_timeout(300)  # past the page's first frames: what the reader sees while plotly.js loads
    assert page.locator(".figure img").count() == 4 and page.locator(".figure img").first.is_visible()
    assert page.evaluate("() => typeof window.Plotly") == "undefined" and page.locator(".main-svg").count() == 0
    assert held, "the page asked for plotly.js"
    released.append(True)
    for route in held:
        route.continue_()
    page.wait_for_function("() => [...document.querySelectorAll('.figure')].every(f => f.dataset.drawn)",
                           timeout=DRAW_TIMEOUT)
    assert page.locator(".figure img").count() == 0 and page.locator(".figure .main-svg").first.is_visible()
    page.wait_for_selector(".choroplethlayer path", timeout=DRAW_TIMEOUT)  # the outlines loaded before plotly.js
    assert errors == [] and outside == [] and page.evaluate("window.blocked") == []
    context.close()


def test_an_embed_page_draws_inside_an_iframe_of_a_page_in_another_folder(browser, public, tmp_path):
    chart = public / "gsp" / "charts" / "trainees_by_theme.html"
    context, outside = offline(browser, public)
    page = context.new_page()
    page.goto(chart.as_uri())
    snippet = page.locator("textarea.snippet").input_value()  # as the reader copies it: the page made it absolute
    embed = chart.parent / "embed" / "trainees_by_theme.html"
    assert snippet.startswith(f'<iframe src="{embed.as_uri()}"')
    # Another site's page, in another folder, with the snippet pasted in as it is.
    host = tmp_path / "elsewhere" / "article.html"
    host.parent.mkdir()
    host.write_text(f"<!DOCTYPE html><html lang='en'><head><title>An article</title></head><body><h1>An article</h1>"
                    f"{snippet}</body></html>", encoding="utf-8")
    context.close()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    elsewhere: list[str] = []

    def handle(route):  # the article and the site's files; nothing else
        url = route.request.url
        if url == host.as_uri() or url.startswith(public.resolve().as_uri() + "/") or url.startswith("data:"):
            route.continue_()
        else:
            elsewhere.append(url)
            route.abort("internetdisconnected")

    context.route("**/*", handle)
    page = context.new_page()
    page.goto(host.as_uri())
    frame = page.frame_locator("iframe")
    frame.locator(".main-svg").first.wait_for(timeout=DRAW_TIMEOUT)
    assert frame.locator(".bars path").count() > 0
    assert "GSP" in frame.locator(".source").inner_text() or "Stewardship" in frame.locator(".source").inner_text()
    context.close()
    assert outside == [] and elsewhere == []


def test_an_embed_with_a_country_in_its_src_shows_that_countrys_chart(browser, public, tmp_path):
    countries = sorted(p.stem for p in (public / "gsp" / "countries").glob("*.html"))
    iso3 = countries[-1]
    embed = public / "gsp" / "charts" / "embed" / "trainees_trend.html"
    host = tmp_path / "elsewhere" / "country.html"
    host.parent.mkdir()
    host.write_text(f"<!DOCTYPE html><html lang='en'><head><title>A country</title></head><body>"
                    f"<iframe src='{embed.as_uri()}?country={iso3}' title='Trend' width='720' height='480'></iframe>"
                    "</body></html>", encoding="utf-8")
    context, outside = offline(browser, public)
    context.route(host.as_uri(), lambda route: route.continue_())
    page = context.new_page()
    page.goto(host.as_uri())
    frame = page.frame_locator("iframe")
    frame.locator(".figure[data-drawn] .main-svg").first.wait_for(timeout=DRAW_TIMEOUT)
    inner = next(f for f in page.frames if f != page.main_frame)
    assert inner.url == (embed.parent / f"country-{iso3}-trend.html").as_uri()
    name = lxml_name(public / "gsp" / "countries" / f"{iso3}.html")
    assert name in frame.locator(".subtitle").inner_text()
    # A region, after # as from file://, on the chart's permalink page.
    region_page = public / "gsp" / "charts" / "trainees_trend.html"
    regions = json.loads(html.parse(str(region_page)).getroot().xpath("//body/@data-place-charts")[0])["region"]
    region, slug = sorted(regions.items())[0]
    page.goto(region_page.as_uri() + "#region=" + region.replace(" ", "+"))
    page.wait_for_url(f"**/charts/{slug}.html", timeout=DRAW_TIMEOUT)
    assert region in page.locator("p.subtitle").first.inner_text()
    # A country the site has no chart for: the programme's chart stays.
    page.goto((embed.as_uri()) + "?country=XXX")
    page.locator(".figure[data-drawn] .main-svg").first.wait_for(timeout=DRAW_TIMEOUT)
    assert page.url.endswith("embed/trainees_trend.html?country=XXX")
    assert outside == []
    context.close()


def lxml_name(country_page) -> str:
    return html.parse(str(country_page)).getroot().xpath("//h1")[0].text_content()


def test_a_page_reads_with_javascript_off(browser, public):
    context, outside = offline(browser, public, java_script_enabled=False)
    page = context.new_page()
    page.goto((public / "gsp" / "charts" / "trainees_trend.html").as_uri())
    image = page.locator(".figure img")
    assert image.count() == 1
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert page.locator("table tbody tr").count() > 3
    assert page.locator("text=Download the data").count() == 1
    assert outside == []
    context.close()


PAGE_TYPES = ["index.html", "gsp/index.html", "gsp/results.html", "gsp/projects/index.html", "gsp/projects/GSP-001.html",
              "gsp/countries/{country}", "gsp/charts/trainees_map.html", "gsp/charts/embed/trainees_map.html",
              "portfolio/index.html", "fr/gsp/index.html", "fr/gsp/charts/trainees_trend.html",
              "fr/gsp/charts/embed/trainees_map.html", "fr/gsp/results.html", "es/gsp/projects/index.html"]


@pytest.mark.parametrize("path", PAGE_TYPES)
def test_no_serious_or_critical_accessibility_violation_on_any_page_type(browser, public, path):
    if "{country}" in path:
        path = path.format(country=sorted((public / "gsp" / "countries").glob("*.html"))[0].name)
    assert html.parse(str(public / path)).getroot().get("lang") == (path[:2] if path[2:3] == "/" else "en")
    # axe-core is injected as an inline script, which the site's policy refuses: bypass it for the audit only.
    context, _ = offline(browser, public, bypass_csp=True)
    page = context.new_page()
    page.goto((public / path).as_uri())
    if page.locator("[data-figure]").count():
        page.wait_for_selector(".main-svg", timeout=DRAW_TIMEOUT)
        page.wait_for_timeout(500)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    print(report(path, violations))
    assert [v["id"] for v in violations if v["impact"] in BLOCKING] == []
    context.close()


def _tile_text(data: dict, span: str, place: str) -> str:
    """How the trainees tile reads for a choice: its figure, or "at least X" for a range holding a suppressed year
    (X from the file's floors), or "fewer than N"."""
    if "trainees" in data["suppressed"][span].get(place, []):
        floor = data["floors"][span].get(place, {}).get("trainees")
        return f"at least {floor:,.0f}" if floor is not None else f"fewer than {data['threshold']}"
    return f"{data['figures'][span].get(place, {}).get('trainees') or 0:,.0f}"


def test_the_filters_change_the_figures_and_the_link_with_no_request(browser, public):
    script = next((public / "assets").glob("gsp-figures.*.js")).read_text(encoding="utf-8")
    data = json.loads(script.split("=", 1)[1].strip().rstrip(";"))
    region = data["places"][1]
    first, last = data["years"][0], data["years"][-1]
    context, outside = offline(browser, public)
    page = context.new_page()
    key, value = region[0].split(":", 1)
    page.goto((public / "gsp" / "index.html").as_uri() + f"#to={last - 1}Q4&{key}={value.replace(' ', '+')}")
    page.wait_for_selector("#filters:not([hidden])", timeout=DRAW_TIMEOUT)
    tile = page.locator('.tile[data-metric="trainees"] .value')
    assert tile.inner_text() == _tile_text(data, f"{first}-{last - 1}", region[0])
    assert page.locator("#filter-where").input_value() == region[0]
    country = next(p for p in data["places"] if p[0].startswith("country:"))
    page.select_option("#filter-where", country[0])
    page.select_option("#filter-from", str(last))
    page.select_option("#filter-to", str(last))
    assert tile.inner_text() == _tile_text(data, f"{last}-{last}", country[0])
    assert page.url.endswith(f"#from={last}Q1&country={country[0].split(':', 1)[1]}")
    assert country[1] in page.locator("#filters-note").inner_text()
    page.reload()  # the link keeps the choice
    page.wait_for_selector("#filters:not([hidden])", timeout=DRAW_TIMEOUT)
    assert page.locator("#filter-where").input_value() == country[0]
    # The trend's link carries the place: it opens the country's trend (or the programme's, for a country without one).
    trend = public / "gsp" / "charts" / "trainees_trend.html"
    named = json.loads(html.parse(str(trend)).getroot().xpath("//body/@data-place-charts")[0])["country"]
    iso3 = country[0].split(":", 1)[1]
    page.click("#title-trainees_trend a")
    expected = f"**/charts/{named[iso3]}.html" if iso3 in named else f"**/charts/trainees_trend.html?country={iso3}"
    page.wait_for_url(expected, timeout=DRAW_TIMEOUT)
    assert outside == [] and page.evaluate("window.blocked") == []
    context.close()


def test_a_french_page_switches_language_and_its_filters_write_french_numbers(browser, public):
    """The language switch goes to the same page in the other language (plain links, from file://); the French home
    page's filters say their figures as French writes them, with the same numbers as the English file."""
    from babel.numbers import format_decimal

    script = next((public / "assets").glob("fr-gsp-figures.*.js")).read_text(encoding="utf-8")
    data = json.loads(script.split("=", 1)[1].strip().rstrip(";"))
    context, outside = offline(browser, public)
    page = context.new_page()
    page.goto((public / "gsp" / "index.html").as_uri())
    assert page.evaluate("document.documentElement.lang") == "en"
    page.click('nav.languages a[hreflang="fr"]')
    page.wait_for_url("**/fr/gsp/index.html", timeout=DRAW_TIMEOUT)
    assert page.evaluate("document.documentElement.lang") == "fr"
    page.wait_for_selector("#filters:not([hidden])", timeout=DRAW_TIMEOUT)
    first, last = data["years"][0], data["years"][-1]
    country = next(p for p in data["places"] if p[0].startswith("country:"))
    page.select_option("#filter-where", country[0])
    page.select_option("#filter-from", str(last))
    span = f"{last}-{last}"
    tile = page.locator('.tile[data-metric="trainees"] .value').inner_text()
    if "trainees" in data["suppressed"][span].get(country[0], []):
        assert tile.startswith(("moins de", "au moins")), tile
    else:
        value = data["figures"][span].get(country[0], {}).get("trainees") or 0
        assert tile == format_decimal(value, format="#,##0", locale="fr"), tile
    note = page.locator("#filters-note").inner_text()
    assert note.startswith("Chiffres pour") and country[1] in note
    assert page.url.endswith(f"#from={last}Q1&country={country[0].split(':', 1)[1]}") and first < last
    page.click('nav.languages a[hreflang="es"]')  # the choice goes with the reader to the Spanish page
    page.wait_for_url("**/es/gsp/index.html#*", timeout=DRAW_TIMEOUT)
    assert page.evaluate("document.documentElement.lang") == "es"
    page.wait_for_selector("#filters:not([hidden])", timeout=DRAW_TIMEOUT)
    assert page.locator("#filter-where").input_value() == country[0]
    assert outside == [] and page.evaluate("window.blocked") == []
    context.close()


def _app_rows(chart_id: str, link: dict):
    """The rows the app's chart shows for a link (its from, to, region or country keys)."""
    from impact.charts import catalog, export
    from impact.query import db
    from impact.query.filters import from_query_params
    from impact.storage import store

    database = db.open_active(store.open_store(ROOT / "data", "gsp"))
    choices = export.filter_choices(database)
    filters, notices = from_query_params(link, choices)
    assert notices == []
    spec = catalog.chart(chart_id)
    return spec.rows(spec.fetch(database, filters.params(choices)))


def _number(text: str) -> float:
    return float(text.replace(",", ""))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_charts_period_range_redraws_it_with_the_apps_figures(browser, public, seed):
    """The trend's and the top countries' permalink pages (the programme's, a region's, a country's) take a period
    range of their own (From, To; the app's keys in the link): the chart and its table for random ranges equal what
    the app's chart shows for the same link (a suppressed figure reads "fewer than N" or "at least X")."""
    import random

    script = next((public / "assets").glob("gsp-figures.*.js")).read_text(encoding="utf-8")
    data = json.loads(script.split("=", 1)[1].strip().rstrip(";"))
    pick = random.Random(seed)
    years = data["years"]
    a = pick.choice(years[:-1])
    b = pick.choice([y for y in years if y > a])
    region = pick.choice([p for p in data["places"] if p[0].startswith("region:")])[0].split(":", 1)[1]
    country = pick.choice([p for p in data["places"] if p[0].startswith("country:")])[0].split(":", 1)[1]
    folder = public / "gsp" / "charts"
    context, outside = offline(browser, public)
    page = context.new_page()
    cases = [("trainees_by_country", {}, "trainees_by_country.html"),
             ("trainees_by_country", {"region": [region]}, f"region-{site.safe_name(region)}-countries.html"),
             ("trainees_trend", {"region": [region]}, f"region-{site.safe_name(region)}-trend.html"),
             ("trainees_trend", {"country": [country]}, f"country-{site.safe_name(country)}-trend.html")]
    for chart_id, place, name in cases:
        assert (folder / name).is_file(), name
        link = {"from": [f"{a}Q1" if a != years[0] else data["first"]],
                "to": [f"{b}Q4" if b != years[-1] else data["last"]], **place}
        page.goto((folder / name).as_uri() + f"#from={a}Q1&to={b}Q4")
        page.wait_for_selector("#period:not([hidden])", timeout=DRAW_TIMEOUT)
        assert page.locator("#period-from").input_value() == str(a)
        assert page.locator("#period-to").input_value() == str(b)
        shown = [[c.inner_text() for c in row.locator("td").all()] for row in page.locator("table tbody tr").all()]
        app = _app_rows(chart_id, link)
        if chart_id == "trainees_trend":
            assert [r[0] for r in shown] == [str(y) for y in app["year"]], name
            for row, (trained, running) in zip(shown, zip(app["trainees"], app["cumulative_trainees"])):
                for text, value in ((row[1], trained), (row[2], running)):
                    assert text == f"{value:,.0f}" or text.startswith(("fewer than", "at least")), (name, row)
        else:
            app = app[app["trainees"] > 0]
            by_iso3 = dict(zip(app["iso3"], app["trainees"]))
            assert len(shown) == min(len(app), 10), name
            for iso3, _name, _region, text in shown:
                assert text == f"{by_iso3[iso3]:,.0f}" or text.startswith(("fewer than", "at least")), (name, iso3)
            figures = [_number(r[3]) for r in shown if not r[3].startswith(("fewer", "at least"))]
            assert figures == sorted(figures, reverse=True)
            assert sorted(by_iso3.values(), reverse=True)[:len(figures)] == figures or any(
                r[3].startswith(("fewer", "at least")) for r in shown)
        page.wait_for_function("() => document.querySelector('.figure').dataset.drawn", timeout=DRAW_TIMEOUT)
        drawn = page.evaluate("() => { const p = document.querySelector('.js-plotly-plot'); "
                              "return p.data.map(t => (t.orientation === 'h' ? t.y : t.x).map(String)); }")
        if chart_id == "trainees_trend":
            assert drawn[0] == [r[0] for r in shown] == drawn[1], name
        else:
            assert sorted(drawn[0]) == sorted(r[1] for r in shown), name
    # A choice changes the link (the app's keys), and a reload keeps it.
    page.select_option("#period-from", str(years[0]))
    page.select_option("#period-to", str(years[0]))
    assert page.url.endswith(f"#to={years[0]}Q4")
    page.reload()
    page.wait_for_selector("#period:not([hidden])", timeout=DRAW_TIMEOUT)
    assert page.locator("#period-to").input_value() == str(years[0])
    # The programme's trend opened with a place and a period goes to the place's trend with the period.
    page.goto((folder / "trainees_trend.html").as_uri() + f"#country={country}&from={a}Q1")
    page.wait_for_url(f"**/country-{site.safe_name(country)}-trend.html#from={a}Q1", timeout=DRAW_TIMEOUT)
    page.wait_for_selector("#period:not([hidden])", timeout=DRAW_TIMEOUT)
    assert page.locator("#period-from").input_value() == str(a)
    assert outside == [] and page.evaluate("window.blocked") == []
    context.close()
