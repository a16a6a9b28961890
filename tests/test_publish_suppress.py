"""Complementary suppression over every file the public site writes: with a threshold that suppresses hundreds of
cells in both shipped programmes, no small count of trainees or volunteer days — a place's in a range of years, a
theme's (the programme's or a country's), a project's, a country's across the programmes — is a sum or difference
of the figures the site publishes anywhere: the filter file, the headline tiles, every chart's CSV (trends, map, top
countries, themes), the projects' CSV and pages, the results table and the Portfolio's totals, per-year charts and
map. Each figure is read back from the files and written as the set of (programme, project, quarter[, place of
volunteering]) counts it adds up, from independent SQL; a small count is recoverable when its set is in their span."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import duckdb
import numpy
import pyarrow.parquet as pq
import pytest
from lxml import html as lxml_html

from impact.model import metrics
from impact.model import programme as programmes
from impact.publish import site, suppress
from tests.conftest import ROOT
from tests.data_helpers import make_store

THRESHOLD = 100  # suppresses countries' years, themes of countries and projects in both programmes
SOURCES = {"hps": ROOT / "data", "gsp": ROOT / "data" / "programmes" / "gsp"}
DAYS = {"volunteer_days_overseas": "overseas", "volunteer_days_uk": "home"}  # a metric and its location's role


@pytest.fixture(scope="module")
def strict(tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    """Both shipped programmes in one store with `publish.suppress_below` THRESHOLD, and their site."""
    top = tmp_path_factory.mktemp("strict") / "store"
    stores = {"hps": make_store(SOURCES["hps"], top), "gsp": make_store(SOURCES["gsp"], top / "programmes" / "gsp")}
    for path in stores.values():
        definition = json.loads((path / "programme.json").read_text(encoding="utf-8"))
        definition["publish"] = {**definition.get("publish", {}), "suppress_below": THRESHOLD}
        (path / "programme.json").write_text(json.dumps(definition), encoding="utf-8")
    out = tmp_path_factory.mktemp("strict-site") / "public"
    built = site.build(out, data_dir=top, svg=False)
    assert built.suppressed > 100
    return out, stores


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _role(store: Path, vocabulary: str, role: str) -> str:
    terms = json.loads((store / "programme.json").read_text(encoding="utf-8"))["vocabularies"][vocabulary]
    return next(t["value"] for t in terms if isinstance(t, dict) and t.get("role") == role)


class Atoms:
    """The counts of every (programme, project, quarter[, location]) of both programmes, independent SQL, with
    their country, region, theme and year: each published figure is the sum of some of them."""

    def __init__(self, stores: dict[str, Path], table: str):
        rows = []
        for pid, store in stores.items():
            con = duckdb.connect()
            for name in ("training", "volunteering", "projects", "countries"):
                con.register(name, pq.read_table(store / f"{name}.parquet"))
            if table == "training":
                query = ("select t.project_id, t.iso3, c.region, p.theme, t.period, '' as location, sum(t.trainees) "
                         "from training t join projects p using (project_id) join countries c on c.iso3 = t.iso3 "
                         "group by all having sum(t.trainees) <> 0")
            else:
                roles = {_role(store, "location", role): key for key, role in DAYS.items()}
                query = ("select v.project_id, v.iso3, c.region, p.theme, v.period, v.location, "
                         "sum(v.volunteer_days) from volunteering v join projects p using (project_id) "
                         "join countries c on c.iso3 = v.iso3 group by all having sum(v.volunteer_days) <> 0")
            for project, iso3, region, theme, period, location, value in con.execute(query).fetchall():
                rows.append((pid, project, iso3, region, theme, period, roles[location] if location else "", value))
        rows.sort(key=lambda r: (r[0], r[1], r[5], r[6]))
        columns = list(zip(*rows))
        self.pid, self.project, self.iso3, self.region, self.theme = (numpy.array(c, dtype=object) for c in
                                                                       columns[:5])
        self.period = numpy.array(columns[5], dtype="datetime64[D]")
        self.year = self.period.astype("datetime64[Y]").astype(int) + 1970
        self.metric = numpy.array(columns[6], dtype=object)
        self.value = numpy.array(columns[7], dtype=float)

    def where(self, pid: str = "", place: str = "", a: int = 0, b: int = 9999, metric: str = "",
              theme: str | None = None, project: str = "") -> numpy.ndarray:
        """A 0/1 row over the atoms: those of `pid` (any when ""), `place` ("", "region:<name>",
        "country:<ISO3>"), the years a..b, the location's `metric` (both when ""), `theme`, `project`."""
        keep = (self.year >= a) & (self.year <= b)
        if pid:
            keep &= self.pid == pid
        if place.startswith("region:"):
            keep &= self.region == place[len("region:"):]
        elif place.startswith("country:"):
            keep &= self.iso3 == place[len("country:"):]
        if metric:
            keep &= self.metric == metric
        if theme is not None:
            keep &= self.theme == theme
        if project:
            keep &= self.project == project
        return keep.astype(float)


