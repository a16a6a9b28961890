"""The static site: each programme's active version baked into plain files that work from `file://`.

`build(out, ...)` writes, from the existing named queries and chart builders:

    index.html                       the programmes published, and the portfolio
    assets/                          plotly.js, the world outlines, the stylesheet and script, each once and
                                     content-hashed (cache them for ever)
    <programme>/index.html           headline figures with how each is counted, outcome indicators, the published
                                     reference figures, the trend, the map, top themes and countries
    <programme>/results.html         the programme's targets: each judged in a sentence, with its milestone chart
    <programme>/countries/<ISO3>.html, <programme>/projects/index.html and <ID>.html (public fields only)
    <programme>/charts/<chart>.html  a chart's permalink, with embed/<chart>.html, .csv, .json, .oembed.json, .svg
    portfolio/index.html             the programmes side by side (money never added across currencies)
    fr/, pt/, es/                    the same pages in each other language chosen (English at the root), each page
                                     linking to itself in the others (`hreflang`); the assets shared at the root

The suppression plan (which counts are hidden) is computed once per programme and followed by every language; every
named query a page asks runs once per build (`_Programme.query`, two at a time where many are known ahead), and an SVG
is drawn once for the figures that are the same in several languages, by a Chromium of the build's own while the
pages are written (`charts.Drawer`).

Every page carries a Content-Security-Policy that lets it load only the site's own files, and reads without
JavaScript: the figure as a pre-rendered SVG and its numbers as a table. Text from data goes through Jinja2 with
autoescape; counts below the definition's `publish.suppress_below` are "fewer than N" and in no file.
"""

from __future__ import annotations

import concurrent.futures
import csv
import datetime as dt
import hashlib
import io
import json
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import jinja2
import numpy
import pandas as pd

from impact.charts import catalog, export, html_deck, theme
from impact.model import calendar, cells, i18n, metrics
from impact.model import programme as programmes
from impact.model.i18n import gettext as _
from impact.model.metrics import format_value, metric
from impact.publish import charts, compress, suppress
from impact.query import db, explore, indicators, portfolio, results
from impact.query.filters import Filters
from impact.storage import store

HEADLINES = ("trainees", "women_trained", "countries_trained", "projects", "institutions", "volunteer_days_overseas",
             "volunteer_days_uk", "countries_active")
COUNTRY_HEADLINES = ("trainees", "women_trained", "projects", "volunteer_days_overseas")
HOME_CHARTS = ("trainees_trend", "trainees_map", "trainees_by_theme", "trainees_by_country")
# The home charts drawn for one place too, which a link with the app's `country=ISO3` or `region=NAME` opens: chart id
# -> (the suffix of a country's chart, drawn on the country's page; of a region's, drawn beside the programme's). None:
# no such chart — a country's top countries would be one bar. A region's themes are its countries' themes added up,
# each a cell of the suppression plan (in every year too), so no region's theme less its countries' gives one away.
PLACE_CHARTS = {"trainees_trend": ("trend", "trend"), "trainees_by_theme": ("themes", "themes"),
                "trainees_by_country": (None, "countries")}
PORTFOLIO_HEADLINES = ("trainees", "volunteer_days_overseas", "projects")
# The queries that give the home page's headline figures for every place at once (grouped by region or country),
# as the explorer computes them: the figures a reader's choice of years and place shows, precomputed per choice.
FILTER_QUERIES = ("training_by_dimension", "volunteering_by_dimension", "projects_by_dimension",
                  "institutions_by_dimension")
# Nothing but the site's own files: scripts and styles from the site (styles Plotly writes inline), images from it.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; connect-src 'none'; base-uri 'none'; form-action 'none'")
_HERE = Path(__file__).resolve().parent
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")

Progress = Callable[[str], None]


@dataclass
class Built:
    """What `build` wrote: the programmes, how many pages and charts, the site's size and the time it took."""

    out: Path
    programmes: list[str]
    pages: int = 0
    charts: int = 0
    svgs: int = 0
    bytes: int = 0
    seconds: float = 0.0
    suppressed: int = 0
    gzipped: int = 0  # the `.gz` copies written beside the text files (impact.publish.compress); not in `bytes`
    # Per programme: id, name, the data version published, its licence and small-cell threshold (the definition's).
    facts: list[dict] = field(default_factory=list)
    languages: list[str] = field(default_factory=lambda: [i18n.SOURCE])  # the trees written, English first


def tree(language: str) -> str:
    """The folder of a language's pages, from the site's root: "" for English (the root), "fr/" for French."""
    return "" if language == i18n.SOURCE else f"{language}/"


def languages_of(programmes: list) -> list[str]:
    """The languages a site of `programmes` is published in by default: English, and each other shipped language
    (the ones the app offers) that some programme's definition has translations for."""
    return [i18n.SOURCE] + [code for code in i18n.TRANSLATED if any(code in p.translations for p in programmes)]


def chosen_languages(asked: list[str] | str | None, programmes: list) -> list[str]:
    """The languages to publish: `asked` (codes, or "en,fr") with English first — it is the root, which keeps
    every link — else `languages_of(programmes)`. ValueError names a language the product does not ship."""
    if asked is None:
        return languages_of(programmes)
    codes = [c.strip() for part in ([asked] if isinstance(asked, str) else asked) for c in part.split(",")]
    codes = [c for c in codes if c]
    unknown = [c for c in codes if c not in i18n.LANGUAGES]
    if unknown:
        raise ValueError(f"--lang {unknown[0][:16]!r}: the site's languages are {', '.join(i18n.LANGUAGES)}")
    return [i18n.SOURCE] + [c for c in dict.fromkeys(codes) if c != i18n.SOURCE]


@dataclass
class _Site:
    """The build in progress: where it writes, its assets, the template engine and what it has written."""

    out: Path
    assets: dict[str, str]
    env: jinja2.Environment
    published: dt.date
    base_url: str
    svg: bool
    languages: list[str] = field(default_factory=lambda: [i18n.SOURCE])
    language: str = i18n.SOURCE  # the language whose tree is being written
    charts: list[charts.Chart] = field(default_factory=list)
    pages: int = 0
    plans: dict[str, Plan] = field(default_factory=dict)  # each programme's suppression, for the Portfolio page
    frames: dict[tuple, pd.DataFrame] = field(default_factory=dict)  # each chart's query result, for every language
    scripts: dict[tuple, str] = field(default_factory=dict)  # (language, programme folder) -> its filter figures
    drawer: charts.Drawer | None = None  # draws each chart's SVG as soon as its files are written

    @property
    def prefix(self) -> str:
        """The tree being written, from the site's root ("" or "fr/")."""
        return tree(self.language)

    @property
    def tree(self) -> Path:
        """The folder of the tree being written."""
        return self.out / self.prefix

    @property
    def up(self) -> str:
        """From the tree being written to the site's root, where the shared assets are ("" or "../")."""
        return "../" * self.prefix.count("/")

    def alternates(self, path: str) -> list[dict]:
        """The page at `path` (from its tree) in every language of the site: code, name, link, current."""
        back = "../" * path.count("/") + self.up
        return [{"code": code, "name": i18n.LANGUAGES[code], "current": code == self.language,
                 "href": (f"{self.base_url.rstrip('/')}/" if self.base_url else back) + tree(code) + path}
                for code in self.languages]

    def page(self, template: str, path: str, **context) -> None:
        """Render `template` into the tree being written at `path` (from the tree's root)."""
        target = self.tree / path
        target.parent.mkdir(parents=True, exist_ok=True)
        words = i18n.active()
        html = self.env.get_template(template).render(
            root="../" * path.count("/"), page=path, assets={k: self.up + v for k, v in self.assets.items()},
            csp=CSP, lang=self.language, direction=words.direction, languages=self.alternates(path),
            published_day=words.date(self.published, "long"), **context)
        target.write_text(html, encoding="utf-8")
        self.pages += 1

    def fetch(self, part: _Programme, spec: catalog.ChartSpec, slug: str, params: dict,
              options: dict | None) -> pd.DataFrame:
        """A chart's query result, read once for all the site's languages (the words are put on its rows later)."""
        key = (part.folder, slug)
        if key not in self.frames:
            self.frames[key] = spec.fetch(part.database, params, options)
        return self.frames[key]


def safe_name(text: str) -> str:
    """A file name for an id from the data: the id itself when it is plain, else a stable hash of it."""
    plain = _SAFE_NAME.fullmatch(text) and text.lower() != "index" and not text.startswith("id-")  # index.html is ours
    return text if plain else "id-" + hashlib.sha256(text.encode()).hexdigest()[:16]


