"""The public static site (`python -m impact publish`): every number on a programme's home page and in its CSVs
equals an independent DuckDB computation over the active version's Parquet files, for both shipped programmes;
every link and asset resolves inside the site; small cells are in no file; text from data is escaped; only the
fields the definition marks public are shown; a bad `publish` section or `--out` is refused, naming what is wrong."""

from __future__ import annotations

import base64
import csv
import json
import math
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import duckdb
import numpy
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from lxml import html as lxml_html

from impact.model import i18n
from impact.model import programme as programmes
from impact.publish import site
from impact.storage import store
from tests.conftest import ROOT
from tests.data_helpers import make_store

STORES = {"hps": ROOT / "data", "gsp": ROOT / "data" / "programmes" / "gsp"}
HOSTILE_THEME = '<script>alert("theme")</script> & Co'
HOSTILE_TITLE = '=HYPERLINK("http://evil.example/x","click")'
SMALL = 3  # the hostile programme's smallest country trains this many
THRESHOLD = 10


@pytest.fixture(scope="module")
def shipped_site(tmp_path_factory) -> Path:
    """The site of both shipped programmes, with its SVGs, as the command writes it."""
    out = tmp_path_factory.mktemp("site") / "public"
    run = subprocess.run([sys.executable, "-m", "impact", "publish", "--out", str(out)], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "wrote the public site of hps, gsp" in run.stdout
    return out


def _rewrite(path: Path, change) -> None:
    table = pq.read_table(path)
    frame = change(table.to_pandas())
    pq.write_table(pa.Table.from_pandas(frame, schema=table.schema, preserve_index=False), path)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[Path, str, str]:
    """A copy of the GSP whose first theme is markup, one project's title a formula, one country trains only
    SMALL people, with a publish section (3 public fields, a licence, suppress_below THRESHOLD); and its site."""
    store = make_store(STORES["gsp"], tmp_path_factory.mktemp("hostile") / "store")
    definition = json.loads((store / "programme.json").read_text(encoding="utf-8"))
    old_theme = definition["vocabularies"]["theme"][0]
    definition["vocabularies"]["theme"][0] = HOSTILE_THEME
    if "iati" in definition:
        definition["iati"].get("sectors", {}).pop(old_theme, None)
    for translation in definition.get("translations", {}).values():  # a translation names only the definition's values
        translation.get("terms", {}).get("theme", {}).pop(old_theme, None)
    definition["publish"] = {"project_fields": ["title", "theme", "country"], "licence": "CC BY 4.0",
                             "suppress_below": THRESHOLD}
    (store / "programme.json").write_text(json.dumps(definition), encoding="utf-8")
    _rewrite(store / "projects.parquet", lambda f: f.assign(
        theme=f["theme"].where(f["theme"] != old_theme, HOSTILE_THEME),
        title=f["title"].where(f.index != 0, HOSTILE_TITLE)))
    training = pq.read_table(store / "training.parquet").to_pandas()
    small = training.groupby("iso3")["trainees"].sum().idxmin()

    def shrink(f):
        mine = f[f["iso3"] == small]
        keep = f[f["iso3"] != small]
        first = mine.iloc[[0]].assign(trainees=SMALL)
        return __import__("pandas").concat([keep, first], ignore_index=True)

    _rewrite(store / "training.parquet", shrink)
    out = tmp_path_factory.mktemp("hostile-site") / "public"
    site.build(out, data_dir=store, svg=False)
    return out, str(store), small


def _sql(store: Path, query: str, params: list | None = None):
    con = duckdb.connect()
    for name in ("training", "volunteering", "projects", "countries"):
        con.register(name, pq.read_table(store / f"{name}.parquet"))
    return con.execute(query, params or []).fetchall()


def _role(store: Path, vocabulary: str, role: str) -> str:
    terms = json.loads((store / "programme.json").read_text(encoding="utf-8"))["vocabularies"][vocabulary]
    return next(t["value"] for t in terms if isinstance(t, dict) and t.get("role") == role)


def _threshold(store: Path) -> int:
    definition = json.loads((store / "programme.json").read_text(encoding="utf-8"))
    return definition.get("publish", {}).get("suppress_below", programmes.Publish().suppress_below)


def _published(value: int, threshold: int) -> str:
    """A count as a CSV cell of the site: empty when suppressed."""
    return "" if 0 < value < threshold else str(value)


def _csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _tile(page, key: str) -> str:
    return page.xpath(f'//div[@class="tile" and @data-metric="{key}"]/p[@class="value"]')[0].text_content()


def _number(text: str) -> int:
    return int(text.replace(",", ""))


# ---- the numbers -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("pid", ["hps", "gsp"])
def test_the_home_page_headline_figures_equal_independent_sql(shipped_site, pid):
    store = STORES[pid]
    page = lxml_html.parse(str(shipped_site / pid / "index.html")).getroot()
    women, overseas, home = _role(store, "gender", "women"), _role(store, "location", "overseas"), \
        _role(store, "location", "home")
    (trainees, women_trained, countries), = _sql(store, "select sum(trainees), sum(trainees) filter (where gender = ?), "
                                                        "count(distinct iso3) filter (where trainees > 0) from training",
                                                 [women])
    (days_overseas, days_home), = _sql(store, "select sum(volunteer_days) filter (where location = ?), "
                                              "sum(volunteer_days) filter (where location = ?) from volunteering",
                                       [overseas, home])
    (projects, active), = _sql(store, "select count(*), count(distinct iso3) from projects")
    expected = {"trainees": trainees, "women_trained": women_trained, "countries_trained": countries,
                "projects": projects, "countries_active": active, "volunteer_days_overseas": days_overseas,
                "volunteer_days_uk": days_home}
    assert {key: _number(_tile(page, key)) for key in expected} == expected
    if pid == "hps":  # the published figures keep reproducing
        assert _tile(page, "trainees") == "93,112"
        assert "Published: 93,112 by March 2019" in page.xpath('//div[@data-metric="trainees"]')[0].text_content()


@pytest.mark.parametrize("pid", ["hps", "gsp"])
def test_every_csv_of_the_home_page_and_the_countries_equals_independent_sql(shipped_site, pid):
    store, charts = STORES[pid], shipped_site / pid / "charts"
    n = _threshold(store)
    by_year = _sql(store, "select year(period), sum(trainees) from training group by 1 order by 1")
    running, expected = 0, []
    for year, value in by_year:
        running += value
        expected.append([str(year), _published(value, n), _published(running, n)])
    assert _csv(charts / "trainees_trend.csv")[1:] == expected
    themes = _sql(store, "select p.theme, sum(t.trainees) from training t join projects p using (project_id) "
                         "group by 1")
    assert {r[0]: r[1] for r in _csv(charts / "trainees_by_theme.csv")[1:]} == {
        theme: _published(v, n) for theme, v in themes}
    countries = _sql(store, "select t.iso3, c.name, sum(t.trainees) as n from training t join countries c using (iso3) "
                            "group by 1, 2 having n > 0 order by n desc, 2")
    assert [r[:2] + [r[3]] for r in _csv(charts / "trainees_by_country.csv")[1:]] == [
        [iso3, name, _published(v, n)] for iso3, name, v in countries[:10]]
    assert {r[0]: r[3] for r in _csv(charts / "trainees_map.csv")[1:]} == {
        iso3: _published(v, n) for iso3, _, v in countries}
    for iso3, _, _ in countries:
        per_year = _sql(store, "select year(period), sum(trainees) from training where iso3 = ? group by 1 order by 1",
                        [iso3])
        rows = _csv(charts / f"country-{iso3}-trend.csv")[1:]
        assert [r[0] for r in rows] == [str(y) for y, _ in per_year], iso3
        # Each year as SQL, or empty: a small one, or its complement (never one year alone: the total less the
        # others would give it); each running total as SQL, or empty.
        empty = sum(r[1] == "" for r in rows)
        running = 0
        for (year, value), (_, trained, cumulative) in zip(per_year, rows):
            running += value
            assert trained == _published(value, n) or (trained == "" and empty >= 2), (iso3, year)
            assert cumulative in ("", _published(running, n)), (iso3, year)
        if any(r[1] == "" and not 0 < v < n for (_, v), r in zip(per_year, rows)):  # a complement: the caption says
            meta = json.loads((charts / f"country-{iso3}-trend.json").read_text(encoding="utf-8"))
            assert "away by subtraction" in meta["caption"] and "subtraction" in meta["suppressed"]["rule"], iso3
        page = lxml_html.parse(str(shipped_site / pid / "countries" / f"{iso3}.html")).getroot()
        total = sum(v for _, v in per_year)
        assert _tile(page, "trainees") == (f"fewer than {n}" if 0 < total < n else f"{total:,}")


@pytest.mark.parametrize("pid", ["hps", "gsp"])
def test_the_projects_csv_holds_the_public_fields_and_their_results(shipped_site, pid):
    store = STORES[pid]
    n = _threshold(store)
    rows = _csv(shipped_site / pid / "projects" / "projects.csv")
    assert rows[0] == ["Project id", "Title", "Theme", "Grant type", "Phase", "Country", "Region", "Start date",
                       "End date", "Health workers trained", "Volunteer days"]  # the default: no budget, no leads
    trained = dict(_sql(store, "select p.project_id, coalesce(sum(t.trainees), 0) from projects p "
                               "left join training t using (project_id) group by 1"))
    assert {r[0]: r[9] for r in rows[1:]} == {p: _published(v, n) for p, v in trained.items()}
    assert len(list((shipped_site / pid / "projects").glob("*.html"))) == len(trained) + 1  # and the listing


def test_the_portfolio_adds_programmes_side_by_side_and_never_money_across_currencies(shipped_site):
    rows = _csv(shipped_site / "portfolio" / "totals.csv")
    trained = {r[0]: _number(r[4]) for r in rows[1:]}
    assert trained == {"HPS": _sql(STORES["hps"], "select sum(trainees) from training")[0][0],
                       "GSP": _sql(STORES["gsp"], "select sum(trainees) from training")[0][0]}
    page = lxml_html.parse(str(shipped_site / "portfolio" / "index.html")).getroot()
    assert _number(_tile(page, "trainees")) == sum(trained.values())


def test_every_chart_has_its_permalink_embed_csv_metadata_oembed_and_svg(shipped_site):
    metas = sorted(p for p in shipped_site.rglob("charts/*.json") if not p.name.endswith(".oembed.json"))
    assert len(metas) > 80
    for meta_path in metas:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        assert {"title", "subtitle", "filters", "how_counted", "source", "data_version", "date_published",
                "licence"} <= set(meta)
        folder = meta_path.parent
        for kind in ("page", "embed", "csv", "oembed"):
            assert (folder / meta["files"][kind]).is_file(), (meta_path, kind)
        if meta["files"]["svg"]:
            assert (folder / meta["files"]["svg"]).read_bytes().startswith(b"<svg")
        oembed = json.loads((folder / meta["files"]["oembed"]).read_text(encoding="utf-8"))
        assert oembed["type"] == "rich" and "<iframe" in oembed["html"] and "embed/" in oembed["html"]
        page = lxml_html.parse(str(folder / meta["files"]["page"])).getroot()
        words = i18n.translator(meta["language"])  # each language's tree says it in its words
        assert page.get("lang") == meta["language"]
        assert page.xpath('//textarea[@class="snippet"]')[0].text.startswith("<iframe src=")
        assert page.xpath(f'//a[text()="{words.gettext("Download the data")}"]') and \
            page.xpath(f'//a[text()="{words.gettext("Embed this chart")}"]')
    trend = json.loads((shipped_site / "hps" / "charts" / "country-UGA-trend.json").read_text(encoding="utf-8"))
    assert trend["filters"] == {"country": ["UGA"]} and trend["data_version"] == "base"


@pytest.mark.parametrize("pid", ["hps", "gsp"])
def test_the_trend_chart_names_each_places_trend_for_a_link_with_country_or_region(shipped_site, pid):
    (iso3s, regions), = _sql(STORES[pid], "select list(distinct t.iso3 order by t.iso3), list(distinct c.region) "
                                          "from training t join countries c using (iso3) where t.trainees > 0")
    folder = shipped_site / pid / "charts"
    title = json.loads((folder / "trainees_trend.json").read_text(encoding="utf-8"))["title"]
    for page in (folder / "trainees_trend.html", folder / "embed" / "trainees_trend.html"):
        tree = lxml_html.parse(str(page)).getroot()
        named = json.loads(tree.xpath("//body/@data-place-charts")[0])
        assert set(iso3s) <= set(named["country"]) and set(regions) <= set(named["region"]), page
        for key, slugs in named.items():
            for value, slug in slugs.items():
                assert (page.parent / f"{slug}.html").is_file(), (page, value)
                meta = json.loads((folder / f"{slug}.json").read_text(encoding="utf-8"))
                assert meta["filters"] == {key: [value]} and meta["title"] == title
    # A region's trend: each year's figure as independent SQL (the suppressed ones left empty).
    region = sorted(regions)[0]
    by_year = dict(_sql(STORES[pid], "select year(t.period), sum(t.trainees) from training t join countries c "
                                     "using (iso3) where c.region = ? group by 1", [region]))
    rows = _csv(folder / f"{named['region'][region]}.csv")
    assert rows[0][:2] == ["Year", "Health workers trained"]
    for year, trained in ((r[0], r[1]) for r in rows[1:]):
        threshold = _figures(shipped_site, pid)["threshold"]
        assert (float(trained) == by_year[int(year)]) if trained else (0 < by_year[int(year)] < threshold), year
    assert "data-place-charts" not in (shipped_site / pid / "index.html").read_text(encoding="utf-8")


# ---- static means static ------------------------------------------------------------------------------------------

def _links(root: Path):
    """(page, attribute value) for every href and src of every page of the site."""
    for page in root.rglob("*.html"):
        tree = lxml_html.parse(str(page)).getroot()
        for element in tree.iter():
            for attribute in ("href", "src"):
                value = element.get(attribute)
                if value is not None:
                    yield page, element, value


@pytest.mark.parametrize("which", ["shipped", "hostile"])
def test_every_link_resolves_to_a_file_of_the_site_and_none_leaves_it(shipped_site, hostile, which):
    root = shipped_site if which == "shipped" else hostile[0]
    checked = 0
    for page, _element, value in _links(root):
        if value.startswith("data:") or value.startswith("#"):
            continue
        assert not re.match(r"^[a-z][a-z0-9+.-]*:", value, re.I), (page, value)  # no http(s), no file: of elsewhere
        target = (page.parent / unquote(urlsplit(value).path)).resolve()
        assert target.is_file() and root.resolve() in target.parents, (page, value)
        checked += 1
    assert checked > 1000 if which == "shipped" else checked > 100
    for page in root.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        if which == "shipped":  # no address outside the site in any page's text (the hostile data holds one as text)
            assert re.findall(r"https?://[^\s\"'<>]+", text) == [], page
        policy = lxml_html.fromstring(text).xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')
        assert policy == [site.CSP], page
    assets = sorted(p.name for p in (root / "assets").iterdir() if p.suffix != ".gz")
    assert len([a for a in assets if a.startswith("plotly.")]) == 1 and re.fullmatch(
        r"plotly\.[0-9a-f]{12}\.min\.js", next(a for a in assets if a.startswith("plotly.")))


def test_each_text_file_has_a_gzip_copy_that_is_the_file_byte_for_byte(shipped_site):
    """publish writes `<file>.gz` (gzip -9, no name or time in it) beside every text file of 1 KB or more, for servers
    that send it as it is (nginx's gzip_static); decompressed by the gzip command itself, it is the file."""
    text = {".html", ".js", ".css", ".json", ".csv", ".svg"}
    files = [p for p in shipped_site.rglob("*") if p.is_file() and not p.name.startswith(".")]
    copies = {p for p in files if p.suffix == ".gz"}
    plain = [p for p in files if p not in copies]
    assert not any(p.suffix not in text for p in plain), "a file of an unexpected kind"
    wanted = {p.with_name(p.name + ".gz") for p in plain if p.stat().st_size >= 1024}
    assert copies == wanted
    plotly = next((shipped_site / "assets").glob("plotly.*.min.js.gz"))
    assert plotly.stat().st_size < 0.4 * plotly.with_suffix("").stat().st_size
    sample = sorted(copies)[:: max(1, len(copies) // 60)] + [plotly]  # the command once per file: a sample
    for copy in sample:
        assert copy.read_bytes()[4:8] == bytes(4), copy  # no time in the header: a rebuild gives the same bytes
        unpacked = subprocess.run(["gzip", "-dc", str(copy)], capture_output=True, check=True).stdout
        assert unpacked == copy.with_suffix("").read_bytes(), copy


def test_every_page_reads_without_javascript(shipped_site):
    page = lxml_html.parse(str(shipped_site / "hps" / "charts" / "trainees_by_theme.html")).getroot()
    figure = page.xpath('//div[@class="figure"]')[0]
    assert figure.xpath(".//img/@src")[0].endswith("trainees_by_theme.svg")
    table = page.xpath("//table")[0]
    themes = _sql(STORES["hps"], "select p.theme, sum(t.trainees), count(distinct p.project_id) from training t "
                                 "join projects p using (project_id) group by 1 order by 2 desc")
    assert [[c.text_content() for c in row.xpath("td")] for row in table.xpath(".//tbody/tr")] == [
        [theme, f"{v:,}", f"{n:,}"] for theme, v, n in themes]
    project = lxml_html.parse(str(shipped_site / "hps" / "projects" / "HPS-001.html")).getroot()
    assert project.xpath("//script") == []  # a page with no chart loads no plotly.js


# ---- only what may be public ---------------------------------------------------------------------------------------

def test_small_cells_are_fewer_than_n_on_pages_and_in_no_file(hostile):
    root, store, small = hostile
    page = lxml_html.parse(str(root / "gsp" / "countries" / f"{small}.html")).getroot()
    assert _tile(page, "trainees") == f"fewer than {THRESHOLD}"
    assert "fewer than 10" in page.xpath('//td[@class="suppressed"]')[0].text_content()
    for path in root.rglob("*.csv"):
        for row in _csv(path):
            if small in row or any(small in cell for cell in row):
                assert str(SMALL) not in row[1:], (path, row)
    for path in (root / "gsp" / "charts").glob(f"country-{small}-*.json"):
        if not path.name.endswith(".oembed.json"):
            assert json.loads(path.read_text(encoding="utf-8"))["suppressed"]["cells"] > 0, path
    map_page = (root / "gsp" / "charts" / "trainees_map.html").read_text(encoding="utf-8")
    figure = json.loads(re.search(r'id="figure-trainees_map">(.*?)</script>', map_page, re.S).group(1))
    trace = figure["data"][0]
    values = trace["z"]
    if isinstance(values, dict):  # Plotly's binary form of an array
        values = numpy.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    z = dict(zip(trace["locations"], values))
    assert small in z and math.isnan(z[small]) and not any(v == SMALL for v in z.values())
    rows = _csv(root / "gsp" / "charts" / "trainees_map.csv")
    assert [r[3] for r in rows if r[0] == small] in ([], [""])
    meta = json.loads((root / "gsp" / "charts" / "trainees_map.json").read_text(encoding="utf-8"))
    assert meta["licence"] == "CC BY 4.0" and meta["suppressed"]["below"] == THRESHOLD


def test_text_from_data_is_escaped_and_cells_cannot_run_as_formulas(hostile):
    root, _, _ = hostile
    for path in root.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "<script>alert" not in text, path
    home = lxml_html.parse(str(root / "gsp" / "charts" / "trainees_by_theme.html")).getroot()
    cells = [c.text_content() for c in home.xpath("//table//td")]
    assert HOSTILE_THEME in cells  # shown as itself, not run
    projects = _csv(root / "gsp" / "projects" / "projects.csv")
    assert projects[0] == ["Project id", "Title", "Theme", "Country"]  # the fields marked public, no more
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in projects for cell in row)
    assert "'" + HOSTILE_TITLE in [row[1] for row in projects]
    page = lxml_html.parse(str(next((root / "gsp" / "projects").glob("GSP-*.html")))).getroot()
    assert [dd.get("data-field") for dd in page.xpath("//dd")] == ["project_id", "title", "theme", "country"]


def test_a_bad_publish_section_is_refused_with_its_field():
    definition = json.loads((STORES["gsp"] / "programme.json").read_text(encoding="utf-8"))
    definition["publish"] = {"project_fields": ["budget", "title", "title"], "suppress_below": -1, "licence": 5,
                             "colour": "red"}
    with pytest.raises(programmes.DefinitionError) as refused:
        programmes.parse(definition)
    where = {field for field, _ in refused.value.problems}
    assert where == {"publish.project_fields[0]", "publish.project_fields[2]", "publish.suppress_below",
                     "publish.licence", "publish.colour"}
    assert programmes.parse({**definition, "publish": {"suppress_below": 0}}).publish.project_fields == \
        programmes.DEFAULT_PUBLIC_FIELDS
    kept = programmes.parse({**definition, "publish": {"licence": "CC BY 4.0", "project_fields": ["title"]}})
    assert programmes.parse(json.loads(kept.to_json())).publish == kept.publish


def test_the_command_refuses_an_unknown_programme_and_a_folder_it_did_not_write(tmp_path):
    run = subprocess.run([sys.executable, "-m", "impact", "publish", "--out", str(tmp_path / "s"), "--programme",
                          "nope"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "'nope'" in run.stderr and "hps, gsp" in run.stderr
    assert not (tmp_path / "s").exists()
    mine = tmp_path / "documents"
    mine.mkdir()
    (mine / "letter.txt").write_text("keep me", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "impact", "publish", "--out", str(mine)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "not a site written by this command" in run.stderr
    assert [p.name for p in mine.iterdir()] == ["letter.txt"]


# ---- filters in the browser ------------------------------------------------------------------------------------------

def _figures(root: Path, pid: str) -> dict:
    script = next((root / "assets").glob(f"{pid}-figures.*.js")).read_text(encoding="utf-8")
    return json.loads(script.split("=", 1)[1].strip().rstrip(";"))


@pytest.mark.parametrize("pid", ["hps", "gsp"])
def test_the_browser_filters_equal_the_apps_figures_for_random_choices(shipped_site, pid):
    import random

    from impact.charts import export
    from impact.query import db
    from impact.query.filters import from_query_params

    data = _figures(shipped_site, pid)
    database = db.open_active(store.open_store(ROOT / "data", pid))
    choices = export.filter_choices(database)
    pick = random.Random(42)
    for _ in range(6):
        a = pick.choice(data["years"])
        b = pick.choice([y for y in data["years"] if y >= a])
        place = pick.choice(data["places"])[0]
        link = {"from": [f"{a}Q1" if a != data["years"][0] else data["first"]],
                "to": [f"{b}Q4" if b != data["years"][-1] else data["last"]]}
        if place:
            kind, value = place.split(":", 1)
            link[kind] = [value]
        filters, notices = from_query_params(link, choices)  # the app reads the same link
        assert notices == []
        app = site.headline_totals(database, filters.params(choices))
        shown = data["figures"][f"{a}-{b}"].get(place, {})
        hidden = data["suppressed"][f"{a}-{b}"].get(place, [])
        counted = ("trainees", "women_trained", "volunteer_days_overseas", "volunteer_days_uk")
        each = {y: _app_year(database, choices, data, y, place) for y in range(a, b + 1)}
        for key in data["keys"]:
            value = app[key]
            small = [y for y, row in each.items() if 0 < row[key] < data["threshold"]] if key in counted else []
            out = [y for y in each if key in data["suppressed"][f"{y}-{y}"].get(place, [])]
            assert set(small) <= set(out), (a, b, place, key)  # a small year is never shown; its complement neither
            if key in hidden:
                assert key in counted and shown[key] is None and (0 < value < data["threshold"] or out)
                rest = sum(row[key] for y, row in each.items() if y not in out)
                floor = data["floors"][f"{a}-{b}"].get(place, {}).get(key)
                assert floor == (None if len(out) == 1 and not rest else rest + len(out)), (a, b, place, key)
            elif value == value and value:  # not missing, not zero (a place with none is left out)
                assert shown[key] == pytest.approx(float(value)), (a, b, place, key)
    region = data["places"][1][0]
    (trained,), = _sql(STORES[pid], "select sum(t.trainees) from training t join countries c using (iso3) "
                                    "where c.region = ?", [region.split(":", 1)[1]])
    span = f"{data['years'][0]}-{data['years'][-1]}"
    assert data["figures"][span][region]["trainees"] == trained


def _app_year(database, choices, data: dict, year: int, place: str):
    """The app's headline figures for one calendar year (clipped to the data's first and last quarter) and a place."""
    from impact.query.filters import from_query_params

    link = {"from": [f"{year}Q1" if year != data["years"][0] else data["first"]],
            "to": [f"{year}Q4" if year != data["years"][-1] else data["last"]]}
    if place:
        kind, value = place.split(":", 1)
        link[kind] = [value]
    filters, _ = from_query_params(link, choices)
    return site.headline_totals(database, filters.params(choices)).fillna(0)


def _recovered(data: dict) -> list[tuple]:
    """Every suppressed figure of the filter file that equals the difference of two figures it publishes for the
    same place: a range [a, b] as [a, c] - [b + 1, c] or [c, b] - [c, a - 1] (a place a range leaves out has none)."""
    years, figures = data["years"], data["figures"]

    def published(a: int, b: int, place: str, key: str):
        if a > b:
            return 0.0
        row = figures[f"{a}-{b}"].get(place)
        return 0.0 if row is None else row.get(key)

    found = []
    for span, places in data["suppressed"].items():
        a, b = map(int, span.split("-"))
        for place, keys in places.items():
            for key in keys:
                pairs = [((a, c), (b + 1, c)) for c in years if c > b] + [((c, b), (c, a - 1)) for c in years if c < a]
                for whole, part in pairs:
                    x, y = published(*whole, place, key), published(*part, place, key)
                    if x is not None and y is not None:
                        found.append((span, place, key, whole, part, x - y))
                        break
    return found


@pytest.mark.parametrize("pid", ["hps", "gsp"])
def test_no_suppressed_filter_figure_is_the_difference_of_two_published_ones(shipped_site, pid):
    data = _figures(shipped_site, pid)
    assert any(data["suppressed"].values())  # the default threshold (5) suppresses something in both programmes
    assert _recovered(data) == []
    # Stronger: every range published is the sum of its years, each published, or holds every year the place hides
    # (two or more) and is the place's total less its published years outside it: so the file says nothing the
    # published years and totals do not.
    counted = [k for k in data["keys"] if k in ("trainees", "women_trained", "volunteer_days_overseas",
                                                "volunteer_days_uk")]
    checked = 0
    for span, places in data["figures"].items():
        a, b = map(int, span.split("-"))
        for place, row in places.items():
            for key in counted:
                if row[key] is None:
                    continue
                years = {y: data["figures"][f"{y}-{y}"].get(place, {}).get(key, 0.0) for y in data["years"]}
                out = [y for y, v in years.items() if v is None]
                inside = [y for y in out if a <= y <= b]
                checked += 1
                if not inside:
                    assert row[key] == pytest.approx(sum(years[y] or 0.0 for y in range(a, b + 1))), (span, place, key)
                    continue
                assert inside == out and len(out) >= 2, (span, place, key)
                total = data["figures"][f"{data['years'][0]}-{data['years'][-1]}"][place][key]
                outside = sum(v or 0.0 for y, v in years.items() if not a <= y <= b)
                assert row[key] == pytest.approx(total - outside), (span, place, key)
    assert checked > 100


@pytest.mark.parametrize("pid", ["hps", "gsp"])
def test_the_results_page_lists_every_project_target_with_its_end_target(shipped_site, pid):
    from impact.model import metrics

    store = STORES[pid]
    con = duckdb.connect()
    con.register("targets", pq.read_table(store / "targets.parquet"))
    ends = con.execute("select project_id, metric, arg_max(target, due_date) from targets where scope = 'project' "
                       "group by 1, 2").fetchall()
    definition = programmes.read(store / "programme.json")
    with metrics.using(definition):
        expected = {(p, metrics.metric(m).label): target for p, m, target in ends if metrics.is_metric(m)}
    rows = _csv(shipped_site / pid / "results-projects.csv")
    assert rows[0][:3] == ["Project id", "Indicator", "End target"]
    assert {(r[0], r[1]): float(r[2]) for r in rows[1:]} == pytest.approx(expected)
    page = lxml_html.parse(str(shipped_site / pid / "results.html")).getroot()
    assert len(page.xpath('//table[caption="Projects against their targets"]/tbody/tr')) == len(expected)


def test_publishing_again_replaces_the_site_and_a_failed_build_leaves_it_as_it_was(tmp_path, monkeypatch):
    out = tmp_path / "public"
    site.build(out, data_dir=ROOT / "data", programmes=["gsp"], svg=False)
    (out / "gsp" / "stale.html").write_text("from an earlier build", encoding="utf-8")
    site.build(out, data_dir=ROOT / "data", programmes=["gsp"], svg=False)
    assert not (out / "gsp" / "stale.html").exists() and (out / "gsp" / "index.html").is_file()
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def broken(*args, **kwargs):
        raise RuntimeError("the build broke half way")

    monkeypatch.setattr(site, "_index", broken)
    with pytest.raises(RuntimeError):
        site.build(out, data_dir=ROOT / "data", programmes=["gsp"], svg=False)
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public"]  # no half-built folder left beside it


def test_a_file_name_from_an_id_stays_inside_its_folder_and_never_takes_a_page_of_ours():
    assert site.safe_name("HPS-001") == "HPS-001"
    for hostile in ("../../etc/passwd", "index", "INDEX", "a/b", "", "id-x", "x" * 200, "é"):
        name = site.safe_name(hostile)
        assert re.fullmatch(r"id-[0-9a-f]{16}", name), hostile
    assert site.safe_name("a/b") != site.safe_name("a/c")


# ---- suppression that subtraction cannot undo ----------------------------------------------------------------------

def _published_sums(root: Path, pid: str, key: str, cells: list[tuple[str, int]],
                    regions: dict[str, str]) -> numpy.ndarray:
    """Every figure of `key` the site's files publish for places and years, as a row of 0/1 over the `cells`
    (country, year) it adds up: the filter file's ranges, each country page's total and the home page's; for
    trainees, the trend CSVs' years and running totals (the programme's, each region's, each country's) and the
    map's country totals."""
    data = _figures(root, pid)
    index = {cell: i for i, cell in enumerate(cells)}

    def row(place: str, a: int, b: int) -> numpy.ndarray:
        out = numpy.zeros(len(cells))
        for (iso3, year), i in index.items():
            inside = not place or place == f"country:{iso3}" or place == f"region:{regions.get(iso3)}"
            if inside and a <= year <= b:
                out[i] = 1
        return out

    first, last = data["years"][0], data["years"][-1]
    rows = []
    for span, places in data["figures"].items():
        a, b = map(int, span.split("-"))
        rows += [row(place, a, b) for place, figures in places.items() if figures[key] is not None]
    for page in (root / pid / "countries").glob("*.html"):
        tiles = lxml_html.parse(str(page)).getroot()
        if tiles.xpath(f'//div[@data-metric="{key}"]') and not _tile(tiles, key).startswith(("fewer", "at least")):
            rows.append(row(f"country:{page.stem}", first, last))
    if not _tile(lxml_html.parse(str(root / pid / "index.html")).getroot(), key).startswith("fewer"):
        rows.append(row("", first, last))
    if key != "trainees":
        return numpy.array(rows)
    charts = root / pid / "charts"
    trends = {"": charts / "trainees_trend.csv"}
    named = json.loads(lxml_html.parse(str(charts / "trainees_trend.html")).getroot()
                       .xpath("//body/@data-place-charts")[0])
    trends.update({f"{kind}:{value}": charts / f"{slug}.csv" for kind, slugs in named.items()
                   for value, slug in slugs.items()})
    for place, path in trends.items():
        for year, trained, running in (r[:3] for r in _csv(path)[1:]):
            if trained:
                rows.append(row(place, int(year), int(year)))
            if running:
                rows.append(row(place, first, int(year)))
    for r in _csv(charts / "trainees_map.csv")[1:]:
        if r[3]:
            rows.append(row(f"country:{r[0]}", first, last))
    return numpy.array(rows)


def _cells_sql(store: Path, key: str) -> str:
    """Independent SQL for `key` by country, region and calendar year."""
    women, overseas, home = _role(store, "gender", "women"), _role(store, "location", "overseas"), \
        _role(store, "location", "home")
    source, figure = {"trainees": ("training", "trainees"),
                      "women_trained": ("training", f"trainees) filter (where gender = '{women}'"),
                      "volunteer_days_overseas": ("volunteering", f"volunteer_days) filter (where location = '{overseas}'"),
                      "volunteer_days_uk": ("volunteering", f"volunteer_days) filter (where location = '{home}'")}[key]
    return (f"select t.iso3, c.region, year(t.period), coalesce(sum(t.{figure}), 0) from {source} t "
            "join countries c using (iso3) group by 1, 2, 3")


@pytest.mark.parametrize("pid", ["hps", "gsp"])
def test_no_small_count_is_a_sum_or_difference_of_the_published_figures(shipped_site, pid):
    """Each small count (a country's, a region's or the programme's, in a year or a range of years; trainees, women
    trained, volunteer days), independent SQL, is not in the span of the figures the site publishes: no sum or
    difference of them gives it."""
    store, data = STORES[pid], _figures(shipped_site, pid)
    n = data["threshold"]
    small, checked = [], {}
    for key in ("trainees", "women_trained", "volunteer_days_overseas", "volunteer_days_uk"):
        table = _sql(store, _cells_sql(store, key))
        regions = dict(_sql(store, "select distinct t.iso3, c.region from training t join countries c using (iso3)"))
        regions.update({iso3: region for iso3, region, _, _ in table})
        cells = sorted({(iso3, y) for iso3 in regions for y in data["years"]})
        value = {(iso3, year): v for iso3, _, year, v in table}
        published = _published_sums(shipped_site, pid, key, cells, regions)
        _, sigma, vt = numpy.linalg.svd(published, full_matrices=False)
        basis = vt[sigma > 1e-9 * sigma[0]]  # an orthonormal basis of what the published figures add up
        places = [""] + [f"region:{r}" for r in sorted(set(regions.values()))] + [f"country:{c}" for c in
                                                                                  sorted(regions)]
        for place in places:
            for a in data["years"]:
                for b in (y for y in data["years"] if y >= a):
                    mine = [i for i, (iso3, year) in enumerate(cells) if a <= year <= b and (
                        not place or place == f"country:{iso3}" or place == f"region:{regions[iso3]}")]
                    total = sum(value.get(cells[i], 0) for i in mine)
                    if not 0 < total < n:
                        continue
                    target = numpy.zeros(len(cells))
                    target[mine] = 1
                    left = target - basis.T @ (basis @ target)  # what no combination of published figures reaches
                    checked[key] = checked.get(key, 0) + 1
                    if numpy.abs(left).max() < 1e-6:
                        small.append((key, place, a, b, total))
    assert checked  # the default threshold suppresses something in both programmes
    assert small == []


def test_complementary_suppression_never_leaves_one_cell_of_a_total_and_its_parts_suppressed():
    from impact.publish import suppress

    # A total and its parts: the small part and the smallest other part above zero.
    values = {"total": 100, "a": 3, "b": 40, "c": 57, "d": 0}
    assert suppress.complementary(values, [("total", ["a", "b", "c", "d"])], 5) == {"a", "b"}
    # Two levels sharing cells (a country's years and total; the region's years and total): NPL's 2011 takes NPL's
    # 2012 with it; the region's 2011 and 2012 then each hold one suppressed country, so their smallest other
    # country (BGD) goes too, in both years.
    values = {("NPL", 2011): 3, ("NPL", 2012): 97, ("NPL", "all"): 100,
              ("BGD", 2011): 50, ("BGD", 2012): 20, ("BGD", "all"): 70,
              ("IND", 2011): 60, ("IND", 2012): 80, ("IND", "all"): 140,
              ("Asia", 2011): 113, ("Asia", 2012): 197, ("Asia", "all"): 310}
    groups = [((p, "all"), [(p, 2011), (p, 2012)]) for p in ("NPL", "BGD", "IND", "Asia")]
    groups += [(("Asia", c), [("NPL", c), ("BGD", c), ("IND", c)]) for c in (2011, 2012, "all")]
    hidden = suppress.complementary(values, groups, 5)
    assert hidden == {("NPL", 2011), ("NPL", 2012), ("BGD", 2011), ("BGD", 2012)}
    for total, parts in groups:
        assert sum(cell in hidden for cell in (total, *parts)) != 1, (total, hidden)
    assert suppress.complementary(values, groups, 1) == set()  # suppression off


# ---- every language --------------------------------------------------------------------------------------------------

LANGUAGES = ("en", "fr", "pt", "es")  # the HPS's definition translates fr and pt, the GSP's es and fr: all four
SAMPLE_PAGES = ("index.html", "hps/index.html", "hps/results.html", "hps/countries/UGA.html", "hps/projects/index.html",
                "hps/projects/HPS-001.html", "hps/charts/trainees_trend.html", "hps/charts/embed/trainees_map.html",
                "gsp/index.html", "portfolio/index.html", "portfolio/charts/portfolio_map.html")


def _tree_pages(root: Path, language: str) -> list[str]:
    """The pages of one language's tree (English's: the root's, without the other trees)."""
    base = root / site.tree(language)
    others = [root / code for code in LANGUAGES if code != "en"] if language == "en" else []
    return sorted(p.relative_to(base).as_posix() for p in base.rglob("*.html")
                  if not any(o in p.parents for o in others))


def test_each_language_has_its_tree_of_the_same_pages_and_the_assets_once(shipped_site):
    english = _tree_pages(shipped_site, "en")
    assert len(english) > 400
    for language in LANGUAGES[1:]:
        assert _tree_pages(shipped_site, language) == english, language
        assert not (shipped_site / language / "assets").exists()
    assets = [p.name for p in (shipped_site / "assets").iterdir() if p.suffix != ".gz"]
    assert len([a for a in assets if a.startswith("plotly.")]) == 1
    assert len([a for a in assets if a.startswith("world_110m.")]) == 1
    # The figures of the home page's filters: one file per programme and language, the same numbers in each.
    for pid in STORES:
        english = _figures(shipped_site, pid)
        for language in LANGUAGES[1:]:
            script = next((shipped_site / "assets").glob(f"{language}-{pid}-figures.*.js")).read_text(encoding="utf-8")
            data = json.loads(script.split("=", 1)[1].strip().rstrip(";"))
            assert data["figures"] == english["figures"] and data["floors"] == english["floors"], (pid, language)
            assert data["suppressed"] == english["suppressed"] and data["locale"] == language
            assert data["words"]["fewer"] == i18n.translator(language).gettext("fewer than {n}").format(
                n=english["threshold"])
            assert [p[0] for p in data["places"]] != [] and {p[0] for p in data["places"]} == {
                p[0] for p in english["places"]}


@pytest.mark.parametrize("path", SAMPLE_PAGES)
def test_each_page_says_its_language_and_links_to_itself_in_the_others(shipped_site, path):
    for language in LANGUAGES:
        file = shipped_site / site.tree(language) / path
        page = lxml_html.parse(str(file)).getroot()
        assert page.get("lang") == language
        alternates = {link.get("hreflang"): link.get("href")
                      for link in page.xpath('//head/link[@rel="alternate"][@hreflang]')}
        assert set(alternates) == {*LANGUAGES, "x-default"}, file
        for code, href in alternates.items():
            target = (file.parent / href).resolve()
            assert target == (shipped_site / site.tree("en" if code == "x-default" else code) / path).resolve(), href
        if "/embed/" in path:  # an embed page is the chart alone (in another site's frame): its alternates only
            assert page.xpath('//nav[@class="languages"]') == []
            continue
        switch = page.xpath('//nav[@class="languages"]//a')
        assert [a.get("hreflang") for a in switch] == list(LANGUAGES)
        assert [a.get("hreflang") for a in switch if a.get("aria-current")] == [language]
        assert [a.text_content() for a in switch] == [i18n.LANGUAGES[c] for c in LANGUAGES]
        for a in switch:
            assert (file.parent / a.get("href")).resolve() == (shipped_site / site.tree(a.get("hreflang")) / path
                                                               ).resolve()


def _read_number(text: str, language: str) -> float | str:
    """A figure as a page of `language` writes it, read back as Babel reads that locale (a suppressed one: its
    label, with its threshold read too)."""
    from babel.numbers import parse_decimal

    words = i18n.translator(language)
    fewer = words.gettext("fewer than {n}").split("{n}")[0]
    if text.startswith(fewer):
        return f"fewer than {parse_decimal(text[len(fewer):], locale=language)}"
    text = text.replace("%", "").strip()
    return float(parse_decimal(text, locale=language, strict=True))


def test_the_numbers_of_every_tree_are_the_english_trees_read_per_locale(shipped_site):
    """Every tile of the home, country and portfolio pages and every cell of the chart pages' tables, read as its
    locale writes numbers, equals the English page's; and the CSVs keep the same numbers (plain, never formatted)."""
    english = _tree_pages(shipped_site, "en")
    pages = [p for p in english if p.endswith("index.html") or "/countries/" in p or "/charts/" in p]
    assert len(pages) > 150
    tiles = cells = 0
    for language in LANGUAGES[1:]:
        for path in pages:
            en = lxml_html.parse(str(shipped_site / path)).getroot()
            other = lxml_html.parse(str(shipped_site / language / path)).getroot()
            en_tiles = [t.text_content() for t in en.xpath('//div[@class="tile"]/p[@class="value"]')]
            other_tiles = [t.text_content() for t in other.xpath('//div[@class="tile"]/p[@class="value"]')]
            assert len(en_tiles) == len(other_tiles), (language, path)
            for a, b in zip(en_tiles, other_tiles):
                if re.fullmatch(r"[\d,.]+%?", a):
                    assert _read_number(b, language) == _read_number(a, "en"), (language, path, a, b)
                    tiles += 1
                elif a.startswith("fewer than"):
                    assert _read_number(b, language) == a, (language, path, a, b)
            if "/charts/" in path and "/embed/" not in path:
                rows = zip(en.xpath("//table/tbody/tr"), other.xpath("//table/tbody/tr"), strict=True)
                for row_en, row_other in rows:
                    for a, b in zip((c.text_content() for c in row_en.xpath("td")),
                                    (c.text_content() for c in row_other.xpath("td")), strict=True):
                        if re.fullmatch(r"(19|20)\d\d", a):  # a year is written as it is, in every language
                            assert b == a, (language, path, a, b)
                        elif re.fullmatch(r"\d[\d,]*(\.\d+)?%?", a):
                            assert _read_number(b, language) == _read_number(a, "en"), (language, path, a, b)
                            cells += 1
                        elif a.startswith("fewer than"):
                            assert _read_number(b, language) == a, (language, path, a, b)
    assert tiles > 500 and cells > 5000, (tiles, cells)
    for csv_path in sorted(shipped_site.glob("*/charts/*.csv")):
        relative = csv_path.relative_to(shipped_site)
        en_rows = _csv(csv_path)
        for language in LANGUAGES[1:]:
            other_rows = _csv(shipped_site / language / relative)
            assert len(other_rows) == len(en_rows), relative
            for a_row, b_row in zip(en_rows[1:], other_rows[1:]):
                numbers = [(a, b) for a, b in zip(a_row, b_row) if re.fullmatch(r"-?\d+(\.\d+)?", a) or a == ""]
                assert all(a == b for a, b in numbers), (language, relative, a_row, b_row)


def test_csv_headings_metadata_and_words_are_in_the_trees_language(shipped_site):
    for language in LANGUAGES[1:]:
        words = i18n.translator(language)
        folder = shipped_site / language / "hps" / "charts"
        meta = json.loads((folder / "trainees_by_theme.json").read_text(encoding="utf-8"))
        english = json.loads((shipped_site / "hps" / "charts" / "trainees_by_theme.json").read_text(encoding="utf-8"))
        assert meta["language"] == language and meta["title"] == words.gettext(english["title"]) != english["title"]
        assert meta["data_version"] == english["data_version"] and meta["files"] == english["files"]
        heading = _csv(folder / "trainees_by_theme.csv")[0]
        assert heading == [words.gettext("Theme"), words.gettext("Health workers trained"), words.gettext("Projects")]
        # Programme content from the definition's translations: the HPS's themes in French and Portuguese.
        definition = programmes.read(STORES["hps"] / "programme.json")
        labels = [row[0] for row in _csv(folder / "trainees_by_theme.csv")[1:]]
        english_labels = [row[0] for row in _csv(shipped_site / "hps" / "charts" / "trainees_by_theme.csv")[1:]]
        assert labels == [definition.label("theme", t, language) for t in english_labels]
        home = lxml_html.parse(str(shipped_site / language / "hps" / "index.html")).getroot()
        assert home.xpath("//h1")[0].text_content().startswith(definition.name_in(language))
        assert words.gettext("Headline figures") in home.text_content()
        assert "Headline figures" not in home.text_content()
    # The GSP has no Portuguese translation: its content is in English there, the site's own words in Portuguese.
    gsp = lxml_html.parse(str(shipped_site / "pt" / "gsp" / "index.html")).getroot()
    assert gsp.xpath("//h1")[0].text_content().startswith("Global Stewardship Partnerships")
    assert i18n.translator("pt").gettext("Headline figures") in gsp.text_content()


def test_publish_lang_chooses_the_languages_and_refuses_an_unknown_one(tmp_path):
    out = tmp_path / "site"
    run = subprocess.run([sys.executable, "-m", "impact", "publish", "--out", str(out), "--programme", "gsp",
                          "--lang", "es", "--no-svg"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "pages in en, es" in run.stdout
    assert (out / "gsp" / "index.html").is_file() and (out / "es" / "gsp" / "index.html").is_file()
    assert not (out / "fr").exists()
    page = lxml_html.parse(str(out / "es" / "gsp" / "index.html")).getroot()
    assert {link.get("hreflang") for link in page.xpath('//head/link[@hreflang]')} == {"en", "es", "x-default"}
    bad = subprocess.run([sys.executable, "-m", "impact", "publish", "--out", str(tmp_path / "other"), "--programme",
                          "gsp", "--lang", "en,xx"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert bad.returncode == 2 and "--lang 'xx'" in bad.stderr and "en, fr, pt, es" in bad.stderr
    assert not (tmp_path / "other").exists()
    assert site.chosen_languages(None, [programmes.read(STORES["hps"] / "programme.json")]) == ["en", "fr", "pt"]
    assert site.chosen_languages("fr,en", []) == ["en", "fr"]


# ---- filters on the charts -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("pid", ["hps", "gsp"])
def test_the_theme_and_country_charts_name_each_places_chart_and_carry_a_period_range(shipped_site, pid):
    """`?country=ISO3` on the themes chart opens the country's themes, `?region=NAME` the region's; `?region=NAME` on
    the top countries opens the region's top countries (its countries' totals, as the programme's map publishes
    them); the trend's, the top countries' and the themes' permalink pages carry their period range (the filter
    figures, with the region of each country)."""
    store, folder = STORES[pid], shipped_site / pid / "charts"
    n = _threshold(store)
    (iso3s, regions), = _sql(store, "select list(distinct t.iso3 order by t.iso3), list(distinct c.region) "
                                    "from training t join countries c using (iso3) where t.trainees > 0")
    themes = lxml_html.parse(str(folder / "trainees_by_theme.html")).getroot()
    named = json.loads(themes.xpath("//body/@data-place-charts")[0])
    assert set(iso3s) <= set(named["country"]) and set(named["region"]) == set(regions)
    for iso3 in iso3s:
        meta = json.loads((folder / f"{named['country'][iso3]}.json").read_text(encoding="utf-8"))
        assert meta["filters"] == {"country": [iso3]}
    by_country = lxml_html.parse(str(folder / "trainees_by_country.html")).getroot()
    named = json.loads(by_country.xpath("//body/@data-place-charts")[0])
    assert set(regions) == set(named["region"]) and named["country"] == {}
    on_map = {r[0]: r[3] for r in _csv(folder / "trainees_map.csv")[1:]}
    for region, slug in named["region"].items():
        totals = _sql(store, "select t.iso3, sum(t.trainees) as n from training t join countries c using (iso3) "
                             "where c.region = ? group by 1 having n > 0 order by n desc, 1", [region])
        rows = _csv(folder / f"{slug}.csv")[1:]
        assert {r[0] for r in rows} == {iso3 for iso3, _ in totals[:10]} or len(totals) > 10, region
        for row in rows:
            assert row[3] == on_map[row[0]] and row[3] in ("", _published(dict(totals)[row[0]], n)), (region, row)
    for page, place in (("trainees_trend.html", ""), ("trainees_by_country.html", ""),
                        (f"{named['region'][regions[0]]}.html", f"region:{regions[0]}"),
                        (f"country-{site.safe_name(iso3s[0])}-trend.html", f"country:{iso3s[0]}")):
        tree = lxml_html.parse(str(folder / page)).getroot()
        period = json.loads(tree.xpath('//form[@id="period"]/@data-period')[0])
        assert period["place"] == place and period["kind"] in ("trend", "countries"), page
        script = tree.xpath('//form[@id="period"]/following-sibling::script[1]/@src')[0]
        assert (folder / script).resolve().name.startswith(f"{pid}-figures.")
    period = json.loads(lxml_html.parse(str(folder / "trainees_by_theme.html")).getroot()
                        .xpath('//form[@id="period"]/@data-period')[0])
    assert {k: v for k, v in period.items() if k != "script"} == {"kind": "themes", "place": "", "key": "trainees",
                                                                  "top": 0, "projects": True, "places": True}
    assert lxml_html.parse(str(folder / f"country-{site.safe_name(iso3s[0])}-themes.html")).getroot() \
        .xpath('//form[@id="period"]') == []  # a country's themes keep the whole period (see site.PERIOD_CHARTS)
    data = _figures(shipped_site, pid)
    assert data["regions"] == dict(_sql(store, "select iso3, region from countries where iso3 in "
                                               "(select iso3 from projects union select iso3 from training)"))