def _figures(root: Path, pid: str) -> dict:
    script = next((root / "assets").glob(f"{pid}-figures.*.js")).read_text(encoding="utf-8")
    return json.loads(script.split("=", 1)[1].strip().rstrip(";"))


def _tile(path: Path, key: str) -> str | None:
    found = lxml_html.parse(str(path)).getroot().xpath(
        f'//div[@class="tile" and @data-metric="{key}"]/p[@class="value"]')
    return found[0].text_content() if found else None


def _shown(text: str | None) -> bool:
    return text is not None and text != "" and not text.startswith(("fewer than", "at least"))


def _published(root: Path, stores: dict[str, Path], atoms: Atoms, keys: tuple[str, ...]) -> list[tuple]:
    """(where, row) for every figure of `keys` the site publishes; keys "trainees" or the volunteer days' two."""
    out = []
    for pid, store in stores.items():
        data = _figures(root, pid)
        definition = programmes.read(store / "programme.json")
        with metrics.using(definition):
            labels = {key: metrics.metric(key).label for key in ("trainees", "volunteer_days", *DAYS)}
        for key in keys:
            only = DAYS.get(key) and key
            for span, places in data["figures"].items():
                a, b = map(int, span.split("-"))
                out += [((pid, "filters", span, place, key), atoms.where(pid, place, a, b, only or ""))
                        for place, figures in places.items() if figures.get(key) is not None]
            if _shown(_tile(root / pid / "index.html", key)):
                out.append(((pid, "home", key), atoms.where(pid, metric=only or "")))
            for page in (root / pid / "countries").glob("*.html"):
                if _shown(_tile(page, key)):
                    out.append(((pid, page.name, key), atoms.where(pid, f"country:{page.stem}", metric=only or "")))
        charts = root / pid / "charts"
        if "trainees" in keys:
            named = json.loads(lxml_html.parse(str(charts / "trainees_trend.html")).getroot()
                               .xpath("//body/@data-place-charts")[0])
            trends = {"": "trainees_trend"} | {f"{kind}:{value}": slug for kind, slugs in named.items()
                                                for value, slug in slugs.items()}
            for place, slug in trends.items():
                for row in _csv(charts / f"{slug}.csv"):
                    year = int(row["Year"])
                    if row[labels["trainees"]]:
                        out.append(((pid, slug, year), atoms.where(pid, place, year, year)))
                    running = [v for k, v in row.items() if k != "Year" and k != labels["trainees"]][0]
                    if running:
                        out.append(((pid, slug, "to", year), atoms.where(pid, place, b=year)))
            for name in ("trainees_map", "trainees_by_country"):
                out += [((pid, name, row["ISO-3 code"]), atoms.where(pid, f"country:{row['ISO-3 code']}"))
                        for row in _csv(charts / f"{name}.csv") if row[labels["trainees"]]]
            out += [((pid, "themes", row["Theme"]), atoms.where(pid, theme=row["Theme"]))
                    for row in _csv(charts / "trainees_by_theme.csv") if row[labels["trainees"]]]
            named = json.loads(lxml_html.parse(str(charts / "trainees_by_theme.html")).getroot()
                               .xpath("//body/@data-place-charts")[0])
            for region, slug in named["region"].items():
                out += [((pid, slug, row["Theme"]), atoms.where(pid, f"region:{region}", theme=row["Theme"]))
                        for row in _csv(charts / f"{slug}.csv") if row[labels["trainees"]]]
            # The themes chart's period range: each place's themes, their whole period's and each year's.
            for place, themes in data["themes"].items():
                for theme, figures in themes.items():
                    if figures[0] is not None:
                        out.append(((pid, "filters", "theme", place, theme), atoms.where(pid, place, theme=theme)))
                    out += [((pid, "filters", "theme", place, theme, y), atoms.where(pid, place, y, y, theme=theme))
                            for y, value in zip(data["years"], figures[1:]) if value is not None]
            for path in charts.glob("country-*-themes.csv"):
                iso3 = path.stem.split("-")[1]
                out += [((pid, path.name, row["Theme"]), atoms.where(pid, f"country:{iso3}", theme=row["Theme"]))
                        for row in _csv(path) if row[labels["trainees"]]]
        column, indicator = ("Health workers trained", labels["trainees"]) if "trainees" in keys else \
            ("Volunteer days", labels["volunteer_days"])
        for row in _csv(root / pid / "projects" / "projects.csv"):
            if row.get(column):
                out.append(((pid, "projects.csv", row["Project id"]), atoms.where(pid, project=row["Project id"])))
        for row in _csv(root / pid / "results-projects.csv"):
            if row["Indicator"] == indicator and row["Actual"]:
                out.append(((pid, "results", row["Project id"]), _prefix(atoms, pid, row["Project id"],
                                                                          float(row["Actual"]))))
    totals = _csv(root / "portfolio" / "totals.csv")
    for key in keys:
        only = DAYS.get(key) and key
        label = {"trainees": "Health workers trained", "volunteer_days_overseas": "Volunteer days overseas",
                 "volunteer_days_uk": "Volunteer days from the UK"}[key]
        pids = {row["Programme"]: pid for row in totals for pid in stores if row["Programme"].lower() == pid}
        out += [(("portfolio totals", row["Programme"], key), atoms.where(pids[row["Programme"]], metric=only or ""))
                for row in totals if row[label]]
        if _shown(_tile(root / "portfolio" / "index.html", key)):
            out.append((("portfolio", key), atoms.where(metric=only or "")))
    name = "portfolio_trainees" if "trainees" in keys else "portfolio_volunteer_days"
    for row in _csv(root / "portfolio" / "charts" / f"{name}.csv"):
        out += [((name, short, row["Year"]), atoms.where(short.lower(), a=int(row["Year"]), b=int(row["Year"])))
                for short, value in row.items() if short != "Year" and value]
    if "trainees" in keys:
        out += [(("portfolio_map", row["ISO-3 code"]), atoms.where(place=f"country:{row['ISO-3 code']}"))
                for row in _csv(root / "portfolio" / "charts" / "portfolio_map.csv") if row["Health workers trained"]]
    return out