def build(out: str | Path, *, data_dir: str | Path | None = None, programmes: list[str] | None = None,
          base_url: str = "", svg: bool = True, today: dt.date | None = None,
          progress: Progress | None = None, languages: list[str] | str | None = (i18n.SOURCE,)) -> Built:
    """Write the public site of `programmes` (default: every programme in the store) into the folder `out`, in
    `languages` (English at the root, each other in its folder; None: `languages_of` the programmes, as the
    command and the Data page publish).

    ValueError names a programme the store does not hold, or an `out` that is a file or a folder holding
    something other than a site this command wrote (it is replaced whole, never merged)."""
    started = time.perf_counter()
    say = progress or (lambda what: None)
    known = store.programmes(data_dir)
    chosen = list(dict.fromkeys(programmes)) if programmes else list(known)
    unknown = [p for p in chosen if p not in known]
    if unknown:
        raise ValueError(f"--programme {unknown[0]!r}: the store holds {', '.join(known) or 'no programme'}")
    if not chosen:
        raise ValueError("the store holds no programme to publish")
    if base_url and not re.fullmatch(r"https?://[^\s\"'<>]+", base_url):
        raise ValueError(f"--base-url {base_url[:60]!r}: give the address the site will be served from, "
                         "e.g. https://example.org/impact")
    final = _checked_out(Path(out).resolve())
    databases = [db.open_active(store.open_store(data_dir, pid)) for pid in chosen]
    wanted = chosen_languages(list(languages) if isinstance(languages, tuple) else languages,
                              [d.programme for d in databases])
    # Built beside `out` and swapped in when complete: a build that fails leaves the site published before as it was.
    target = final.with_name(f".{final.name}.publishing")
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    try:
        built = _build(target, databases, base_url, svg, today, say, wanted)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    (target / MARKER).write_text("A site written by python -m impact publish; publishing again replaces it.\n",
                                 encoding="utf-8")
    _swap(target, final)
    built.out = final
    built.programmes = chosen
    built.seconds = time.perf_counter() - started
    built.facts = [{"programme": d.programme.id, "name": d.programme.name, "version": d.version,
                    "licence": d.programme.publish.licence or "", "suppress_below": d.programme.publish.suppress_below}
                   for d in databases]
    return built


def install(built: str | Path, out: str | Path) -> Path:
    """Copy the site built in the folder `built` into `out`, replacing a site written there before whole once the
    copy is complete (ValueError, as `build`, for a file or a folder holding anything else)."""
    source = Path(built).resolve()
    if not (source / MARKER).is_file():
        raise ValueError(f"{str(source)!r} holds no site written by python -m impact publish")
    final = _checked_out(Path(out).resolve())
    target = final.with_name(f".{final.name}.publishing")
    shutil.rmtree(target, ignore_errors=True)
    try:
        shutil.copytree(source, target)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    _swap(target, final)
    return final


def _swap(target: Path, final: Path) -> None:
    """The complete site in `target` takes the place of `final` (the site there before, if any)."""
    if final.exists():
        shutil.rmtree(final)
    target.rename(final)


def _build(target: Path, databases: list[db.Database], base_url: str, svg: bool, today: dt.date | None,
           say: Progress, languages: list[str]) -> Built:
    """Every page and file of the site into the empty folder `target`: each language's tree, the assets once."""
    theme.register()
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(_HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=False, extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=False)  # the words of the active language
    site = _Site(target, _assets(target), env, today or dt.date.today(), base_url, svg, languages)
    parts = []
    # Chromium starts while the figures are read, and draws each chart's SVG while the next pages are written.
    drawer = site.drawer = charts.Drawer(target) if svg else None
    try:
        for database in databases:
            say(f"{database.programme.id}: figures and their suppression")
            with metrics.using(database.programme):
                parts.append(_programme(site, database))
        for language in languages:
            site.language = language
            with i18n.using(language):
                for part, countries in parts:
                    say(f"{part.id}: pages and charts ({language})")
                    with metrics.using(part.programme):
                        _programme_pages(site, part, countries)
                say(f"portfolio ({language})")
                _portfolio(site, databases)
                _index(site, databases)
        # The pages' .gz copies written while Chromium draws the last SVGs (zlib on this core, Chromium on the other).
        say("compressing the text files (.gz beside each, for servers that send them as they are)")
        gzipped = compress.precompress(target, compress.TEXT - {".svg"})
    except BaseException:
        if drawer is not None:
            drawer.stop()
        raise
    svgs = 0
    if drawer is not None:
        say(f"drawing the SVGs of {sum(c.has_svg for c in site.charts)} charts")
        svgs = drawer.finish()
        gzipped += compress.precompress(target, {".svg"})
    size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file() and not compress.is_copy(p))
    source = [c for c in site.charts if not c.tree]  # one language's charts: the others are the same charts
    return Built(target, [d.programme.id for d in databases], pages=site.pages, charts=len(source), svgs=svgs,
                 bytes=size, suppressed=sum(c.suppressed for c in source), languages=list(languages), gzipped=gzipped)


MARKER = ".impact-site"


def _checked_out(out: Path) -> Path:
    """`out` if a site may be written there: a new folder, an empty one, or a site written before (replaced whole
    once the new one is complete); ValueError for a file or a folder holding anything else."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} is a file; give a folder for the site")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise ValueError(f"--out {str(out)!r} holds files that are not a site written by this command; "
                         "give an empty or new folder")
    return out


def _hashed(out: Path, name: str, data: bytes) -> str:
    stem, _, suffix = name.partition(".")
    path = f"assets/{stem}.{hashlib.sha256(data).hexdigest()[:12]}.{suffix}"
    (out / path).parent.mkdir(parents=True, exist_ok=True)
    (out / path).write_bytes(data)
    return path


def _assets(out: Path) -> dict[str, str]:
    """Copy plotly.js, the world outlines, the stylesheet and the script into `assets/`, content-hashed."""
    import plotly

    plotly_js = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()
    outlines = ("window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};\n"
                f"window.PlotlyGeoAssets.topojson[{json.dumps(html_deck.WORLD)}] = "
                f"{html_deck.world_outlines()};\n")
    colours = {k: theme.COLORS[k] for k in ("primary", "text", "muted", "grid", "background", "surface")}
    variables = "".join(f"--{k}:{v};" for k, v in colours.items()) + f"--font:{theme.FONT};"
    css = f":root{{{variables}}}\n" + (_HERE / "assets" / "site.css").read_text(encoding="utf-8")
    return {"plotly": _hashed(out, "plotly.min.js", plotly_js),
            "world": _hashed(out, f"{html_deck.WORLD}.js", outlines.encode("utf-8")),
            "css": _hashed(out, "site.css", css.encode("utf-8")),
            "js": _hashed(out, "site.js", (_HERE / "assets" / "site.js").read_bytes())}


# ---- one programme ------------------------------------------------------------------------------------------

TOTAL = "total"  # the column of a place's figures over every year (beside its years)


@dataclass(frozen=True)
class Plan:
    """A programme's counts by place and calendar year, and which of them the site suppresses.

    `found`: {"<first>-<last>": {place key: {metric: value}}} for every range of years (see `filter_figures`);
    `hidden`: {metric: {(place key, year or TOTAL)}}, the small cells and their complements
    (`suppress.complementary` over each place's years and total, each region's countries and the regions of the
    whole programme, for every year and the total), for the metrics that count people or days; and the other counts
    the site publishes, in the same sets (see `_details`): themes, projects, projects' actuals against targets."""

    years: list[int]
    found: dict[str, dict[str, dict]]
    hidden: dict[str, set]
    # The trainees by place, theme and year ({place key: {theme: {year: count}}}, "" the programme's) and the
    # projects trained in each ({place key: {theme: {project id: [years]}}}): the themes chart's period range.
    themes: dict[str, dict[str, dict[int, float]]] = field(default_factory=dict)
    theme_projects: dict[str, dict[str, dict[str, list[int]]]] = field(default_factory=dict)

    def figure(self, a: int, b: int, place: str, key: str) -> float | None:
        value = self.found[f"{a}-{b}"].get(place, {}).get(key)
        return None if value is None or pd.isna(value) else float(value)

    def hides(self, key: str, place: str, column) -> bool:
        """Whether the cell (`place`, `column`) of `key` is suppressed (a small count or a complement)."""
        return (place, column) in self.hidden.get(key, ())

    def hidden_years(self, key: str, place: str) -> list[int]:
        return [y for y in self.years if (place, y) in self.hidden.get(key, ())]

    def total_hidden(self, key: str, place: str) -> bool:
        return (place, TOTAL) in self.hidden.get(key, ())

    def theme_hidden_years(self, place: str, theme: str) -> list[int]:
        """The years of a place's theme the plan suppresses (trainees)."""
        return [y for y in self.years if (place, (f"{THEME}{theme}", y)) in self.hidden.get("trainees", ())]

    def range_hidden(self, key: str, place: str, a: int, b: int) -> bool:
        """Whether the range [a, b] of a place is suppressed: it holds some of the place's suppressed years but not
        all of them, or all of them and the total is suppressed (a range holding all of them says no more than the
        total: their sum)."""
        inside = [y for y in self.hidden_years(key, place) if a <= y <= b]
        if not inside:
            return False
        return len(inside) < len(self.hidden_years(key, place)) or self.total_hidden(key, place)


