"""The HTML deck: one self-contained file (plotly.js once, the map outlines, no external reference), one
slide per deck slide with the same title, key number, caption, footer and notes as the PowerPoint and PDF
decks, live projector-theme figures with the data and legends, data text never parsed as markup, and the
command line and the Present page that write it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import pandas as pd
import pytest

from impact.charts import catalog, deck, deck_writers, export, html_deck, theme
from impact.cli import main
from impact.query import db
from impact.query.filters import Filters
from tests.conftest import ROOT, make_app, plotly_values
from tests.test_deck import DAY, FILTERS, PARAMS

MAX_BYTES = 6_000_000
MALICIOUS = "</script><img src=x onerror=alert(1)>"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


# ---- a small DOM built by the standard library's HTML parser ---------------------------------

class Node:
    """An element: its tag, attributes and children (nodes and text)."""

    def __init__(self, tag: str, attrs: dict, parent: Node | None):
        self.tag, self.attrs, self.parent, self.children = tag, attrs, parent, []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def walk(self):
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.walk()

    def all(self, tag: str | None = None, css_class: str | None = None) -> list[Node]:
        return [n for n in self.walk() if n is not self and (tag is None or n.tag == tag)
                and (css_class is None or css_class in n.attrs.get("class", "").split())]

    def one(self, tag: str | None = None, css_class: str | None = None) -> Node:
        found = self.all(tag, css_class)
        assert len(found) == 1, (tag, css_class, len(found))
        return found[0]


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Node("#document", {}, None)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, dict(attrs), self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(document: str) -> Node:
    builder = _Builder()
    builder.feed(document)
    builder.close()
    return builder.root


def sections(root: Node) -> list[Node]:
    return [n for n in root.one("main").children if isinstance(n, Node) and n.tag == "section"]


def figure(root: Node, section: Node) -> dict:
    block = next(n for n in root.all("script") if n.attrs.get("id") == section.one(css_class="chart").attrs["data-figure"])
    assert block.attrs["type"] == "application/json"
    return json.loads(block.text())


# ---- building ------------------------------------------------------------------------------

def _build(extract_dir, the_deck: deck.Deck, filters: Filters = FILTERS):
    database = db.open_database(extract_dir, "fixture-v1")
    choices = export.filter_choices(database)
    provenance = export.Provenance.of(database, filters.describe(choices), DAY)
    slides = deck.prepare(the_deck, lambda spec, opts: export.chart_data(database, spec, filters, choices, opts))
    steps = []
    data = deck_writers.build(the_deck, slides, provenance, "html", progress=lambda done, total, what: steps.append(done))
    return data, provenance, slides, steps


@pytest.fixture(scope="module")
def built(fixture_dir, definition):
    from impact.model import metrics

    with metrics.using(definition):
        data, provenance, slides, steps = _build(fixture_dir, deck.default_deck())
    return data, provenance, slides, steps, parse(data.decode("utf-8"))


# ---- one file, nothing fetched -------------------------------------------------------------

def test_default_deck_is_one_file_with_plotly_inlined_once(built):
    from plotly.offline import get_plotlyjs

    data, _, slides, steps, root = built
    text = data.decode("utf-8")
    assert len(data) <= MAX_BYTES, f"{len(data):,} bytes"
    plotly = get_plotlyjs()
    assert text.count(plotly) == 1
    assert text.count("* plotly.js v") == 1  # its licence banner: no second copy of another version
    scripts = [n for n in root.all("script") if n.text() == plotly]
    assert len(scripts) == 1 and "type" not in scripts[0].attrs
    outlines = next(n for n in root.all("script") if n.attrs.get("id") == "outlines-world_110m")
    assert json.loads(outlines.text()) == json.loads((ROOT / "static" / "world_110m.json").read_text())
    assert steps[0] == 0 and steps[-1] == len(slides) + 1


def test_nothing_refers_to_another_file_or_host(built):
    _, _, _, _, root = built
    for node in root.walk():
        assert "src" not in node.attrs, (node.tag, node.attrs)
        for attr in ("href", "action", "poster", "data", "srcset"):
            assert attr not in node.attrs or node.attrs[attr].startswith("data:"), (node.tag, node.attrs)
    styles = "".join(n.text() for n in root.all("style"))
    assert "url(" not in styles and "@import" not in styles
    csp = next(n for n in root.all("meta") if n.attrs.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp.attrs["content"] and "connect-src" not in csp.attrs["content"]


def test_a_deck_without_a_map_leaves_the_outlines_out(fixture_dir):
    data, _, _, _ = _build(fixture_dir, deck.Deck("No map", (deck.Slide("trainees_by_theme"),)))
    root = parse(data.decode("utf-8"))
    assert not [n for n in root.all("script") if n.attrs.get("id", "").startswith("outlines-")]
    assert len(data) < len(html_deck.plotly_js()) + 100_000


# ---- slides: the same text as the PowerPoint and PDF decks ---------------------------------

def test_one_slide_per_deck_slide_plus_the_title(built, independent):
    data, provenance, slides, _, root = built
    shipped = deck.default_deck()
    pages = sections(root)
    assert len(pages) == len(shipped.slides) + 1
    assert [p.attrs["data-number"] for p in pages] == [str(n) for n in range(1, len(pages) + 1)]

    cover = pages[0]
    assert cover.one(css_class="slide-title").text() == shipped.name
    assert cover.one(css_class="filters").text() == provenance.filters
    assert cover.one(css_class="count").text() == f"{len(shipped.slides)} charts"
    assert cover.one(css_class="source").text() == provenance.footer
    assert cover.one(css_class="notes").text() == deck.cover_notes(shipped, provenance, len(shipped.slides))

    total = independent.scalar(
        "select sum(trainees) from training where iso3 = any($countries) and period >= $start", PARAMS)
    days = independent.scalar(
        "select sum(volunteer_days) from volunteering where iso3 = any($countries) and period >= $start", PARAMS)
    for page, prepared in zip(pages[1:], slides, strict=True):
        slide = prepared.slide
        assert page.one(css_class="slide-title").text() == slide.heading
        assert page.one(css_class="filters").text() == provenance.filters
        if prepared.frame.empty:  # the programme's targets cannot be split by the country filter
            assert slide.chart == "results" and prepared.spec.when_empty in page.text()
            continue
        label, value = deck.key_number(prepared.spec, prepared.frame)
        assert (page.one(css_class="key-label").text(), page.one(css_class="key-value").text()) == (label, value)
        assert value == f"{ {'trainees': total, 'volunteer_days': days}[slide.spec.values[0]]:,}"
        assert page.one(css_class="caption").text() == prepared.spec.caption(prepared.spec.rows(prepared.frame))
        assert page.one(css_class="source").text() == provenance.footer
        assert page.one(css_class="notes").text() == deck.speaker_notes(slide, provenance)
        assert f"Filters: {provenance.filters}" in page.one(css_class="notes").text()
        assert page.one(css_class="number").text() == f"{page.attrs['data-number']} / {len(pages)}"


def test_charts_are_projector_figures_with_the_numbers_and_legends(built, independent):
    _, _, slides, _, root = built
    by_chart = {}
    for page, prepared in zip(sections(root)[1:], slides, strict=True):
        if prepared.frame.empty:  # the results slide under a country filter: nothing to draw (tested below)
            continue
        fig = figure(root, page)
        layout = fig["layout"]
        assert layout["template"]["layout"]["paper_bgcolor"] == theme.PROJECTOR["background"]
        assert layout["template"]["layout"]["font"]["color"] == theme.PROJECTOR["text"]
        series = len(deck.series_columns(prepared.spec, prepared.spec.rows(prepared.frame)))
        assert layout["showlegend"] is (series > 1), (prepared.slide.heading, series)
        assert len(fig["data"]) == series or prepared.spec.kind == "map"
        by_chart.setdefault(prepared.slide.chart, []).append(fig)

    # several series name themselves in a legend: the trend (per year and cumulative) and both splits
    assert by_chart["trainees_trend"][0]["layout"]["showlegend"] is True
    assert [f["layout"]["showlegend"] for f in by_chart["explore"]] == [True, True]
    assert by_chart["trainees_by_theme"][0]["layout"]["showlegend"] is False

    bars = by_chart["trainees_by_theme"][0]["data"][0]
    expected = dict(independent.rows(
        "select p.theme, sum(t.trainees) from training t join projects p using (project_id) "
        "where t.iso3 = any($countries) and t.period >= $start group by 1", PARAMS))
    assert dict(zip(plotly_values(bars["y"]), plotly_values(bars["x"]))) == expected
    world = by_chart["trainees_map"][0]["data"][0]
    assert world["type"] == "choropleth" and set(plotly_values(world["locations"])) == set(PARAMS["countries"])


def test_a_slide_with_no_results_says_so_and_draws_nothing(fixture_dir):
    database = db.open_database(fixture_dir, "fixture-v1")
    provenance = export.Provenance("Fixture", "v1", DAY, "Nothing")
    spec = catalog.chart("trainees_by_theme")
    empty = export.chart_data(database, spec, Filters(), export.filter_choices(database)).iloc[0:0]
    the_deck = deck.Deck("Empty", (deck.Slide("trainees_by_theme"),))
    data = deck_writers.build(the_deck, [deck.PreparedSlide(the_deck.slides[0], empty)], provenance, "html")
    root = parse(data.decode("utf-8"))
    page = sections(root)[1]
    assert page.one(css_class="empty").text() == "No results for these filters."
    assert not page.all(css_class="chart") and not page.all(css_class="key")
    assert not [n for n in root.all("script") if n.attrs.get("id", "").startswith("figure-")]


def test_unknown_deck_format_names_the_ones_there_are():
    with pytest.raises(ValueError, match="pptx, pdf, html"):
        deck_writers.build(deck.Deck("x"), [], export.Provenance("s", "v", DAY, "f"), "odp")


# ---- text from data is text ----------------------------------------------------------------

def test_script_json_cannot_close_its_element():
    import plotly.graph_objects as go

    text = html_deck.script_json({"title": MALICIOUS, "and": "a & b", "sep": "\u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"title": MALICIOUS, "and": "a & b", "sep": "\u2028"}
    # a figure holding raw markup (the chart builders escape theirs; this one does not) stays inside its block
    fig = go.Figure(go.Bar(x=[MALICIOUS], y=[1], name=MALICIOUS))
    root = parse(html_deck.page("x", ['<section class="slide"><div class="chart" data-figure="figure-2"></div>'
                                      '</section>'], {2: fig}))
    assert not root.all("img")
    block = next(n for n in root.all("script") if n.attrs.get("id") == "figure-2")
    assert json.loads(block.text())["data"][0]["name"] == MALICIOUS


def test_hostile_titles_names_and_notes_are_escaped(fixture_dir, independent, tmp_path):
    hostile = tmp_path / "hostile"
    shutil.copytree(fixture_dir, hostile)
    top = independent.scalar("select iso3 from training group by 1 order by sum(trainees) desc, 1 limit 1")
    countries = pd.read_parquet(hostile / "countries.parquet")
    countries.loc[countries["iso3"] == top, "name"] = MALICIOUS
    countries.to_parquet(hostile / "countries.parquet", index=False)
    the_deck = deck.Deck(MALICIOUS, (deck.Slide("trainees_by_country", title=MALICIOUS, note=MALICIOUS),))
    data, provenance, slides, _ = _build(hostile, the_deck, Filters(country=(top,)))
    assert MALICIOUS in provenance.filters and MALICIOUS in slides[0].caption  # the payload reaches every part

    text = data.decode("utf-8")
    assert MALICIOUS not in text and "<img" not in text.replace(html_deck.plotly_js(), "")
    root = parse(text)
    assert not root.all("img")
    assert root.one("title").text() == MALICIOUS
    cover, page = sections(root)
    assert cover.one(css_class="slide-title").text() == MALICIOUS
    assert page.one(css_class="slide-title").text() == MALICIOUS
    assert page.one(css_class="filters").text() == provenance.filters
    assert page.one(css_class="caption").text() == slides[0].caption
    assert page.one(css_class="notes").text().startswith(MALICIOUS + "\n")
    scripts = root.all("script")
    assert len(scripts) == 4  # settings, one figure, the deck's script, plotly.js: nothing broke out
    labels = plotly_values(figure(root, page)["data"][0]["y"])
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in labels  # Plotly shows it as text


# ---- the command line and the Present page --------------------------------------------------

def test_cli_writes_the_html_deck(fixture_dir, definition, tmp_path, capsys):
    out = tmp_path / "talk.html"
    phase = definition.phase_names[0]
    assert main(["export", "deck", "--out", str(out), "--filter", f"phase={phase}", "--data", str(fixture_dir)]) == 0
    assert f"wrote {out} (html, {len(deck.default_deck().slides) + 1} slides" in capsys.readouterr().out
    root = parse(out.read_text(encoding="utf-8"))
    pages = sections(root)
    assert len(pages) == len(deck.default_deck().slides) + 1
    assert f"Phase: {phase}" in pages[1].one(css_class="notes").text()
    assert f"Phase: {phase}" in pages[1].one(css_class="filters").text()

    custom = tmp_path / "mine.json"
    deck.save(deck.Deck("Mine", (deck.Slide("trainees_by_theme", title="Themes"),)), custom)
    mine = tmp_path / "mine.HTML"
    assert main(["export", "deck", "--deck", str(custom), "--out", str(mine), "--data", str(fixture_dir)]) == 0
    assert [p.one(css_class="slide-title").text() for p in sections(parse(mine.read_text(encoding="utf-8")))] \
        == ["Mine", "Themes"]


def test_python_m_impact_writes_the_programmes_own_default_deck(fixture_dir, definition, tmp_path):
    out = tmp_path / "x.html"
    run = subprocess.run([sys.executable, "-m", "impact", "export", "deck", "--out", str(out), "--data", str(fixture_dir)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert (ROOT / "decks" / f"{definition.id}.json").is_file()  # the programme has a deck of its own...
    own = deck.load(ROOT / "decks" / f"{definition.id}.json")
    titles = [p.one(css_class="slide-title").text() for p in sections(parse(out.read_text(encoding="utf-8")))]
    assert titles == [own.name, *(s.heading for s in own.slides)]  # ...and the command line uses it
    assert own.name != deck.load(deck.DEFAULT_DECK).name


def test_present_page_builds_and_offers_the_html_deck(app_data):
    at = make_app("pages/present.py")
    labels = [b.label for b in at.button if b.key and b.key.startswith("deck_build_")]
    assert labels == ["Build PowerPoint", "Build PDF", "Build HTML"]
    assert not [d for d in at.get("download_button") if d.label.endswith(".html")]
    at.button(key="deck_build_html").click().run()
    assert not at.exception, [e.value for e in at.exception]
    offered = [d for d in at.get("download_button") if d.label.startswith("Download ")]
    assert [d.label for d in offered] == ["Download hps_impact.html"]
    assert offered[0].proto.url.endswith(".html")  # the media file's type is text/html