def _prefix(atoms: Atoms, pid: str, project: str, actual: float) -> numpy.ndarray:
    """A project's actual against a target: its counts up to some quarter (the one whose running total it is)."""
    mine = atoms.where(pid, project=project).astype(bool)
    for day in sorted(set(atoms.period[mine])):
        upto = mine & (atoms.period <= day)
        if atoms.value[upto].sum() == actual:
            return upto.astype(float)
    raise AssertionError(f"{pid} {project}: the actual {actual} is no running total of its counts")


def _targets(stores: dict[str, Path], atoms: Atoms, root: Path, keys: tuple[str, ...]) -> list[tuple]:
    """(what, row) for every count the site could publish: places by ranges of years, themes (the programme's,
    each country's), projects, countries across the programmes."""
    out = []
    for pid in stores:
        data = _figures(root, pid)
        mine = atoms.pid == pid
        places = [""] + [f"region:{r}" for r in sorted(set(atoms.region[mine]))] + \
            [f"country:{c}" for c in sorted(set(atoms.iso3[mine]))]
        for key in keys:
            only = DAYS.get(key) and key or ""
            for place in places:
                for a in data["years"]:
                    out += [(("range", pid, place, a, b, key), atoms.where(pid, place, a, b, only))
                            for b in data["years"] if b >= a]
        if "trainees" in keys:
            for place in places:
                out += [(("theme", pid, place, theme), atoms.where(pid, place, theme=theme))
                        for theme in sorted(set(atoms.theme[mine]))]
            for place in [p for p in places if not p.startswith("country:")]:  # the themes chart's period range
                out += [(("theme range", pid, place, theme, a, b), atoms.where(pid, place, a, b, theme=theme))
                        for theme in sorted(set(atoms.theme[mine])) for a in data["years"] for b in data["years"]
                        if b >= a]
        out += [(("project", pid, project), atoms.where(pid, project=project)) for project in sorted(set(atoms.project[mine]))]
    if "trainees" in keys:
        out += [(("portfolio country", iso3), atoms.where(place=f"country:{iso3}")) for iso3 in sorted(set(atoms.iso3))]
    return out


