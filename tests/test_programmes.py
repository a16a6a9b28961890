"""A programme defined as data: its definition is checked with located messages, travels with its extract
(import, export-extract, versions), and several programmes share one store, each on every page with its own
vocabularies and indicators, side by side on the Portfolio page."""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path

import pytest
import streamlit as st

from impact import cli
from impact.demo import generate_stewardship as gsp
from impact.demo.generate import hps_definition
from impact.demo.generators import generate
from impact.ingest import extract_io
from impact.model import metrics, schema
from impact.model import programme as programmes
from impact.query import db, explore, filters, indicators, portfolio
from impact.storage import store
from tests.conftest import ROOT, Independent, make_app, metrics_shown, serving
from tests.data_helpers import make_store, snapshot

PAGES = ["pages/overview.py", "pages/countries.py", "pages/partnerships.py", "pages/workforce.py",
         "pages/volunteering.py", "pages/explore.py", "pages/present.py", "pages/portfolio.py", "pages/data.py"]


@pytest.fixture(scope="session")
def second_dir(tmp_path_factory) -> Path:
    """The invented second programme, generated with its own seed."""
    out = tmp_path_factory.mktemp("second_programme")
    generate(out, programme="gsp", seed=7)
    return out


@pytest.fixture(scope="session")
def second(second_dir) -> programmes.Programme:
    return programmes.load(second_dir)


@pytest.fixture
def two_programmes(fixture_dir, second_dir, tmp_path) -> Path:
    """A store holding the fixture HPS extract (top level) and the second programme, imported."""
    root = make_store(fixture_dir, tmp_path / "store")
    result = extract_io.import_extract(second_dir, root)
    assert result.ok, result.report.to_text()
    return root


@pytest.fixture
def two_app(two_programmes, monkeypatch) -> Path:
    with serving(two_programmes, monkeypatch):
        yield two_programmes


# ---- the definition ------------------------------------------------------------------------------

def test_definitions_round_trip_through_json(definition, second):
    for programme in (definition, second, hps_definition()):
        assert programmes.parse(json.loads(programme.to_json())) == programme


def test_the_second_programme_shares_no_vocabulary_with_the_first(definition, second):
    for name in ("theme", "grant_type", "region", "cadre", "training_type", "principle"):
        assert not set(definition.values(name)) & set(second.values(name)), name
    assert not set(definition.phase_names) & set(second.phase_names)
    assert not set(definition.reported_codes) & set(second.reported_codes)
    assert gsp.START.year >= 2019 and gsp.END.year <= 2025 and second.reference_figures == ()


def _broken(change):
    def edit(data: dict) -> dict:
        data = copy.deepcopy(data)
        change(data)
        return data
    return edit


def _set(path: str, value):
    def change(data):
        target = data
        *parts, last = path.split(".")
        for part in parts:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value
    return change


BROKEN = [
    ("unknown-aggregation", _set("indicators.0.aggregation", "median"), "indicators[0].aggregation", "median"),
    ("duplicate-code", _set("indicators.1.code", "uk_volunteers_improved_skills"), "indicators[1].code", "twice"),
    ("empty-code", _set("indicators.0.code", ""), "indicators[0].code", "missing"),
    ("overlapping-phases", _set("phases.1.first_day", "2016-06-01"), "phases[1]", "overlaps"),
    ("phase-outside-window", _set("phases.1.last_day", "2020-12-31"), "phases[1]", "outside the programme"),
    ("ratio-of-unknown-code", _set("indicators.3.denominator", "volunteers_asked"), "indicators[3]",
     "volunteers_asked"),
    ("id-not-url-safe", _set("id", "HPS 2011/19"), "id", "not a programme id"),
    ("duplicate-value", lambda d: d["vocabularies"]["theme"].append(d["vocabularies"]["theme"][0]),
     "vocabularies.theme[11].value", "twice"),
    ("unknown-role", _set("vocabularies.gender.0", {"value": "Female", "role": "female"}), "vocabularies.gender[0].role",
     "not a role"),
    ("missing-vocabulary", lambda d: d["vocabularies"].pop("cadre"), "vocabularies.cadre", "missing"),
    ("unknown-field", _set("colour", "blue"), "colour", "not a field"),
]