def _plan(part: _Programme, regions_of: dict[str, str]) -> Plan:
    """Read the home page's figures for every range of years and place, and plan their suppression."""
    choices = part.choices
    first, last = choices.first_period, choices.last_period
    years = list(range(first.year, last.year + 1))
    keys = [k for k in HEADLINES if metrics.is_metric(k)]
    found: dict[str, dict[str, dict]] = {}
    windows = {(a, b): Filters(period_from=max(first, calendar.year_quarters(a)[0]),
                               period_to=min(last, calendar.year_quarters(b)[1])).params(choices)
               for a in years for b in years[years.index(a):]}
    part.ask([(name, {**params, **explore.totals_params(grouping)}) for params in windows.values()
              for grouping in ("region", "country") for name in FILTER_QUERIES] +
             [(name, params) for params in windows.values() for name in ("headline_totals", "indicator_totals")])
    for a in years:
        for b in years[years.index(a):]:
            params = windows[(a, b)]
            span = found[f"{a}-{b}"] = {"": dict(headline_totals(part.database, params, part.query))}  # the app's tiles' query
            for grouping, prefix in (("region", "region:"), ("country", "country:")):
                for name in FILTER_QUERIES:
                    frame = part.query(name, {**params, **explore.totals_params(grouping)})
                    for row in frame.to_dict("records"):
                        place = prefix + str(row["category"])  # a group is its code: a country's ISO-3
                        span.setdefault(place, {}).update({k: row[k] for k in keys if k in row})
    plan = Plan(years, found, {})
    places = list(dict.fromkeys(p for span in found.values() for p in span))
    regions = [p for p in places if p.startswith("region:")]
    members = {r: [p for p in places if p.startswith("country:") and f"region:{regions_of.get(p[8:], '')}" == r]
               for r in regions}
    columns = [*years, TOTAL]
    groups = [((place, TOTAL), [(place, y) for y in years]) for place in places]
    for column in columns:
        groups.append((("", column), [(r, column) for r in regions]))
        groups += [((r, column), [(c, column) for c in members[r]]) for r in regions]
    values: dict[str, dict] = {}
    for key in keys:
        if suppress.counted(key):
            values[key] = {(place, column): plan.figure(years[0], years[-1], place, key) if column == TOTAL
                           else plan.figure(column, column, place, key) for place in places for column in columns}
    more_values, more_groups = _details(part, plan, places, regions_of)
    for key, cells_of in more_values.items():
        values.setdefault(key, {}).update(cells_of)
    seeds: dict[str, set] = {key: set() for key in values}
    while True:
        for key, figures in values.items():
            plan.hidden[key] = suppress.complementary(figures, (groups if key in keys else []) +
                                                      more_groups.get(key, []), part.threshold, seeds[key])
        grown = _both_places(plan, values, more_groups, part.threshold)
        if not grown:
            break
        for key, cell in grown:
            seeds[key].add(cell)
    _audit(part, plan, values, regions_of)
    return plan


PROJECT, THEME, ACTUAL = "project:", "theme:", "actual"
# The total of a group of a place's themes by year (a theme's years, a year's themes, the regions' theme in a year)
# for `suppress.complementary`: no cell, so a group with one suppressed suppresses another of its parts, never a
# total whose suppression would spread to other tables (the places' years, themes and projects); `suppress.audit`
# then finds what these groups leave.
LEAF = "leaf"
# A project's volunteer days as its page shows them: overseas and at home added up (the places' figures apart).
VOLUNTEER_DAYS, PLACES_DAYS = "volunteer_days", ("volunteer_days_overseas", "volunteer_days_uk")


def _themes(part: _Programme, plan: Plan, regions_of: dict[str, str]) -> None:
    """The trainees by place, theme and calendar year, and the projects trained in each, into `plan` (see `Plan`):
    one query (each country's, theme's, project's quarters), added up to the regions and the programme, as the
    app's themes chart adds them for a place and a range of years."""
    frame = part.query("trainees_by_place_theme_quarter", Filters().params(part.choices))
    for iso3, subject, project, quarter, trainees in frame.itertuples(index=False):
        year = int(str(quarter)[:4])
        count = 0.0 if trainees is None or pd.isna(trainees) else float(trainees)
        region = regions_of.get(iso3)
        for place in ("", f"country:{iso3}", *([f"region:{region}"] if region else [])):
            figures = plan.themes.setdefault(place, {}).setdefault(str(subject), {})
            figures[year] = figures.get(year, 0.0) + count
            active = plan.theme_projects.setdefault(place, {}).setdefault(str(subject), {}).setdefault(str(project), [])
            if year not in active:
                active.append(year)


def _details(part: _Programme, plan: Plan, places: list[str],
             regions_of: dict[str, str]) -> tuple[dict[str, dict], dict[str, list]]:
    """The other counts the site publishes, as cells of the plan (see `Plan`) and the totals they add up to:

    - the trainees of each theme, the programme's, each region's and each country's (`(place, "theme:<theme>")`),
      and the programme's and each region's in each year (`(place, ("theme:<theme>", year))`, the themes chart's
      period range): a place's themes add up to its total, each country's to its region's theme and each region's
      and each country's to the programme's; the years of a theme, the themes of a year and the regions' theme in
      a year are grouped with no total (`LEAF`), so their complements are theme-years, never a place's other cells;
    - each project's public counts (`("project:<id>", TOTAL)`): a country's projects add up to its total and,
      theme by theme, to its theme; a project's volunteer days (both places') to the sum of the country's
      overseas and home totals (a cell of its own, see `_both_places`);
    - each project's actual against a target of a counted indicator (`("project:<id>", "actual")`), which add up
      to no more than the programme's total of it (the headline tile)."""
    database, choices, threshold = part.database, part.choices, part.threshold
    values: dict[str, dict] = {}
    groups: dict[str, list] = {}
    if threshold <= 1:
        return values, groups
    everything = Filters().params(choices)
    countries = [p for p in places if p.startswith("country:")]
    regions = [p for p in places if p.startswith("region:")]
    members = {r: [c for c in countries if f"region:{regions_of.get(c[len('country:'):], '')}" == r] for r in regions}
    _themes(part, plan, regions_of)
    themes = {place: {f"{THEME}{theme}": sum(by_year.values()) for theme, by_year in of_place.items()
                      if sum(by_year.values())} for place, of_place in plan.themes.items()}
    trained = values.setdefault("trainees", {})
    groups["trainees"] = []
    for place, of_place in plan.themes.items():
        trained.update({(place, column): figure for column, figure in themes[place].items()})
        by_year: dict[int, list] = {}
        for subject, figures in of_place.items() if not place.startswith("country:") else ():
            cells_of = [(place, (f"{THEME}{subject}", y)) for y, v in sorted(figures.items()) if v]
            trained.update({cell: figures[cell[1][1]] for cell in cells_of})
            groups["trainees"].append(((LEAF, place, subject), cells_of))
            for cell in cells_of:
                by_year.setdefault(cell[1][1], []).append(cell)
        groups["trainees"] += [((LEAF, place, y), cells_of) for y, cells_of in sorted(by_year.items())]
    for column in sorted({cell[1] for cell in trained if isinstance(cell[1], tuple)}):
        groups["trainees"].append(((LEAF, column), [(r, column) for r in regions]))
    names = sorted({column for figures in themes.values() for column in figures})
    groups["trainees"] += [((place, TOTAL), [(place, column) for column in themes[place]]) for place in themes]
    for column in names:
        groups["trainees"] += [(("", column), [(c, column) for c in countries]),
                               (("", column), [(r, column) for r in regions])]
        groups["trainees"] += [((r, column), [(c, column) for c in members[r]]) for r in regions]
    public = part.programme.publish.project_fields
    listed = part.query("projects_list", {**everything, "search": "", "row_limit": None})
    iso3_of = {name: iso3 for iso3, name in choices.countries.items()}
    for key in ("trainees", "women_trained", VOLUNTEER_DAYS):
        if key not in public or key not in listed.columns or not suppress.counted(key):
            continue
        figures = values.setdefault(key, {})
        mine: dict[str, list] = {}
        by_theme: dict[tuple, list] = {}
        for row in listed.to_dict("records"):
            cell = (f"{PROJECT}{row['project_id']}", TOTAL)
            figures[cell] = row[key]
            place = f"country:{iso3_of.get(row['country'], '')}"
            mine.setdefault(place, []).append(cell)
            by_theme.setdefault((place, f"{THEME}{row['theme']}"), []).append(cell)
        if key == VOLUNTEER_DAYS:  # each country's overseas and home days added up: a total of its own
            for place in mine:
                figures[(place, TOTAL)] = sum(plan.figure(plan.years[0], plan.years[-1], place, k) or 0.0
                                              for k in PLACES_DAYS)
        groups.setdefault(key, []).extend(((place, TOTAL), cells_of) for place, cells_of in mine.items())
        if key == "trainees":
            groups[key] += [(place_theme, cells_of) for place_theme, cells_of in by_theme.items()]
            groups[key] += [(("", column), [c for (p, t), cs in by_theme.items() if t == column for c in cs])
                            for column in names]
    day = results.programme_picture(database).latest
    judged = results.project_progress(database, everything, day)
    totals = headline_totals(database, everything, part.query)
    for key, rows in judged.groupby("metric"):
        if not suppress.counted(key):
            continue
        figures = values.setdefault(key, {})
        cells_of = []
        for row in rows.to_dict("records"):
            cell = (f"{PROJECT}{row['project_id']}", ACTUAL)
            figures[cell] = row["actual"]
            cells_of.append(cell)
        figures.setdefault(("", TOTAL), totals.get(key))
        groups.setdefault(key, []).append((("", TOTAL), cells_of))
    return values, groups