@pytest.mark.parametrize("keys", [("trainees",), tuple(DAYS)], ids=["trainees", "volunteer-days"])
def test_no_small_count_is_a_sum_or_difference_of_any_figures_the_site_publishes(strict, keys):
    root, stores = strict
    atoms = Atoms(stores, "training" if keys == ("trainees",) else "volunteering")
    published = _published(root, stores, atoms, keys)
    assert len(published) > 1000
    matrix = numpy.unique(numpy.array([row for _, row in published]), axis=0)
    _, sigma, vt = numpy.linalg.svd(matrix, full_matrices=False)
    basis = vt[sigma > 1e-9 * sigma[0]]  # an orthonormal basis of what the published figures add up
    # Every published figure is not small (a check on the reading of the files too).
    values = {where: float(row @ atoms.value) for where, row in published}
    assert [w for w, v in values.items() if 0 < v < THRESHOLD] == []
    small, checked = [], set()
    for what, target in _targets(stores, atoms, root, keys):
        total = target @ atoms.value
        if not 0 < total < THRESHOLD:
            continue
        checked.add(what[0])
        left = target - basis.T @ (basis @ target)  # what no combination of published figures reaches
        if numpy.abs(left).max() < 1e-6:
            small.append((what, total))
    assert {"range", "project"} <= checked  # small counts of several kinds
    if keys == ("trainees",):
        assert "theme range" in checked
    assert small == []


def test_every_html_table_says_what_its_csv_says(strict):
    """A chart page's table and the project pages show a suppressed cell where the file leaves it empty, and the
    file's figure elsewhere."""
    root, stores = strict
    checked = 0
    for meta in root.rglob("charts/*.json"):
        if meta.name.endswith(".oembed.json"):
            continue
        files = json.loads(meta.read_text(encoding="utf-8"))["files"]
        rows = list(csv.reader(open(meta.parent / files["csv"], encoding="utf-8-sig", newline="")))[1:]
        table = lxml_html.parse(str(meta.parent / files["page"])).getroot().xpath("//table")[0]
        cells = [[(td.text_content(), td.get("class") == "suppressed") for td in tr.xpath("td|th")]
                 for tr in table.xpath(".//tbody/tr")]
        assert len(cells) == len(rows), meta
        for row, shown in zip(rows, cells):
            for value, (text, hidden) in zip(row, shown):
                assert hidden == text.startswith("fewer than"), (meta, text)
                if hidden:
                    assert value == "", (meta, row)
                    checked += 1
    assert checked > 50
    for pid in stores:
        listing = {row["Project id"]: row for row in _csv(root / pid / "projects" / "projects.csv")}
        for project, row in listing.items():
            page = lxml_html.parse(str(root / pid / "projects" / f"{site.safe_name(project)}.html")).getroot()
            for field, label in (("trainees", "Health workers trained"), ("volunteer_days", "Volunteer days")):
                dd = page.xpath(f'//dd[@data-field="{field}"]')[0]
                assert (dd.get("data-suppressed") == "true") == (row[label] == ""), (pid, project, field)
                if row[label]:
                    assert int(dd.text_content().replace(",", "")) == int(row[label]), (pid, project, field)