@pytest.mark.parametrize(("case", "change", "where", "says"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_malformed_definition_is_refused_with_its_field_and_nothing_changes(
        case, change, where, says, data_store, fixture_dir, tmp_path):
    source = tmp_path / "upload"
    source.mkdir()
    data = json.loads((fixture_dir / programmes.FILE).read_text())
    (source / programmes.FILE).write_text(json.dumps(_broken(change)(data)))
    before = snapshot(data_store)
    result = extract_io.import_extract(source, data_store)
    assert not result.ok
    problems = [p for p in result.report.problems if p.rule == "bad-definition"]
    assert any(p.column == where and says in p.message for p in problems), [(p.column, p.message) for p in problems]
    assert all(p.file == programmes.FILE for p in problems)
    assert snapshot(data_store) == before


def test_a_vocabulary_that_drops_a_value_the_data_uses_is_refused(data_store, fixture_dir, tmp_path, definition):
    source = tmp_path / "upload"
    source.mkdir()
    data = json.loads((fixture_dir / programmes.FILE).read_text())
    dropped = data["vocabularies"]["theme"].pop(0)
    data["iati"]["sectors"].pop(dropped["value"] if isinstance(dropped, dict) else dropped)
    for translation in data.get("translations", {}).values():  # a translation names only the definition's values
        translation.get("terms", {}).get("theme", {}).pop(dropped["value"] if isinstance(dropped, dict) else dropped,
                                                          None)
    (source / programmes.FILE).write_text(json.dumps(data))
    before = snapshot(data_store)
    result = extract_io.import_extract(source, data_store)
    assert not result.ok
    problem = next(p for p in result.report.problems if p.rule == "dropped-by-definition")
    assert problem.column == "theme" and problem.value == dropped and "projects in version base" in problem.file
    assert "vocabularies.theme" in problem.message
    assert snapshot(data_store) == before


def test_a_new_programme_with_a_taken_id_is_refused(data_store, fixture_dir, tmp_path, definition):
    before = snapshot(data_store)
    result = extract_io.import_extract(fixture_dir, data_store, programme=definition.id, new_programme=True)
    assert not result.ok and any(p.rule == "programme-exists" for p in result.report.problems)
    assert snapshot(data_store) == before


# ---- hostile definitions (issue 24: the definition door) -------------------------------------------

MARK = "\u0000mark\u0000"


def _definition_text(fixture_dir: Path, change=None, raw: str | None = None) -> str:
    """The fixture's definition as JSON text, edited by `change`; a field set to MARK is written as `raw` JSON."""
    data = json.loads((fixture_dir / programmes.FILE).read_text(encoding="utf-8"))
    if change is not None:
        change(data)
    return json.dumps(data, ensure_ascii=False).replace(json.dumps(MARK), raw if raw is not None else "null")


def _refusal(tmp_path: Path, text: str) -> list[tuple[str, str]]:
    """The (field, message) problems `programme.read` gives for a definition's text (it must refuse it)."""
    path = tmp_path / programmes.FILE
    path.write_text(text, encoding="utf-8")
    with pytest.raises(programmes.DefinitionError) as refused:
        programmes.read(path)
    return refused.value.problems


def _append(vocabulary: str, *values):
    def change(data):
        data["vocabularies"][vocabulary].extend(values)
    return change


def _spoof(value: str) -> str:
    """`value` with its first Latin a, c, e, o or p swapped for the Cyrillic letter that looks the same."""
    at = next(n for n, ch in enumerate(value) if ch in "aceop")
    return value[:at] + "асеор"["aceop".index(value[at])] + value[at + 1:]


def _theme(fixture_dir: Path, n: int = 0) -> str:
    item = json.loads((fixture_dir / programmes.FILE).read_text(encoding="utf-8"))["vocabularies"]["theme"][n]
    return item["value"] if isinstance(item, dict) else item


def _deep(depth: int) -> str:
    return '{"id": "hps", "description": ' + "[" * depth + "]" * depth + "}"


def test_a_deeply_nested_definition_is_refused_with_its_place_by_check_and_import(tmp_path, data_store, capsys):
    path = tmp_path / "deep" / programmes.FILE
    path.parent.mkdir()
    path.write_text(_deep(3000), encoding="utf-8")
    assert cli.main(["programme", "check", str(path)]) == 2
    error = capsys.readouterr().err
    assert "nested more than 64 levels deep" in error and "line 1, column" in error
    before = snapshot(data_store)
    assert cli.main(["import", str(path.parent), "--data-dir", str(data_store)]) == 1
    shown = capsys.readouterr().out
    assert "nested more than 64 levels deep" in shown and "Traceback" not in shown
    assert snapshot(data_store) == before
    assert programmes.loads(_deep(60)) == {"id": "hps", "description": json.loads("[" * 60 + "]" * 60)}


NON_FINITE = [
    ("nan", "reference_figures.0.value", "NaN"),
    ("infinity", "reference_figures.0.value", "Infinity"),
    ("minus-infinity", "reference_figures.1.value", "-Infinity"),
    ("too-large", "reference_figures.0.value", "1e400"),
    ("band-edge", "results.bands.1.from", "NaN"),
    ("deadline", "reporting.deadline_days", "Infinity"),
]


@pytest.mark.parametrize(("case", "path", "raw"), NON_FINITE, ids=[c[0] for c in NON_FINITE])
def test_a_number_that_is_not_finite_is_refused_with_its_field(case, path, raw, fixture_dir, tmp_path):
    problems = _refusal(tmp_path, _definition_text(fixture_dir, _set(path, MARK), raw))
    where = re.sub(r"\.(\d+)", r"[\1]", path)
    assert any(field == where and "finite" in message for field, message in problems), problems


def test_parse_refuses_non_finite_numbers_given_in_code(definition):
    data = definition.to_dict()
    data["reference_figures"][0]["value"] = float("inf")
    data["results"]["bands"][1]["from"] = float("-inf")
    with pytest.raises(programmes.DefinitionError) as refused:
        programmes.parse(data)
    assert {field for field, _ in refused.value.problems} >= {"reference_figures[0].value", "results.bands[1].from"}


def test_a_five_thousand_digit_number_is_refused_with_its_field(fixture_dir, tmp_path):
    problems = _refusal(tmp_path, _definition_text(fixture_dir, _set("reference_figures.0.value", MARK), "7" * 5000))
    assert any(field == "reference_figures[0].value" and "digits" in message for field, message in problems), problems


DUPLICATE_KEYS = [
    ("top-level", '"id": "hps"', '"id": "hps", "id": "gsp"', "id"),
    ("in-a-phase", '"name": "{phase}"', '"name": "{phase}", "name": "Another"', "phases[0].name"),
    ("in-iati-sectors", '"sectors": {{', '"sectors": {{"{theme}": "12110", ', "iati.sectors.{theme}"),
]


@pytest.mark.parametrize(("case", "old", "new", "where"), DUPLICATE_KEYS, ids=[c[0] for c in DUPLICATE_KEYS])
def test_a_duplicate_key_is_refused_naming_the_key_and_its_place(case, old, new, where, fixture_dir, definition,
                                                                tmp_path):
    names = {"phase": definition.phases[0].name, "theme": _theme(fixture_dir)}
    text = _definition_text(fixture_dir)
    old, new, where = old.format(**names), new.format(**names), where.format(**names)
    assert old in text
    problems = _refusal(tmp_path, text.replace(old, new, 1))
    assert any(field == where and "more than once" in message for field, message in problems), problems


def test_a_definition_with_a_duplicate_id_does_not_import_into_the_other_programme(fixture_dir, data_store,
                                                                                  tmp_path):
    source = tmp_path / "upload"
    source.mkdir()
    text = _definition_text(fixture_dir).replace('"id": "hps"', '"id": "hps", "id": "gsp"', 1)
    (source / programmes.FILE).write_text(text, encoding="utf-8")
    before, listing = snapshot(data_store), store.programmes(data_store)
    result = extract_io.import_extract(source, data_store)
    assert not result.ok and any(p.column == "id" and "more than once" in p.message for p in result.report.problems)
    assert snapshot(data_store) == before and store.programmes(data_store) == listing


HOSTILE_VALUES = [
    ("window-from-year-1", _set("start", "0001-01-01"), "start", "1900"),
    ("window-to-year-9999", _set("end", "9999-12-31"), "end", "2200"),
    ("phase-in-year-1066", _set("phases.0.first_day", "1066-10-14"), "phases[0].first_day", "1900"),
    ("figure-as-of-2999", _set("reference_figures.0.as_of", "2999-01-01"), "reference_figures[0].as_of", "2200"),
    ("currency-in-words", _set("currency", "pounds sterling"), "currency", "ISO 4217"),
    ("currency-lower-case", _set("currency", "gbp"), "currency", "ISO 4217"),
    ("currency-not-a-code", _set("currency", "ABC"), "currency", "ISO 4217"),
    ("iati-language-markup", _set("iati.language", "<script>"), "iati.language", "ISO 639-1"),
    ("iati-language-upper-case", _set("iati.language", "EN"), "iati.language", "ISO 639-1"),
    ("iati-language-not-a-code", _set("iati.language", "zz"), "iati.language", "ISO 639-1"),
    ("id-with-a-newline", _set("id", "newprog\n"), "id", "not a programme id"),
    ("value-with-a-control-character", _append("theme", "Eye\u0007care"), "vocabularies.theme[11].value",
     "printable"),
    ("value-with-a-line-separator", _append("theme", "Eye\u2028care"), "vocabularies.theme[11].value", "printable"),
    ("value-with-a-leading-space", _append("theme", " Eye care"), "vocabularies.theme[11].value", "space"),
    ("value-with-a-trailing-space", _append("gender", {"value": "Non-binary ", "description": "x"}),
     "vocabularies.gender[{gender}].value", "space"),
    ("code-with-a-trailing-space", _set("indicators.0.code", "staff_trained "), "indicators[0].code", "space"),
    ("value-mixing-latin-and-cyrillic", _append("theme", "Eуe care"), "vocabularies.theme[11].value", "Cyrillic"),
]


@pytest.mark.parametrize(("case", "change", "where", "says"), HOSTILE_VALUES, ids=[c[0] for c in HOSTILE_VALUES])
def test_a_hostile_value_is_refused_with_its_field(case, change, where, says, fixture_dir, tmp_path):
    genders = len(json.loads((fixture_dir / programmes.FILE).read_text(encoding="utf-8"))["vocabularies"]["gender"])
    where = where.format(gender=genders)
    problems = _refusal(tmp_path, _definition_text(fixture_dir, change))
    assert any(field == where and says in message for field, message in problems), problems


def _near(fixture_dir: Path, kind: str) -> tuple[str, str]:
    """A theme of the fixture and a near-duplicate of it of the given kind."""
    import unicodedata

    first = _theme(fixture_dir)
    accented = "Santé mentale"
    return {
        "case": (first, first.upper()),
        "inner-spaces": (first, first.replace(" ", "  ", 1)),
        "nfc-nfd": (unicodedata.normalize("NFC", accented), unicodedata.normalize("NFD", accented)),
        "compatibility": ("Office of finance", "Oﬃce of finance"),
        "cyrillic-look-alike": (first, _spoof(first)),
    }[kind]


@pytest.mark.parametrize("kind", ["case", "inner-spaces", "nfc-nfd", "compatibility", "cyrillic-look-alike"])
def test_near_duplicate_values_of_a_vocabulary_are_refused_naming_both(kind, fixture_dir, tmp_path):
    one, other = _near(fixture_dir, kind)
    assert one != other
    themes = json.loads((fixture_dir / programmes.FILE).read_text(encoding="utf-8"))["vocabularies"]["theme"]
    added = [v for v in (one, other) if v not in themes]
    problems = _refusal(tmp_path, _definition_text(fixture_dir, _append("theme", *added)))
    spot = f"vocabularies.theme[{len(themes) + len(added) - 1}].value"
    assert any(field == spot and repr(one) in message and repr(other) in message
               for field, message in problems), problems


def test_values_that_only_look_alike_in_other_vocabularies_are_allowed(fixture_dir, tmp_path):
    """Near-duplicates are looked for within one vocabulary; a word wholly in another script is fine."""
    first = _theme(fixture_dir)
    path = tmp_path / programmes.FILE
    path.write_text(_definition_text(fixture_dir, _append("cadre", first.upper(), "Медсестра", "Νοσηλευτής")),
                    encoding="utf-8")
    assert "Медсестра" in programmes.read(path).values("cadre")


def test_a_refused_new_programme_leaves_nothing_behind(fixture_dir, data_store, tmp_path, capsys):
    source = tmp_path / "upload"
    source.mkdir()
    (source / programmes.FILE).write_text(_definition_text(fixture_dir, _set("id", "newprog")), encoding="utf-8")
    (source / "projects.csv").write_text("not,a,projects,table\n1,2,3,4\n", encoding="utf-8")
    tree, listing = sorted(data_store.rglob("*")), store.programmes(data_store)
    assert cli.main(["import", str(source), "--data-dir", str(data_store), "--programme", "newprog"]) == 1
    assert "newprog" in capsys.readouterr().out
    assert sorted(data_store.rglob("*")) == tree and store.programmes(data_store) == listing
    # the Data page's import into a new programme takes the same path
    result = extract_io.import_extract(source, data_store, programme="newprog", new_programme=True)
    assert not result.ok
    assert sorted(data_store.rglob("*")) == tree and store.programmes(data_store) == listing
    assert cli.main(["programme", "list", "--data-dir", str(data_store)]) == 0
    assert "newprog" not in capsys.readouterr().out


def _with_a_new_theme(csv_extract: Path, tmp_path: Path, old: str) -> Path:
    """The exported extract with one project's theme changed to a value the definition does not list."""
    source = tmp_path / "upload"
    shutil.copytree(csv_extract, source)
    text = (source / "projects.csv").read_text(encoding="utf-8-sig")
    (source / "projects.csv").write_text(text.replace(old, "Antimicrobial resistance", 1), encoding="utf-8")
    return source


def test_values_outside_the_definition_name_the_programmes_own_values(csv_extract, data_store, tmp_path, definition):
    first_theme = definition.values("theme")[0]
    result = extract_io.import_extract(_with_a_new_theme(csv_extract, tmp_path, first_theme), data_store)
    problem = next(p for p in result.report.problems if p.rule == "not-allowed")
    assert problem.column == "theme" and first_theme in problem.message and "vocabularies.theme" in problem.message


def test_a_new_value_imports_once_the_definition_allows_it(csv_extract, data_store, tmp_path, definition):
    source = _with_a_new_theme(csv_extract, tmp_path, definition.values("theme")[0])
    data = json.loads((source / programmes.FILE).read_text())
    data["vocabularies"]["theme"].append("Antimicrobial resistance")
    (source / programmes.FILE).write_text(json.dumps(data))
    result = extract_io.import_extract(source, data_store)
    assert result.ok, result.report.to_text()
    active = store.open_store(data_store).active()
    assert "Antimicrobial resistance" in programmes.load(active.path).values("theme")
    assert store.open_store(data_store).verify(active.version) == []
    assert store.read_manifest(active.path)["definition_changed"] is True


def test_a_project_starts_within_its_phase(csv_extract, data_store, tmp_path, definition):
    source = tmp_path / "upload"
    source.mkdir()
    shutil.copy(csv_extract / "projects.csv", source / "projects.csv")
    data = json.loads((csv_extract / programmes.FILE).read_text())
    first = definition.phases[0]
    data["phases"][0]["first_day"] = first.first_day.replace(year=first.first_day.year + 2).isoformat()
    data["start"] = data["phases"][0]["first_day"]
    (source / programmes.FILE).write_text(json.dumps(data))
    result = extract_io.import_extract(source, data_store)
    assert not result.ok
    rules = {p.rule for p in result.report.problems}
    assert "start-outside-phase" in rules or "outside-programme" in rules


def test_export_extract_writes_the_definition_and_import_takes_it_back(data_store, definition, tmp_path):
    out = tmp_path / "out"
    extract_io.export_extract("csv", out, store.open_store(data_store))
    assert programmes.load(out) == definition
    result = extract_io.import_extract(out, data_store)
    assert result.ok and programmes.load(store.open_store(data_store).active().path) == definition


# ---- indicators as metrics -------------------------------------------------------------------------

def test_latest_and_ratio_indicators_equal_independent_sql(second_dir, second):
    database = db.open_database(second_dir)
    sql = Independent(second_dir)
    with metrics.using(second):
        figures = indicators.totals(db.run_query(database, "indicator_totals", filters.everything(second)))
    latest = sql.scalar("select sum(v) from (select arg_max(value, period) as v from outcomes "
                        "where indicator = 'facilities_with_stewardship' group by project_id, iso3)")
    assert figures["facilities_with_stewardship"] == latest
    compliant = sql.scalar("select sum(value) from outcomes where indicator = 'prescriptions_compliant'")
    audited = sql.scalar("select sum(value) from outcomes where indicator = 'prescriptions_audited'")
    assert figures["prescribing_compliance"] == pytest.approx(compliant / audited)
    women = sql.scalar("select sum(trainees) from training where gender = $g", {"g": second.role("gender", "women")})
    row = db.run_query(database, "headline_totals", filters.everything(second)).iloc[0]
    assert row["women_trained"] == women
    overseas = sql.scalar("select sum(volunteer_days) from volunteering where location = $l",
                          {"l": second.role("location", "overseas")})
    assert row["volunteer_days_overseas"] == overseas
    database.connection.close()


def test_the_explorer_groups_an_indicator_of_the_second_programme(second_dir, second):
    from impact.charts import catalog

    database = db.open_database(second_dir)
    sql = Independent(second_dir)
    with metrics.using(second):
        spec = catalog.chart("explore", {"metric": "prescribing_compliance", "by": "region"})
        frame = db.run_query(database, spec.query, spec.query_params(filters.everything(second)))
        rows = spec.rows(frame)
    expected = dict(sql.rows(
        "select c.region, sum(value) filter (where indicator = 'prescriptions_compliant') / "
        "sum(value) filter (where indicator = 'prescriptions_audited') "
        "from outcomes o join countries c using (iso3) group by 1"))
    assert dict(zip(rows["region"], rows["prescribing_compliance"])) == pytest.approx(expected)
    database.connection.close()


# ---- several programmes in one store ---------------------------------------------------------------

def test_the_store_lists_both_programmes_with_their_own_versions(two_programmes, definition, second):
    assert list(store.programmes(two_programmes)) == [definition.id, second.id]
    assert store.open_store(two_programmes).active().version == store.BASE_VERSION
    assert store.open_store(two_programmes, second.id).active().version != store.BASE_VERSION
    with pytest.raises(store.StoreError, match="no programme"):
        store.open_store(two_programmes, "nope").active()


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_the_second_programme(two_app, page, second, second_dir):
    at = make_app(page, query={"programme": [second.id]})
    assert not at.exception
    assert at.session_state["_programme"] == second.id


def test_the_overview_shows_each_programmes_own_figures_and_vocabularies(two_app, second, second_dir, definition,
                                                                         independent):
    theirs = Independent(second_dir)
    at = make_app(query={"programme": [second.id]})
    shown = metrics_shown(at)
    assert shown["Health workers trained"] == f"{theirs.scalar('select sum(trainees) from training'):,}"
    assert shown["Facilities with a stewardship programme"]
    assert second.name in at.title[0].value.replace("\\", "")
    theme_box = next(m for m in at.multiselect if m.label == "Theme")
    assert list(theme_box.options) == list(second.values("theme"))
    at = make_app()
    assert metrics_shown(at)["Health workers trained"] == f"{independent.scalar('select sum(trainees) from training'):,}"
    assert list(next(m for m in at.multiselect if m.label == "Theme").options) == list(definition.values("theme"))


def test_switching_programme_in_the_sidebar_keeps_it_in_the_link(two_app, second):
    at = make_app()
    at.selectbox(key="f_programme").select(second.id).run()
    assert not at.exception
    assert at.query_params["programme"] in (second.id, [second.id])
    assert second.name in at.title[0].value.replace("\\", "")


def test_an_unknown_programme_in_the_link_gets_a_notice(two_app, definition):
    at = make_app(query={"programme": ["nope<b>"]})
    assert at.session_state["_programme"] == definition.id
    assert any("Ignored the programme" in c.value for c in at.caption)


def test_portfolio_figures_equal_independent_per_programme_sums(two_programmes, fixture_dir, second_dir):
    databases = [db.open_database(store.open_store(two_programmes, pid).active().path) for pid in store.programmes(two_programmes)]
    scope = portfolio.Scope(first_year=2019, last_year=2024)
    totals = portfolio.totals(databases, scope)
    by_year = portfolio.by_year(databases, scope)
    for folder, database in zip((fixture_dir, second_dir), databases):
        sql = Independent(folder)
        name = database.programme.short_name
        expected = sql.scalar("select coalesce(sum(trainees), 0) from training "
                              "where period between date '2019-01-01' and date '2024-10-01'")
        assert totals.set_index("programme").loc[name, "trainees"] == expected
        per_year = dict(sql.rows("select cast(year(period) as varchar), sum(trainees) from training "
                                 "where period between date '2019-01-01' and date '2024-10-01' group by 1"))
        mine = by_year[(by_year["programme"] == name) & (by_year["trainees"] > 0)]
        assert dict(zip(mine["year"], mine["trainees"])) == per_year
    for database in databases:
        database.connection.close()


def test_portfolio_page_shows_the_sum_of_the_programmes(two_app, fixture_dir, second_dir):
    at = make_app("pages/portfolio.py")
    total = sum(Independent(d).scalar("select sum(trainees) from training") for d in (fixture_dir, second_dir))
    assert metrics_shown(at)["Health workers trained"] == f"{total:,}"
    assert len(at.get("plotly_chart")) == 4


def test_command_line_takes_the_programme(two_programmes, second, tmp_path, capsys):
    assert cli.main(["versions", "--data-dir", str(two_programmes)]) == 0
    listing = capsys.readouterr().out
    assert f"programme {second.id}:" in listing
    out = tmp_path / "chart.csv"
    assert cli.main(["export", "chart", "explore", "--option", "metric=facilities_with_stewardship", "--option",
                     "by=region", "--format", "csv", "--out", str(out), "--data-dir", str(two_programmes),
                     "--programme", second.id]) == 0
    assert "Facilities with a stewardship programme" in out.read_text(encoding="utf-8-sig")
    assert cli.main(["export", "chart", "explore", "--option", "metric=facilities_with_stewardship",
                     "--format", "csv", "--out", str(out), "--data-dir", str(two_programmes)]) == 2
    assert "unknown metric" in capsys.readouterr().err


# ---- no programme in code --------------------------------------------------------------------------

def _distinctive(programme: programmes.Programme) -> set[str]:
    """A programme's own words and figures: vocabulary values, phases, codes, names, published numbers."""
    structural = set(programme.home.sides) | set(programme.home.roles) | set(metrics.METRICS)
    words = {v for name in programme.vocabularies for v in programme.values(name)}
    words |= set(programme.phase_names) | {i.code for i in programme.indicators}
    words |= {programme.name, programme.funder, programme.managed_by}
    words |= {f"{r.value:,.0f}" for r in programme.reference_figures if r.value >= 1000}
    # Words that are also ordinary English or structural (a cadre "Doctor", a location "UK") are not evidence.
    return {w for w in words - structural if len(w) > 6 and " " in w or "_" in w or re.search(r"\d{2},\d{3}", w)}


def test_no_module_outside_the_generators_names_a_programme(definition):
    words = _distinctive(hps_definition()) | _distinctive(gsp.definition())
    words |= {"Health Partnership Scheme", "THET", "DFID", "HPS-0"}
    sources = [p for p in (ROOT / "impact").rglob("*.py") if not p.name.startswith("generate")]
    sources += list((ROOT / "pages").glob("*.py")) + list((ROOT / "queries").rglob("*.sql")) + [ROOT / "app.py"]
    found = [(p.name, w) for p in sources for w in sorted(words)
             if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", p.read_text(encoding="utf-8"))]
    assert found == []


def test_money_is_written_in_the_programmes_currency(second):
    import dataclasses

    from impact.model.metrics import excel_format, format_metric

    assert format_metric("budget_gbp", 30_000_000) == "£30m"  # the fixture programme pays in GBP
    with metrics.using(dataclasses.replace(second, currency="USD")):
        assert format_metric("budget_gbp", 1_250_000) == "$1.2m" and excel_format("money") == '"$"#,##0'
    with metrics.using(dataclasses.replace(second, currency="CHF")):
        assert format_metric("budget_gbp", 999) == "CHF 999"


def test_explore_dimensions_follow_the_definition(second):
    with metrics.using(second):
        view = explore.View(metric="trainees", by="theme", compare="phase").checked()
    assert (view.a, view.b) == second.phase_names[:2]


# ---- the blank template ------------------------------------------------------------------------------

def _fill_workbook(path: Path, tables: dict[str, list[list]]) -> None:
    from openpyxl import load_workbook

    book = load_workbook(path)
    for name, rows in tables.items():
        for row in rows:
            book[name].append(row)
    book.save(path)


def test_template_writes_a_definition_headers_and_a_workbook_with_dropdowns(tmp_path, second):
    from openpyxl import load_workbook

    from impact.ingest import template

    written = template.write(tmp_path / "blank")
    assert {p.name for p in written} == {programmes.FILE, template.WORKBOOK, *(f"{t}.csv" for t in schema.TABLE_NAMES)}
    assert programmes.load(tmp_path / "blank") == template.starter()
    for table in schema.TABLES:
        header = (tmp_path / "blank" / f"{table.name}.csv").read_text(encoding="utf-8-sig").strip()
        assert header == ",".join(table.column_names)
    template.write(tmp_path / "theirs", second)
    book = load_workbook(tmp_path / "theirs" / template.WORKBOOK)
    assert book.sheetnames[0] == template.INSTRUCTIONS and set(schema.TABLE_NAMES) <= set(book.sheetnames)
    lists = book[template.LISTS]
    columns = {lists.cell(row=1, column=c).value: c for c in range(1, lists.max_column + 1)}
    themes = [lists.cell(row=r, column=columns["theme"]).value for r in range(2, 2 + len(second.values("theme")))]
    assert themes == list(second.values("theme"))
    checks = {str(dv.sqref): dv for dv in book["projects"].data_validations.dataValidation}
    theme_check = next(dv for ref, dv in checks.items() if ref.startswith("C"))
    assert theme_check.type == "list" and theme_check.formula1.startswith(f"={template.LISTS}!")
    assert any(dv.type == "whole" for dv in book["training"].data_validations.dataValidation)
    with pytest.raises(ValueError, match="already holds"):
        template.write(tmp_path / "blank")


def test_template_round_trips_through_import_and_export(fixture_dir, definition, tmp_path):
    import pyarrow.parquet as pq

    from impact.ingest import template

    folder = tmp_path / "filled"
    template.write(folder, definition)
    tables = {}
    for name in schema.TABLE_NAMES:
        table = pq.read_table(fixture_dir / f"{name}.parquet")
        tables[name] = [list(row.values()) for row in table.to_pylist()]
    _fill_workbook(folder / template.WORKBOOK, tables)
    empty_store = tmp_path / "store"
    result = extract_io.import_extract(folder, empty_store)
    assert result.ok, result.report.to_text()
    out = tmp_path / "out"
    extract_io.export_extract("parquet", out, store.open_store(empty_store, definition.id))
    for name in schema.TABLE_NAMES:
        assert pq.read_table(out / f"{name}.parquet").equals(pq.read_table(fixture_dir / f"{name}.parquet")), name
    assert programmes.load(out) == definition


def _small_programme(tmp_path: Path) -> tuple[Path, programmes.Programme]:
    """A manager's own small programme, typed into the template's CSV files."""
    import csv as csvlib
    import dataclasses

    from impact.ingest import template

    folder = tmp_path / "mine"
    template.write(folder)
    mine = dataclasses.replace(template.starter(), id="pilot", name="Pilot Partnerships", short_name="Pilot")
    mine.write(folder)
    (folder / template.WORKBOOK).unlink()  # the CSV files are filled in instead
    p, t = mine.phases, mine.values
    rows = {
        "countries": [["PER", "Peru", t("region")[0]], ["FJI", "Fiji", t("region")[1]]],
        "institutions": [["I-1", "A UK trust", "UK", t("institution_type")[0], "GBR"],
                         ["I-2", "A hospital in Lima", "Overseas", t("institution_type")[0], "PER"],
                         ["I-3", "A university in Suva", "Overseas", t("institution_type")[1], "FJI"]],
        "projects": [["P-1", "First pilot", t("theme")[0], t("grant_type")[0], p[0].name, "PER", "I-1", "I-2",
                      "2024-01-01", "2025-06-30", "120000"],
                     ["P-2", "Second pilot", t("theme")[1], t("grant_type")[1], p[1].name, "FJI", "I-1", "I-3",
                      "2026-01-01", "2027-12-31", "80000"]],
        "project_partners": [["P-1", "I-1", "UK lead"], ["P-1", "I-2", "Overseas lead"],
                             ["P-2", "I-1", "UK lead"], ["P-2", "I-3", "Overseas lead"]],
        "training": [["P-1", "PER", "2024-04-01", t("cadre")[0], t("gender")[0], t("training_type")[0], "40"],
                     ["P-1", "PER", "2024-07-01", t("cadre")[1], t("gender")[1], t("training_type")[1], "12"],
                     ["P-2", "FJI", "2026-04-01", t("cadre")[0], t("gender")[0], t("training_type")[2], "25"]],
        "volunteering": [["P-1", "PER", "2024-04-01", t("location")[0], t("profession")[0], "2", "20"],
                         ["P-2", "FJI", "2026-04-01", t("location")[1], t("profession")[1], "3", "9"]],
        "outcomes": [["P-1", "PER", "2024-07-01", "patients_reached", "300"],
                     ["P-1", "PER", "2024-07-01", "facilities_supported", "2"],
                     ["P-1", "PER", "2024-10-01", "facilities_supported", "3"],
                     ["P-2", "FJI", "2026-04-01", "staff_surveyed", "10"],
                     ["P-2", "FJI", "2026-04-01", "staff_new_skills", "7"]],
        "partnership_scores": [["P-1", t("principle")[0], "4"], ["P-1", t("principle")[1], "3"]],
    }
    for name, data in rows.items():
        with open(folder / f"{name}.csv", "a", encoding="utf-8", newline="") as handle:
            csvlib.writer(handle).writerows(data)
    return folder, mine


def test_a_managers_own_programme_from_the_template_reaches_every_page_and_a_deck(data_store, tmp_path, monkeypatch):
    from pptx import Presentation

    folder, mine = _small_programme(tmp_path)
    assert cli.main(["import", str(folder), "--data-dir", str(data_store), "--programme", "pilot"]) == 0
    monkeypatch.setenv("IMPACT_DATA_DIR", str(data_store))
    st.cache_data.clear()
    st.cache_resource.clear()
    for page in PAGES:
        at = make_app(page, query={"programme": ["pilot"]})
        assert at.session_state["_programme"] == "pilot"
    at = make_app(query={"programme": ["pilot"]})
    shown = metrics_shown(at)
    assert shown["Health workers trained"] == "77" and shown["Facilities supported"] == "3"
    assert shown["Staff with new skills"] == "70%"
    at = make_app("pages/explore.py", query={"programme": ["pilot"], "metric": ["patients_reached"], "by": ["country"]})
    assert not at.exception and not [c for c in at.caption if "Ignored" in c.value]
    deck = tmp_path / "pilot.pptx"
    assert cli.main(["export", "deck", "--out", str(deck), "--data-dir", str(data_store), "--programme", "pilot"]) == 0
    text = " ".join(shape.text_frame.text for slide in Presentation(deck).slides for shape in slide.shapes
                    if shape.has_text_frame)
    assert "Pilot Partnerships" in text or "pilot" in text.lower()
    at = make_app()  # a link without ?programme= is the store's own programme again
    assert at.session_state["_programme"] != "pilot"
    st.cache_data.clear()
    st.cache_resource.clear()


def test_a_store_from_before_definitions_keeps_working(fixture_dir, tmp_path, monkeypatch, independent, definition):
    root = make_store(fixture_dir, tmp_path / "old")
    (root / programmes.FILE).unlink()
    assert list(store.programmes(root)) == [programmes.INFERRED_ID]
    inferred = store.load_definition(root)
    assert set(inferred.values("theme")) == {t for (t,) in independent.rows("select distinct theme from projects")}
    assert set(inferred.phase_names) == set(definition.phase_names)
    monkeypatch.setenv("IMPACT_DATA_DIR", str(root))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = make_app()
    assert metrics_shown(at)["Health workers trained"] == f"{independent.scalar('select sum(trainees) from training'):,}"
    out = tmp_path / "out"
    extract_io.export_extract("csv", out, store.open_store(root))
    assert programmes.load(out) == inferred  # written out, to be edited and imported
    result = extract_io.import_extract(out, root)
    assert result.ok, result.report.to_text()
    st.cache_data.clear()
    st.cache_resource.clear()