def _audit(part: _Programme, plan: Plan, values: dict[str, dict], regions_of: dict[str, str]) -> None:
    """What the groups of `_plan` do not see, suppressed too (`suppress.audit`): the trainees' and the volunteer
    days' figures as sums of each project's counts in each part of a year (a year, cut where an actual against a
    target stops), so that no small one is the sum or difference of published ones across the tables (a place's
    years, its themes, its projects, their actuals), and no small range of years of a place either."""
    database, choices, threshold = part.database, part.choices, part.threshold
    if threshold <= 1:
        return
    everything = Filters().params(choices)
    listed = part.query("projects_list", {**everything, "search": "", "row_limit": None})
    iso3_of = {name: iso3 for iso3, name in choices.countries.items()}
    judged = results.project_progress(database, everything, results.programme_picture(database).latest)
    actuals = {(row["project_id"], row["metric"]): row["actual"] for row in judged.to_dict("records")}
    counted = part.query("project_counts_by_quarter", everything)
    systems = [("trainees", ["trainees"]), (VOLUNTEER_DAYS, list(PLACES_DAYS))]
    for project_key, parts in systems:
        keys = [key for key in parts if key in plan.hidden]
        if not keys:
            continue
        atoms, figures = [], []  # (project, key, year, part of the year), and its count
        cuts: dict[str, tuple[str, str] | None] = {}  # each project's last quarter its actual counts
        of_project = {pid: frame for pid, frame in counted.groupby("project_id")}
        for row in listed.to_dict("records"):
            frame = of_project.get(row["project_id"])
            counts = {} if frame is None else {(key, quarter): float(count) for key in parts
                                               for quarter, count in zip(frame["quarter"], frame[key]) if count}
            cut = cuts[row["project_id"]] = _cut(counts, actuals.get((row["project_id"], project_key)))
            pieces: dict[tuple, float] = {}
            for (key, quarter), count in sorted(counts.items()):
                piece = (key, int(quarter[:4]), bool(cut and quarter[:4] == cut[0] and quarter > cut[1]))
                pieces[piece] = pieces.get(piece, 0.0) + count
            for (key, in_year, later_part), count in pieces.items():
                atoms.append((row["project_id"], iso3_of.get(row["country"], ""), row["theme"], key, in_year,
                              later_part))
                figures.append(count)
        if not atoms:
            continue
        project, iso3, theme, key_of, year, later = (numpy.array(c, dtype=object) for c in zip(*atoms))
        year, later = year.astype(int), later.astype(bool)
        region = numpy.array([regions_of.get(c, "") for c in iso3], dtype=object)
        unknown = set()  # actuals that are no running total of the project's counts: never published

        def where(place: str, key: str | None, a: int = 0, b: int = 9999) -> numpy.ndarray:
            keep = (year >= a) & (year <= b)
            if key is not None:
                keep &= key_of == key
            if place.startswith("region:"):
                keep &= region == place[len("region:"):]
            elif place.startswith("country:"):
                keep &= iso3 == place[len("country:"):]
            return keep

        rows, targets = {}, []
        counts_of = numpy.asarray(figures, dtype=float)
        for key in keys:
            for place, column in values[key]:
                if place.startswith(PROJECT):
                    continue
                if column == TOTAL:
                    rows[(key, (place, column))] = where(place, key).astype(float)
                elif isinstance(column, int):
                    rows[(key, (place, column))] = where(place, key, column, column).astype(float)
                elif isinstance(column, tuple):  # a place's theme in a year
                    name, y = column
                    rows[(key, (place, column))] = (where(place, key, y, y) & (theme == name[len(THEME):])) \
                        .astype(float)
                elif str(column).startswith(THEME):
                    rows[(key, (place, column))] = (where(place, key) & (theme == column[len(THEME):])).astype(float)
            for place in dict.fromkeys(place for place, _column in values[key] if not place.startswith(PROJECT)):
                targets += [where(place, key, a, b).astype(float) for a in plan.years for b in plan.years if b > a]
            # A place's theme over a range of years (the themes chart's period range): the small ones only.
            of_theme = {name[len(THEME):] for _place, column in values[key] if isinstance(column, tuple)
                        for name in column[:1]}
            for place in dict.fromkeys(p for p, column in values[key] if isinstance(column, tuple)):
                for name in sorted(of_theme):
                    mine = where(place, key) & (theme == name)
                    if not mine.any():
                        continue
                    for a in plan.years:
                        for b in plan.years:
                            if b > a:
                                row = mine & (year >= a) & (year <= b)
                                if 0 < float(row @ counts_of) < threshold:
                                    targets.append(row.astype(float))
        for cell in values.get(project_key, {}):
            name, column = cell
            if not name.startswith(PROJECT):
                continue
            mine = project == name[len(PROJECT):]
            if column == TOTAL:
                rows[(project_key, cell)] = mine.astype(float)
            elif column == ACTUAL:
                cut = cuts.get(name[len(PROJECT):])
                if cut is None:
                    unknown.add((project_key, cell))
                    continue
                last = int(cut[0])
                rows[(project_key, cell)] = (mine & ((year < last) | ((year == last) & ~later))).astype(float)
        hidden = {(key, cell) for key in [*keys, project_key] for cell in plan.hidden.get(key, ())} | unknown
        finest = {cell for cell in rows if isinstance(cell[1][1], tuple)}  # a place's theme in a year
        hidden = suppress.audit(rows, numpy.array(figures), hidden, threshold, targets, blocks=region,
                                prefer=finest)
        for key, cell in hidden:
            plan.hidden.setdefault(key, set()).add(cell)


def _cut(counts: dict[tuple[str, str], float], actual) -> tuple[str, str] | None:
    """The (year, quarter) of a project's `counts` ({(metric, "2014Q3"): count}) up to which they add up to its
    `actual` against a target; None when no running total is it."""
    if actual is None or pd.isna(actual):
        return None
    running = 0.0
    by_quarter: dict[str, float] = {}
    for (_metric, quarter), count in counts.items():
        by_quarter[quarter] = by_quarter.get(quarter, 0.0) + count
    for quarter in sorted(by_quarter):
        running += by_quarter[quarter]
        if abs(running - float(actual)) < 1e-9:
            return quarter[:4], quarter
    return None if actual else ("0000", "0000Q0")


def _both_places(plan: Plan, values: dict, groups: dict, threshold: int) -> list[tuple[str, tuple]]:
    """The places' totals of volunteer days (overseas or at home) to suppress more, so that no project's volunteer
    days (both places') is its country's two totals less its other projects': [(metric, cell)], empty when none.

    A country's days of both places is suppressed when either of its totals is; when the projects' complements need
    it suppressed and neither is, its larger is suppressed (and the plan computed again)."""
    if VOLUNTEER_DAYS not in groups:
        return []
    figures = values[VOLUNTEER_DAYS]
    countries = {total for total, _ in groups[VOLUNTEER_DAYS]}
    out = {cell for cell in countries if any(cell in plan.hidden.get(k, ()) for k in PLACES_DAYS)}
    plan.hidden[VOLUNTEER_DAYS] = suppress.complementary(figures, groups[VOLUNTEER_DAYS], threshold, out)
    grown = []
    for cell in sorted(countries & plan.hidden[VOLUNTEER_DAYS] - out):
        both = {k: values.get(k, {}).get(cell) or 0.0 for k in PLACES_DAYS}
        grown.append((max(both, key=both.get), cell))
    return grown


ASKERS = 2  # the machine's cores, the bar's (more gained nothing measurable)


def _question(name: str, params: dict) -> tuple:
    """A named query and its parameters as a key (each value by its repr: a date is not its text)."""
    return name, tuple(sorted((k, repr(v)) for k, v in params.items()))