def _tables(seed: int, themes: bool = False) -> tuple[dict, numpy.ndarray, numpy.ndarray, list]:
    """Generated counts (project, year) of countries in regions, built by code from `seed`: the rows a site would
    publish (each project's total, each place's years and total: a country's, a region's, the programme's), the
    atoms, each atom's country, and the targets (each place's ranges of years). With `themes`, each project has a
    theme and the site publishes too each place's themes, and the programme's and each region's themes by year
    (the themes chart's period range: targets each such theme's ranges of years)."""
    draw = random.Random(seed)
    years = [2014, 2015, 2016, 2017]
    atoms, country, year, project, theme = [], [], [], [], []
    for c in range(8):
        for p in range(draw.randint(1, 3)):
            subject = f"T{draw.randint(0, 2)}"
            for y in years:
                if draw.random() < 0.6:
                    atoms.append(draw.choice([draw.randint(1, 9), draw.randint(10, 120)]))
                    country.append(f"C{c}"), year.append(y), project.append(f"C{c}-P{p}"), theme.append(subject)
    atoms, country, year, project, theme = (numpy.array(a) for a in (atoms, country, year, project, theme))
    region = numpy.array([f"R{int(c[1:]) % 3}" for c in country])
    places = {"": numpy.ones(len(atoms), dtype=bool)} | {r: region == r for r in sorted(set(region))} | \
        {c: country == c for c in sorted(set(country))}
    rows = {("project", p): (project == p).astype(float) for p in sorted(set(project))}
    targets = []
    for name, mine in places.items():
        rows[(name, "total")] = mine.astype(float)
        rows.update({(name, y): (mine & (year == y)).astype(float) for y in years})
        targets += [(mine & (year >= a) & (year <= b)).astype(float) for a in years for b in years if b > a]
        if not themes:
            continue
        for subject in sorted(set(theme)):
            of = mine & (theme == subject)
            if not of.any():
                continue
            rows[(name, f"theme:{subject}")] = of.astype(float)
            if name in places and not name.startswith("C"):  # the programme's and the regions' by year
                rows.update({(name, (f"theme:{subject}", y)): (of & (year == y)).astype(float) for y in years
                             if (of & (year == y)).any()})
                targets += [(of & (year >= a) & (year <= b)).astype(float) for a in years for b in years if b > a]
    return rows, atoms.astype(float), (country, region), targets


def _reached(rows: dict, atoms: numpy.ndarray, hidden: set, threshold: int, targets: list) -> list:
    """The small figures (rows and targets) in the span of the published rows: dense SVD, all at once."""
    published = numpy.array([row for cell, row in rows.items() if cell not in hidden])
    _, sigma, vt = numpy.linalg.svd(published, full_matrices=False)
    basis = vt[sigma > 1e-9 * sigma[0]]
    return [i for i, row in enumerate([*rows.values(), *targets])
            if 0 < row @ atoms < threshold and numpy.abs(row - basis.T @ (basis @ row)).max() < 1e-6]