@dataclass(frozen=True)
class _Programme:
    """One programme's part of the site: its folder, context, filter choices and navigation."""

    id: str
    folder: str
    database: db.Database
    context: charts.Context
    choices: object
    plan: Plan | None = None  # which counts by place and year are suppressed (set once the figures are read)
    # Each named query's result under its parameters, read once for the whole build: the figures, the plan and every
    # language's pages ask the same questions (a project's fields, a country's totals) and get the same answer.
    answers: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def programme(self):
        return self.database.programme

    def query(self, name: str, params: dict) -> pd.DataFrame:
        """`db.run_query` of the programme's active version, each question asked once per build (a copy each time:
        the caller may change it)."""
        key = _question(name, params)
        if key not in self.answers:
            self.answers[key] = db.run_query(self.database, name, params)
        return self.answers[key].copy()

    def ask(self, questions: list[tuple[str, dict]]) -> None:
        """Ask the named queries `questions` ((name, params)) before they are needed, ASKERS at a time: DuckDB
        answers each outside the GIL, so while one waits for its answer another is read, planned or converted."""
        todo = list({_question(n, p): (n, p) for n, p in questions if _question(n, p) not in self.answers}.items())
        with concurrent.futures.ThreadPoolExecutor(max_workers=ASKERS, thread_name_prefix="query") as pool:
            answers = pool.map(lambda question: db.run_query(self.database, *question[1]), todo)
            for (key, _asked), frame in zip(todo, answers):
                self.answers[key] = frame

    @property
    def threshold(self) -> int:
        return self.programme.publish.suppress_below

    @property
    def short_name(self) -> str:
        return self.programme.short_name_in()

    def nav(self, current: str) -> list[dict]:
        links = [(_("Home"), f"{self.folder}/index.html"),
                 (_("Results against targets"), f"{self.folder}/results.html"),
                 (_("Projects"), f"{self.folder}/projects/index.html"), (_("Portfolio"), "portfolio/index.html")]
        return [{"text": _("{programme}: {page}").format(programme=self.short_name, page=text) if n == 0 else text,
                 "href": href,
                 "current": href == current} for n, (text, href) in enumerate(links)]

    def footer(self) -> list[str]:
        c = self.context
        lines = [_("Source: {source} · Data version {version} · Published {day}").format(
                     source=c.source, version=c.version, day=i18n.active().date(c.published, "long")),
                 _("Licence: {licence}").format(licence=c.licence_text)]
        if self.threshold > 1:
            lines.append(_("Small numbers: counts of people or days below {n} are shown as \u201c{fewer}\u201d and "
                           "left out of every download.").format(n=i18n.active().number(self.threshold),
                                                                 fewer=charts.fewer(self.threshold)))
        return lines

    def common(self, path: str, title: str) -> dict:
        return {"page_title": f"{title} · {self.short_name}", "nav": self.nav(path), "footer": self.footer(),
                "programme": self.programme, "programme_name": self.programme.name_in(), "embed": False, "oembed": "",
                "live": True, "maps": False}


def _programme(site: _Site, database: db.Database) -> tuple[_Programme, pd.DataFrame]:
    """A programme's part of the site, with its suppression plan (the same in every language), and its countries."""
    programme = database.programme
    choices = export.filter_choices(database)
    context = charts.Context(source=f"{programme.name}, {database.label}", version=database.version,
                             published=site.published, licence=programme.publish.licence,
                             threshold=programme.publish.suppress_below, base_url=site.base_url)
    part = _Programme(programme.id, safe_name(programme.id), database, context, choices)
    everything = Filters().params(choices)
    countries = db.run_query(database, "country_metrics", everything)
    part = replace(part, plan=_plan(part, dict(zip(countries["iso3"], countries["region"]))))
    site.plans[programme.id] = part.plan
    countries = countries[(countries["trainees"] > 0) | (countries["projects"] > 0)].sort_values("country")
    return part, countries


def _programme_pages(site: _Site, part: _Programme, countries: pd.DataFrame) -> None:
    """A programme's pages and files in the active language (its tree)."""
    programme, database = part.programme, part.database
    part = replace(part, context=replace(part.context, source=f"{programme.name_in()}, {database.label}"))
    words = i18n.active()
    named = [(row.iso3, words.country(row.iso3, row.country), row.region) for row in countries.itertuples(index=False)]
    everything = Filters().params(part.choices)
    places = [Filters(country=(iso3,)).params(part.choices) for iso3, *_ in named]  # as `_country` asks
    part.ask([(name, params) for params in places for name in ("headline_totals", "indicator_totals")] +
             [("projects_list", {**params, "search": "", "row_limit": None}) for params in places])
    _home(site, part, everything, countries, {iso3: name for iso3, name, _region in named})
    for iso3, name, region in named:
        _country(site, part, iso3, name, region)
    _projects(site, part)
    _results(site, part, everything)


def _tiles(part: _Programme, totals: pd.Series, keys, *, published: bool = False, place: str = "") -> list[dict]:
    """The headline tiles of `place` (a key of the plan: "" the whole programme, "country:<ISO3>")."""
    out = []
    for key in keys:
        if not metrics.is_metric(key):
            continue
        m = metric(key)
        figure, hidden = suppress.value(key, totals.get(key), part.threshold)
        if not hidden and part.plan is not None and part.plan.total_hidden(key, place):
            figure, hidden = None, True
        reference = part.programme.reference(key) if published else None
        out.append({"key": key, "label": m.label, "how": m.how_counted, "suppressed": hidden,
                    "value": charts.fewer(part.threshold) if hidden else metrics.format_metric(key, figure),
                    "published": (reference.text(format_value(reference.value, m.fmt))
                                  + (f" ({reference.source})" if reference.source else "")) if reference else ""})
    return out


def headline_totals(database: db.Database, params: dict,
                    query: Callable[[str, dict], pd.DataFrame] | None = None) -> pd.Series:
    """The headline figures under `params`: the structural metrics and the programme's indicators (as the app);
    `query(name, params)` runs a named query (default: `db.run_query` on `database`)."""
    query = query or (lambda name, bound: db.run_query(database, name, bound))
    row = query("headline_totals", params).iloc[0]
    figures = indicators.totals(query("indicator_totals", params), database.programme)
    return pd.concat([row, pd.Series(figures, dtype="float64")])


def _complements(plan: Plan, place: str | None) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """The cells of a chart's rows the plan suppresses: by `year` the place's years (and, in a `cumulative_<metric>`
    column, each running total holding some of its suppressed years but not all), by `iso3` each country's total
    (`place` None), or by `theme` the place's themes (`place` None or "": the programme's)."""
    def hide(rows: pd.DataFrame) -> pd.DataFrame:
        mask = pd.DataFrame(index=rows.index)
        for key, out in plan.hidden.items():
            if key not in rows.columns:
                continue
            if "year" in rows.columns and place is not None:
                mask[key] = [(place, int(y)) in out for y in rows["year"]]
                running = f"cumulative_{key}"
                if running in rows.columns:
                    mask[running] = [plan.range_hidden(key, place, plan.years[0], int(y)) for y in rows["year"]]
            elif "iso3" in rows.columns and place is None:
                mask[key] = [plan.total_hidden(key, f"country:{c}") for c in rows["iso3"]]
            elif "theme" in rows.columns:
                mask[key] = [plan.hides(key, place or "", f"{THEME}{t}") for t in rows["theme"]]
        return mask
    return hide


def _chart(site: _Site, part: _Programme, spec: catalog.ChartSpec, params: dict, slug: str, subtitle: str,
           chosen: dict, back: tuple[str, str], options: dict | None = None,
           places: dict[str, dict[str, str]] | None = None, place: str | None = None,
           plan: bool = False, period: dict | None = None) -> charts.Chart:
    """Fetch, draw and write one chart of a programme, with its permalink and embed pages (`places`: see
    `_chart_pages`); `plan`: with the plan's complementary suppression for `place` (see `_complements`); `period`:
    the permalink page's own period range (see `_period`)."""
    frame = site.fetch(part, spec, slug, params, options)
    chart = charts.build(spec, frame, slug=slug, folder=f"{part.folder}/charts", subtitle=subtitle,
                         threshold=part.threshold, options=options, svg=site.svg, tree=site.prefix,
                         hide=_complements(part.plan, place) if plan and part.plan is not None else None)
    common = part.common(chart.path("page"), chart.title)
    if period is not None:
        common["period"] = {**period, "script": _filters_script(site, part)}
    _chart_pages(site, chart, part.context, chosen, back, common, places)
    return chart


# The charts whose permalink page has a period range of its own (From, To), redrawn in the page from the filter
# figures (`filter_figures`, the figures the home page's filters show, suppressed the same way): a trend (its years
# and running total, of the programme, a region or a country), the top countries (of the programme or a region) and
# the themes (of the programme or a region, with a choice of the place too). A country's themes keep the whole
# period: by year they would be small counts of a project or two, and suppressing them would take the country's
# other figures with them.
PERIOD_CHARTS = {"trainees_trend": "trend", "trainees_by_country": "countries", "trainees_by_theme": "themes"}


def _period(chart_id: str, place: str, key: str = "trainees") -> dict | None:
    """What a chart page's period range redraws: the kind of chart, its place ("", "region:<name>",
    "country:<ISO3>") and the metric (and for the themes, that its table counts the projects, and that the reader
    chooses the place there too: the programme or a region); None for a chart without one."""
    kind = PERIOD_CHARTS.get(chart_id)
    if kind is None:
        return None
    top = catalog.chart(chart_id).top or 0
    out = {"kind": kind, "place": place, "key": key, "top": top}
    if kind == "themes":
        out |= {"projects": True, "places": True}
    return out


def _chart_pages(site: _Site, chart: charts.Chart, context: charts.Context, chosen: dict, back: tuple[str, str],
                 common: dict, places: dict[str, dict[str, str]] | None = None) -> None:
    """The chart's files, permalink and embed pages. `places` ({"country": {ISO3: slug}, "region": {name: slug}})
    names the same chart for one place (in the same folder): the pages carry it, and a link with the app's key
    (`country=ISO3`, `region=NAME`) opens that place's chart."""
    meta = charts.write_files(chart, site.tree, context, chosen)
    site.charts.append(chart)
    if site.drawer is not None:
        site.drawer.add([chart])
    page = chart.path("page")
    shared = {**common, "maps": chart.draws_outlines, "place_charts": places or {}}
    # A page with a period range carries the chart's metadata: the page writes a reader's choice's from it.
    meta_json = html_deck.script_json(meta) if common.get("period") else ""
    site.page("chart.html", page, **{**shared, "oembed": chart.path("oembed").rsplit("/", 1)[-1]},
              meta_json=meta_json,
              c=chart, context=context, back={"text": back[0], "href": back[1]},
              snippet=charts.snippet(chart, context, page))
    site.page("embed.html", chart.path("embed"), **{**shared, "embed": True}, c=chart, context=context)


def filter_figures(part: _Programme) -> dict:
    """The home page's headline figures for every choice a reader can make in the browser: each range of calendar
    years (clipped to the data's first and last quarter) and each place (all, a region, a country), suppressed.

    {"years": [...], "places": [[key, label], ...], "figures": {"<first>-<last>": {place key: {metric: value}}},
    "suppressed": {...same shape, the metrics not shown}, "floors": {...same shape, {metric: at least}}}; a place
    key is "", "region:<name>" or "country:<ISO3>"; the link keys are the app's (from, to, region, country).

    A count adds up over the years, so a range is the sum of its years: a range holding some of the years the plan
    suppresses for the place (a small year and its complement, see `Plan`) is suppressed too (else it, less the
    range of the other years, would give them away); one holding all of them says only what the place's total says
    (their sum), and is shown when the total is. Such a range reads "at least X" (its floor: the published years
    plus one for each suppressed year, a figure the file's years already give), "fewer than N" when it is one
    suppressed year and years of none."""
    choices, plan = part.choices, part.plan
    keys = [k for k in HEADLINES if metrics.is_metric(k)]
    located = part.query("country_metrics", Filters().params(choices))
    regions_of = dict(zip(located["iso3"], located["region"]))
    figures: dict[str, dict] = {span: {} for span in plan.found}
    hidden: dict[str, dict] = {span: {} for span in plan.found}
    floors: dict[str, dict] = {span: {} for span in plan.found}
    for span, places in plan.found.items():
        a, b = map(int, span.split("-"))
        for place in places:
            shown, small, floor = {}, [], {}
            for key in keys:
                value = plan.figure(a, b, place, key)
                kept, was = suppress.value(key, value, part.threshold)
                if not was and suppress.counted(key) and plan.range_hidden(key, place, a, b):
                    kept, was = None, True
                shown[key] = None if kept is None else float(kept)
                if was:
                    small.append(key)
                    out = [y for y in plan.hidden_years(key, place) if a <= y <= b]
                    rest = sum(plan.figure(y, y, place, key) or 0.0 for y in range(a, b + 1) if y not in out)
                    if len(out) > 1 or rest:
                        floor[key] = rest + len(out)
            figures[span][place] = shown
            if small:
                hidden[span][place] = small
            if floor:
                floors[span][place] = floor
    regions = list(choices.values.get("region", ()))
    words = i18n.active()
    named = sorted(((iso3, words.country(iso3, name)) for iso3, name in choices.countries.items()),
                   key=lambda item: locale_key(item[1]))
    places = [["", _("All regions and countries")]] + \
        [[f"region:{r}", _("Region: {region}").format(region=part.programme.label("region", r))] for r in regions] + \
        [[f"country:{iso3}", name] for iso3, name in named]
    themes, active, theme_names = _theme_figures(part), {}, {}
    for place, of_place in plan.theme_projects.items():
        if place not in themes:
            continue
        active[place] = {theme: sorted(sum(1 << (y - plan.years[0]) for y in set(years)) for years in of.values())
                         for theme, of in of_place.items()}
        theme_names.update({theme: part.programme.label("theme", theme) for theme in of_place})
    described = {key: _place_filters(key).describe(choices) if key else "" for key, _label in places}
    return {"years": plan.years, "first": calendar.quarter_label(choices.first_period),
            "last": calendar.quarter_label(choices.last_period), "places": places, "keys": keys,
            "formats": {k: metric(k).fmt for k in keys}, "threshold": part.threshold, "figures": figures,
            "suppressed": hidden, "floors": floors, "locale": str(words.locale).replace("_", "-"),
            "regions": {iso3: regions_of.get(iso3, "") for iso3, _name in named},
            "region_names": {r: part.programme.label("region", r) for r in regions},
            "themes": themes, "theme_projects": active, "theme_names": theme_names, "described": described,
            "words": {"at_least": _("at least {n}"), "fewer": charts.fewer(part.threshold),
                      "note": _("Figures for {years}, {place}. The charts below show the whole programme."),
                      "period": _("Figures for {years}, {place}."),
                      "start": _("start"), "end": _("end"), "everything": Filters().describe(choices)}}


def _place_filters(key: str) -> Filters:
    """The app's filters for a place key of the filter figures ("region:<name>", "country:<ISO3>")."""
    kind, value = key.split(":", 1)
    return Filters(**{kind: (value,)})


def _theme_figures(part: _Programme) -> dict[str, dict[str, list]]:
    """The trainees of each place's themes as the themes chart's period range reads them: {place key: {theme:
    [the whole period's, then each year's]}}, a suppressed figure None (small, or a complement: see `_details`).

    The page adds a range up from its years; a range holding some of the theme's suppressed years but not all, or
    all of them and its whole period suppressed, is suppressed too (and reads "at least X": its published years and
    one per suppressed year, or "fewer than N"); one holding all of them (two or more) is the whole period less the
    years outside it — figures the file gives already, so a range says nothing the years and totals do not."""
    plan, threshold = part.plan, part.threshold
    out: dict[str, dict[str, list]] = {}
    for place, of_place in plan.themes.items():
        if place.startswith("country:"):  # a country's themes by year are no cells of the plan: never published
            continue
        mine = out.setdefault(place, {})
        for subject, by_year in of_place.items():
            total = sum(by_year.values())
            cells = [(total, plan.hides("trainees", place, f"{THEME}{subject}"))]
            cells += [(by_year.get(y, 0.0), (place, (f"{THEME}{subject}", y)) in plan.hidden.get("trainees", ()))
                      for y in plan.years]
            mine[subject] = [None if hidden or suppress.small(value, threshold) else float(value)
                           for value, hidden in cells]
    return out


def locale_key(text: str) -> str:
    """A name as it sorts among others (accents after their letter: Égypte beside Egypt)."""
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def _filters_script(site: _Site, part: _Programme) -> str:
    """The filter figures as a script the home page and the charts' period ranges load (a file:// page cannot fetch
    JSON), content-hashed; its path from the tree's root, written once per programme and language."""
    key = (site.language, part.folder)
    if key not in site.scripts:
        data = html_deck.script_json(filter_figures(part))
        name = f"{part.folder}-figures.js" if not site.prefix else f"{site.language}-{part.folder}-figures.js"
        site.scripts[key] = site.up + _hashed(site.out, name, f"window.impactFigures = {data};\n".encode())
    return site.scripts[key]