@pytest.mark.parametrize("seed", range(6))
def test_the_audit_leaves_no_small_figure_in_the_span_of_the_published_ones(seed):
    """`suppress.audit` by countries (the blocks) and all at once: whatever it suppresses more, no small figure
    is then a combination of published ones, though some were before (the complementary groups alone leave them)."""
    rows, atoms, (country, _region), targets = _tables(seed)
    threshold = 10
    values = {cell: float(row @ atoms) for cell, row in rows.items()}
    groups = [((name, "total"), [(name, y) for y in range(2014, 2018)]) for name in {n for n, _ in rows}
              if name != "project"]
    hidden = suppress.complementary(values, groups, threshold)
    assert _reached(rows, atoms, hidden, threshold, targets)  # a leak for the audit to close
    for blocks in (country, None):
        found = suppress.audit(rows, atoms, hidden, threshold, targets, blocks=blocks)
        assert hidden <= found
        assert _reached(rows, atoms, found, threshold, targets) == []
        assert len(found) < len(rows)  # not everything suppressed


@pytest.mark.parametrize("seed", range(6))
def test_the_audit_covers_the_themes_by_year_of_the_programme_and_the_regions(seed):
    """With the themes chart's period range (each place's themes; the programme's and each region's themes by
    year), `suppress.audit` by regions (as the site runs it), by countries and all at once, preferring the themes
    by year: no small figure or range of a theme is then a combination of published ones (an independent dense
    SVD), and what it suppresses more is only themes by year when the other tables were safe without them."""
    rows, atoms, (country, region), targets = _tables(seed, themes=True)
    threshold = 10
    values = {cell: float(row @ atoms) for cell, row in rows.items()}
    finest = {cell for cell in rows if isinstance(cell[1], tuple)}
    groups = [((name, "total"), [(name, y) for y in range(2014, 2018)]) for name in {n for n, _ in rows}
              if name != "project"]
    hidden = suppress.complementary(values, groups, threshold)
    before = suppress.audit({c: r for c, r in rows.items() if c not in finest}, atoms,
                            hidden - finest, threshold, targets[:0])
    assert _reached(rows, atoms, before | {c for c in finest if 0 < values[c] < threshold}, threshold, targets)
    for blocks in (region, country, None):
        found = suppress.audit(rows, atoms, hidden, threshold, targets, blocks=blocks, prefer=finest)
        assert hidden <= found
        assert _reached(rows, atoms, found, threshold, targets) == []
        assert len(found - finest) < len(rows) - len(finest)  # not everything suppressed
        if before == hidden - finest:  # the other tables needed nothing more: only themes by year added
            assert found - hidden <= finest, blocks


def test_the_audit_by_blocks_closes_a_leak_across_them():
    """A country's small year reached only through its region's year less the other country's: the audit
    suppresses one of the figures that way uses."""
    atoms = numpy.array([3.0, 50.0, 40.0, 60.0])  # A in 2014 and 2015, B in 2014 and 2015
    country = numpy.array(["A", "A", "B", "B"])
    rows = {("A", "total"): numpy.array([1.0, 1, 0, 0]), ("A", 2014): numpy.array([1.0, 0, 0, 0]),
            ("A", 2015): numpy.array([0.0, 1, 0, 0]), ("B", 2014): numpy.array([0.0, 0, 1, 0]),
            ("B", 2015): numpy.array([0.0, 0, 0, 1]), ("R", 2014): numpy.array([1.0, 0, 1, 0]),
            ("R", 2015): numpy.array([0.0, 1, 0, 1])}
    hidden = {("A", 2014), ("A", 2015)}  # A's small year and its complement
    assert _reached(rows, atoms, hidden, 5, []) != []  # 3 = R 2014 − B 2014
    for blocks in (country, None):
        found = suppress.audit(rows, atoms, hidden, 5, blocks=blocks)
        assert _reached(rows, atoms, found, 5, []) == []
        assert found - hidden and found - hidden <= {("R", 2014), ("B", 2014), ("A", "total"), ("R", 2015),
                                                     ("B", 2015)}