def _home(site: _Site, part: _Programme, everything: dict, countries: pd.DataFrame, names: dict[str, str]) -> None:
    programme = part.programme
    path = f"{part.folder}/index.html"
    totals = headline_totals(part.database, everything, part.query)
    subtitle = Filters().describe(part.choices)
    back = (_("{programme}: home").format(programme=part.short_name), path)
    # The home charts drawn for one place too (a country's on its page, a region's here): a link to the programme's
    # chart with the app's `country=ISO3` or `region=NAME` opens that place's (PLACE_CHARTS).
    places: dict[str, dict[str, dict[str, str]]] = {}
    for chart_id, (country_suffix, region_suffix) in PLACE_CHARTS.items():
        named = places[chart_id] = {"country": {}, "region": {}}
        if country_suffix:
            named["country"] = {iso3: f"country-{safe_name(iso3)}-{country_suffix}" for iso3 in countries["iso3"]}
        for region in dict.fromkeys(countries["region"]) if region_suffix else ():
            chosen = Filters(region=(region,))
            slug = f"region-{safe_name(region)}-{region_suffix}"
            # A trend's rows are the region's years, the themes' its themes (both the region's cells of the plan);
            # the top countries' its countries (each country's total).
            own = chart_id != "trainees_by_country"
            _chart(site, part, catalog.chart(chart_id), chosen.params(part.choices), slug,
                   chosen.describe(part.choices), {"region": [region]}, back,
                   place=f"region:{region}" if own else None, plan=True,
                   period=_period(chart_id, f"region:{region}"))
            named["region"][region] = slug
    drawn = [_chart(site, part, catalog.chart(chart_id), everything, chart_id, subtitle, {}, back,
                    places=places.get(chart_id), place="" if chart_id in ("trainees_trend", "trainees_by_theme") else None,
                    plan=True, period=_period(chart_id, ""))
             for chart_id in HOME_CHARTS]
    references = []
    for r in programme.reference_figures:
        if metrics.is_metric(r.metric):
            references.append({"key": r.metric, "label": metric(r.metric).label, "source": r.source,
                               "text": r.text(format_value(r.value, metric(r.metric).fmt))})
    site.page("home.html", path, **{**part.common(path, _("Home")), "maps": any(c.draws_outlines for c in drawn)},
              headlines=_tiles(part, totals, HEADLINES, published=True),
              outcomes=_tiles(part, totals, programme.headline_indicators(), published=True),
              references=references, charts=drawn,
              description=(programme.translations.get(i18n.active().language) or programmes.Translation()).description
              or programme.description,
              countries=sorted(({"name": names.get(r.iso3, r.country),
                                 "href": f"{part.folder}/countries/{safe_name(r.iso3)}.html"}
                                for r in countries.itertuples(index=False)), key=lambda c: locale_key(c["name"])),
              projects_href=f"{part.folder}/projects/index.html", results_href=f"{part.folder}/results.html",
              figures_js=_filters_script(site, part))


def _country(site: _Site, part: _Programme, iso3: str, name: str, region: str) -> None:
    chosen = Filters(country=(iso3,))
    params = chosen.params(part.choices)
    code = safe_name(iso3)  # an ISO code once imported; a file name whatever the data holds
    path = f"{part.folder}/countries/{code}.html"
    subtitle = chosen.describe(part.choices)
    back = (name, path)
    totals = headline_totals(part.database, params, part.query)
    drawn = [
        _chart(site, part, catalog.chart("trainees_trend"), params, f"country-{code}-trend", subtitle,
               {"country": [iso3]}, back, place=f"country:{iso3}", plan=True,
               period=_period("trainees_trend", f"country:{iso3}")),
        _chart(site, part, catalog.chart("explore", {"by": "theme"}), params, f"country-{code}-themes", subtitle,
               {"country": [iso3]}, back, options={"by": "theme"}, place=f"country:{iso3}", plan=True),
    ]
    listed = part.query("projects_list", {**params, "search": "", "row_limit": None})
    show_title = "title" in part.programme.publish.project_fields
    projects = [{"href": f"{part.folder}/projects/{safe_name(p.project_id)}.html",
                 "text": f"{p.project_id}: {p.title}" if show_title else p.project_id}
                for p in listed.itertuples(index=False)]
    site.page("country.html", path, **part.common(path, name), name=name,
              region=part.programme.label("region", region),
              headlines=_tiles(part, totals, COUNTRY_HEADLINES, place=f"country:{iso3}"), charts=drawn,
              projects=projects)


def _field_text(key: str, value, threshold: int) -> tuple[str, bool]:
    if suppress.counted(key) and suppress.small(value, threshold):
        return charts.fewer(threshold), True
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—", False
    if metrics.is_metric(key):
        return metrics.format_metric(key, value), False
    if isinstance(value, (dt.date, pd.Timestamp)):
        return i18n.active().day(value), False
    if isinstance(value, str) and _vocabulary(key):
        return metrics.active_programme().label(key, value), False
    return str(value), False


def _vocabulary(key: str) -> bool:
    """Whether a project field holds a value of the programme's vocabulary of that name (labelled per language)."""
    programme = metrics.active_programme()
    return programme is not None and key in programme.vocabularies


def _projects(site: _Site, part: _Programme) -> None:
    """A page per project (the fields its definition marks public) and the listing of every project."""
    public = part.programme.publish.project_fields
    ids = part.query("projects_list", {**Filters().params(part.choices), "search": "",
                                                        "row_limit": None})["project_id"]
    details = part.query("project_details", {})  # project_detail's row of every project, in one query
    first: dict[str, int] = {}
    for position, project_id in enumerate(details["project_id"]):
        first.setdefault(project_id, position)
    rows = []
    for project_id in ids:
        if project_id not in first:
            continue
        record = details.iloc[first[project_id]]
        path = f"{part.folder}/projects/{safe_name(project_id)}.html"
        fields = [{"key": "project_id", "label": _("Project"), "value": project_id, "suppressed": False, "href": ""}]
        for key in public:
            text, hidden = _field_text(key, record[key], part.threshold)
            if key == "country" and not hidden:
                text = i18n.active().country(record["iso3"], text)
            if not hidden and part.plan.hides(key, f"{PROJECT}{project_id}", TOTAL):  # a complement
                text, hidden = charts.fewer(part.threshold), True
            href = f"{part.folder}/countries/{safe_name(record['iso3'])}.html" if key == "country" else ""
            fields.append({"key": key, "label": export.column_label(key), "value": text, "suppressed": hidden,
                           "href": href})
        heading = f"{project_id}: {record['title']}" if "title" in public else project_id
        site.page("project.html", path, **{**part.common(path, project_id), "live": False}, heading=heading,
                  fields=fields)
        kept = {"project_id": project_id, **{f["key"]: None if f["suppressed"] else record[f["key"]] for f in fields[1:]}}
        rows.append((path, kept, fields))
    frame = pd.DataFrame([kept for _path, kept, _fields in rows], columns=["project_id", *public])
    csv_path = f"{part.folder}/projects/projects.csv"
    (site.tree / csv_path).parent.mkdir(parents=True, exist_ok=True)
    (site.tree / csv_path).write_bytes(table_csv(frame))
    path = f"{part.folder}/projects/index.html"
    site.page("listing.html", path, **{**part.common(path, _("Projects")), "live": False},
              heading=_("Projects of {programme}").format(programme=part.programme.name_in()),
              intro=(_("{n} project; it links to its page.") if len(rows) == 1 else
                     _("{n} projects; each links to its page.")).format(n=i18n.active().number(len(rows))),
              csv=csv_path,
              headings=[f["label"] for f in rows[0][2]] if rows else [_("Project")],
              rows=[{"href": p, "cells": [(f["value"], f["suppressed"]) for f in fields]} for p, _, fields in rows])


def table_csv(frame: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV (with a byte-order mark) whose headings and text cells cannot run as formulas."""
    out = pd.DataFrame({cells.neutralise(export.column_label(c)): frame[c].map(
        lambda v: cells.neutralise(v) if isinstance(v, str) else v) for c in frame.columns})
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]) and (out[column].dropna() % 1 == 0).all():
            out[column] = out[column].astype("Int64")
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    return buffer.getvalue().encode("utf-8-sig")


def _results(site: _Site, part: _Programme, everything: dict) -> None:
    """Results against targets: the programme's own targets judged at the latest data, each with its chart."""
    programme = part.programme
    path = f"{part.folder}/results.html"
    pic = results.programme_picture(part.database)
    judged = results.progress(pic, pic.latest, programme.results, programme.start, projects=False)
    sentences = [{"metric": row["metric"], "score": row["score"], "sentence": results.sentence(row, pic.latest)}
                 for row in judged.to_dict("records")]
    back = ("Results against targets", path)
    drawn = [_chart(site, part, catalog.chart("results", {"metric": key}), everything, f"results-{key}",
                    _("{metric}: the programme's targets").format(metric=metric(key).label), {}, back,
                    options={"metric": key})
             for key in dict.fromkeys(judged["metric"])]
    words = i18n.active()
    bands = "; ".join(f"{b.score} " + (f"{words.decimal(b.low)}–{words.percent(b.high / 100, exact=True)}"
                                        if b.high is not None else
                                        _("{percent} and above").format(percent=words.percent(b.low / 100, exact=True)))
                      for b in programme.results.bands)
    reading = _("% achieved = (actual − baseline) ÷ (expected − baseline), counting every result up to the date. "
                "Scores: {bands}.").format(bands=bands)
    rows, csv_path = _project_targets(site, part, everything, pic.latest)
    site.page("results.html", path, **{**part.common(path, _("Results against targets")),
                                       "maps": any(c.draws_outlines for c in drawn)},
              day=words.day(pic.latest), judged=sentences, reading=reading, charts=drawn,
              project_rows=rows, project_csv=csv_path,
              project_headings=[_("Project"), _("Indicator"), _("End target"), _("Expected by then"), _("Actual"),
                                _("% achieved"), _("Score")])


def _project_targets(site: _Site, part: _Programme, everything: dict, day: dt.date) -> tuple[list[dict], str]:
    """Every project against its targets at `day` (the Results page's table): its rows and its CSV's path. An actual
    below the threshold is suppressed, and its % achieved with it (the % and the target would give it away)."""
    programme = part.programme
    judged = results.exact(results.project_progress(part.database, everything, day), programme.results)
    rows, kept = [], []
    for row in judged.to_dict("records"):
        key = row["metric"]
        hidden = suppress.counted(key) and (suppress.small(row["actual"], part.threshold) or any(
            part.plan.hides(key, f"{PROJECT}{row['project_id']}", column) for column in (ACTUAL, TOTAL)))
        percent = row["percent"]
        cells = [(row["project_id"], False), (row["indicator"], False), (results.figure(row["end_target"], key), False),
                 (results.figure(row["expected"], key), False),
                 (charts.fewer(part.threshold) if hidden else results.figure(row["actual"], key), hidden),
                 ("—" if hidden or percent is None or pd.isna(percent) else i18n.active().percent(percent / 100),
                  hidden),
                 (str(row["score"]), False)]
        rows.append({"href": f"{part.folder}/projects/{safe_name(row['project_id'])}.html", "cells": cells})
        kept.append({"project_id": row["project_id"], "indicator": row["indicator"], "end_target": row["end_target"],
                     "end_due": row["end_due"], "expected": row["expected"],
                     "actual": None if hidden else row["actual"],
                     "achieved": None if hidden or percent is None or pd.isna(percent) else round(percent / 100, 4),
                     "score": row["score"]})
    path = f"{part.folder}/results-projects.csv"
    frame = pd.DataFrame(kept, columns=["project_id", "indicator", "end_target", "end_due", "expected", "actual",
                                        "achieved", "score"])
    (site.tree / path).write_bytes(table_csv(frame))
    return rows, path


# ---- across programmes ----------------------------------------------------------------------------------------

def _portfolio(site: _Site, databases: list[db.Database]) -> None:
    """The programmes side by side: totals, funding per currency, per-year charts and the map."""
    path = "portfolio/index.html"
    scope = portfolio.Scope()
    threshold = max(d.programme.publish.suppress_below for d in databases)
    licences = sorted({d.programme.publish.licence for d in databases if d.programme.publish.licence})
    words = i18n.active()
    context = charts.Context(source=(_("Portfolio of {n} programme") if len(databases) == 1 else
                                     _("Portfolio of {n} programmes")).format(n=len(databases)),
                             version=", ".join(f"{d.programme.short_name_in()} {d.version}" for d in databases),
                             published=site.published, licence="; ".join(licences), threshold=threshold,
                             base_url=site.base_url)
    footer = [_("Source: {source} · Data versions {versions} · Published {day}").format(
                  source=context.source, versions=context.version, day=words.date(context.published, "long")),
              _("Licence: {licence}").format(licence=context.licence_text)]
    common = {"page_title": _("Portfolio"), "footer": footer, "embed": False, "oembed": "", "live": True,
              "maps": True, "nav": [{"text": _("Portfolio"), "href": path, "current": True}]}
    totals = portfolio.totals(databases, scope)
    funding = portfolio.funding(databases, totals)
    shown = portfolio.readable(totals)
    kept = shown.copy()
    cells_out = []
    for i, row in shown.iterrows():
        line = []
        database = databases[i]
        for column in shown.columns:
            value = row[column]
            if (suppress.counted(column) and suppress.small(value, threshold)) or (
                    (suppress.counted(column) or column in SHARES)
                    and _hidden_in(site.plans[database.programme.id], column, "", TOTAL)):
                line.append((charts.fewer(threshold), True))
                kept.at[i, column] = None
            elif column == portfolio.FUNDING:
                line.append((portfolio.money(value, database.programme), False))
            elif metrics.is_metric(column):
                line.append((metrics.format_metric(column, value), False))
            else:
                line.append((str(value), False))
        cells_out.append(line)
    headings = [_("Grant funding (own currency)") if c == portfolio.FUNDING else export.column_label(c)
                for c in shown.columns]
    (site.tree / "portfolio").mkdir(parents=True, exist_ok=True)
    (site.tree / "portfolio" / "totals.csv").write_bytes(table_csv(kept))
    by_year = portfolio.by_year(databases, scope)
    places = portfolio.countries(databases, scope)
    plans = {d.programme.short_name or d.programme.id: site.plans[d.programme.id] for d in databases}  # as its columns
    on_map = _portfolio_places(places, databases, site.plans, threshold)
    headlines = []
    for key in PORTFOLIO_HEADLINES:
        total = totals[key].sum()
        figure, hidden = suppress.value(key, total, threshold)
        parts = [(p, v, suppress.small(v, threshold) or _hidden_in(plans[p], key, "", TOTAL))
                 for p, v in zip(totals["programme"], totals[key])]
        if suppress.counted(key) and (any(out for _, _, out in parts) or (key == "trainees" and TOTAL in on_map)):
            figure, hidden = None, True  # the total less the programmes' published figures would give theirs away
        headlines.append({"key": key, "label": metric(key).label, "suppressed": hidden, "published": "",
                          "value": charts.fewer(threshold) if hidden else metrics.format_metric(key, figure),
                          "how": _("All programmes added up: ") + " · ".join(
                              f"{p}: {metrics.format_metric(key, v)}" for p, v, out in parts if not out)})
    drawn = []
    for chart_id, spec in catalog.PORTFOLIO.items():
        frame = places if chart_id == "portfolio_map" else by_year
        hide = (lambda rows: pd.DataFrame({"trainees": rows["iso3"].isin(on_map)}, index=rows.index)) \
            if chart_id == "portfolio_map" else _per_programme(plans, spec.values[0])
        chart = charts.build(catalog.in_language(spec), frame, slug=chart_id, folder="portfolio/charts",
                             subtitle=scope.describe(), threshold=threshold, svg=site.svg, hide=hide,
                             tree=site.prefix)
        _chart_pages(site, chart, context, {}, (_("Portfolio"), path),
                     {**common, "page_title": chart.title, "nav": [{"text": _("Portfolio"), "href": path,
                                                                    "current": False}]})
        drawn.append(chart)
    site.page("portfolio.html", path, **common, scope=scope.describe() + ".", headlines=headlines, funding=funding,
              totals_csv="portfolio/totals.csv", totals_headings=headings, totals_cells=cells_out, charts=drawn)


SHARES = {"women_share": ("trainees", "women_trained")}  # a share gives its count away with its base


def _hidden_in(plan: Plan, key: str, place: str, column) -> bool:
    """Whether a programme's site suppresses its figure of `key` (a count, a share of two, or volunteer days of
    both places) for `place` in `column` (a year or TOTAL)."""
    keys = SHARES.get(key) or (PLACES_DAYS if key == VOLUNTEER_DAYS else (key,))
    return any(plan.hides(k, place, column) for k in keys)


def _per_programme(plans: dict[str, Plan], key: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """The cells of a by-year chart of the Portfolio (a column per programme) each programme's site suppresses."""
    def hide(rows: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({name: [_hidden_in(plan, key, "", int(y)) for y in rows["year"]]
                             for name, plan in plans.items() if name in rows.columns}, index=rows.index)
    return hide


def _portfolio_places(places: pd.DataFrame, databases: list[db.Database], plans: dict[str, Plan],
                      threshold: int) -> set:
    """The countries of the Portfolio's map to suppress (ISO-3s; TOTAL when the trainees' headline must go too): a
    country whose figure in some programme is suppressed there (the sum less the other's would give it), small ones,
    and complements, so that the headline less the map's countries gives no single one."""
    if threshold <= 1:
        return set()
    out = {iso3 for iso3 in places["iso3"] for d in databases
           if plans[d.programme.id].total_hidden("trainees", f"country:{iso3}")}
    values = {iso3: v for iso3, v in zip(places["iso3"], places["trainees"])} | {TOTAL: places["trainees"].sum()}
    return suppress.complementary(values, [(TOTAL, list(places["iso3"]))], threshold, out)


def _index(site: _Site, databases: list[db.Database]) -> None:
    items = [{"name": d.programme.name_in(), "href": f"{safe_name(d.programme.id)}/index.html", "version": d.version,
              "years": f"{d.programme.start.year}–{d.programme.end.year}", "illustrative": d.programme.illustrative}
             for d in databases]
    footer = [_("Published {day}").format(day=i18n.active().date(site.published, "long")) + " · " + " · ".join(
        _("{programme}: data version {version}").format(programme=d.programme.short_name_in(), version=d.version)
        for d in databases)]
    heading = _("Impact of the programmes")
    site.page("index.html", "index.html", page_title=heading, footer=footer, embed=False,
              oembed="", live=False, maps=False, nav=[{"text": _("Portfolio"), "href": "portfolio/index.html",
                                                       "current": False}],
              heading=heading, programmes=items, portfolio=True)
