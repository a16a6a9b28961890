"""The programme definition's checks as one declared schema (issue 24): impact/model/programme.schema.json says
every key, its form and its meaning; the shipped definitions validate against it; no key goes undeclared; a
schema error is said as a located message; what a schema cannot say is a declared semantic check."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest

from impact import cli
from impact.model import programme as programmes
from impact.model.dictionary import markdown
from tests.conftest import ROOT

SHIPPED = [ROOT / "data" / programmes.FILE, *sorted((ROOT / "data" / "programmes").glob(f"*/{programmes.FILE}"))]
SCHEMA_PATH = ROOT / "impact" / "model" / "programme.schema.json"


def _shipped(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _hps() -> dict:
    return _shipped(SHIPPED[0])


def _refused(data) -> list[tuple[str, str]]:
    with pytest.raises(programmes.DefinitionError) as refused:
        programmes.parse(data)
    return refused.value.problems


# ---- the schema and the shipped definitions -----------------------------------------------------------

def test_the_schema_is_a_valid_draft_2020_12_schema_shipped_in_the_package():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert programmes.SCHEMA == schema and programmes.SCHEMA_FILE == SCHEMA_PATH


@pytest.mark.parametrize("path", SHIPPED, ids=[str(p.relative_to(ROOT)) for p in SHIPPED])
def test_the_shipped_definitions_validate(path):
    data = _shipped(path)
    # plain jsonschema, without this module's formats and number rules, takes it too
    assert list(jsonschema.Draft202012Validator(programmes.SCHEMA).iter_errors(data)) == []
    assert programmes.problems(data) == []
    parsed = programmes.parse(data)
    assert parsed.id == data["id"] and parsed.values("theme") == tuple(
        t if isinstance(t, str) else t["value"] for t in data["vocabularies"]["theme"])
    assert len(SHIPPED) >= 2  # the HPS and GSP at least


def _object_schemas(node, where="#"):
    """Every schema of an object in the schema document (its $defs too), with where it is."""
    if isinstance(node, dict):
        if node.get("type") == "object" or "properties" in node:
            yield where, node
        for key, value in node.items():
            if key not in ("enum", "default", "x-message", "const", "if", "then"):  # values and conditions
                yield from _object_schemas(value, f"{where}/{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from _object_schemas(value, f"{where}/{n}")


def test_no_object_of_the_schema_takes_an_undeclared_key_silently():
    """An object either lists its keys (additionalProperties false) or says what every key it names must be."""
    objects = list(_object_schemas(programmes.SCHEMA))
    assert len(objects) > 20
    open_ = [where for where, node in objects
             if node.get("additionalProperties") is not False and not isinstance(node.get("additionalProperties"), dict)]
    assert open_ == [], open_


def _objects_of(value, path=()):
    """Every JSON object in a definition, with its key path."""
    if isinstance(value, dict):
        yield path, value
        for key, item in value.items():
            yield from _objects_of(item, (*path, key))
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _objects_of(item, (*path, n))


def _where(path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


@pytest.mark.parametrize("path", SHIPPED, ids=[str(p.relative_to(ROOT)) for p in SHIPPED])
def test_every_key_a_shipped_definition_uses_is_declared_and_an_unknown_one_is_refused_where_it_is(path):
    data = _shipped(path)
    places = list(_objects_of(data))
    assert len(places) > 30
    for keys, _ in places:
        broken = copy.deepcopy(data)
        target = broken
        for key in keys:
            target = target[key]
        target["zz_unknown"] = {"zz": 1}
        where = _where((*keys, "zz_unknown"))
        found = dict(_refused(broken))
        assert where in found, (where, found)
    # and every key it uses is a declared one: its path, list items as [], is a declared path (* a named key)
    declared = [re.compile(re.escape(p).replace(r"\*", r"[^.]+")) for p, _, _ in programmes.declared_keys()]
    for keys, item in places:
        for key in item:
            general = "".join("[]" if isinstance(k, int) else f".{k}" for k in (*keys, key)).lstrip(".")
            # the values of every vocabulary and disaggregation are written alike: declared once, under theme
            general = re.sub(r"^(vocabularies\.[^.\[]+|disaggregations\[\]\.values)\[\]", "vocabularies.theme[]",
                             general)
            assert any(pattern.fullmatch(general) for pattern in declared), general


# ---- schema errors as located messages ------------------------------------------------------------------

def _with(change):
    data = _hps()
    change(data)
    return data


SCHEMA_ERRORS = [
    ("fiscal-year-as-text", lambda d: d.update(fiscal_year_start="4"), "fiscal_year_start", "is not a month"),
    ("whole-number-written-as-float", lambda d: d.update(fiscal_year_start=4.0), "fiscal_year_start", "not a month"),
    ("illustrative-as-text", lambda d: d.update(illustrative="yes"), "illustrative", "true or false"),
    ("name-missing", lambda d: d.pop("name"), "name", "is missing; give it as text"),
    ("name-null", lambda d: d.update(name=None), "name", "is missing"),
    ("start-a-number", lambda d: d.update(start=2011), "start", "must be text"),
    ("start-not-a-date", lambda d: d.update(start="2011-02-30"), "start", "is not a date; write it as YYYY-MM-DD"),
    ("phase-without-a-last-day", lambda d: d["phases"][0].pop("last_day"), "phases[0].last_day",
     "write the date as YYYY-MM-DD"),
    ("phase-with-a-colour", lambda d: d["phases"][1].update(colour="red"), "phases[1].colour",
     "is not a field of a phase; the fields are first_day, last_day, name"),
    ("phases-empty", lambda d: d.update(phases=[]), "phases", "at least one phase"),
    ("term-a-number", lambda d: d["vocabularies"]["theme"].append(7), "vocabularies.theme[11]",
     "must be a value (text) or an object with 'value'"),
    ("term-without-value", lambda d: d["vocabularies"]["theme"].append({"description": "x"}),
     "vocabularies.theme[11].value", "is missing"),
    ("indicator-with-a-typo", lambda d: d["indicators"][0].update(how_countd="x"), "indicators[0].how_countd",
     "is not a field of an indicator"),
    ("ratio-without-parts", lambda d: d["indicators"][0].update(aggregation="ratio"), "indicators[0].numerator",
     "is missing; give it as text"),
    ("headline-as-text", lambda d: d["indicators"][0].update(headline="no"), "indicators[0].headline", "true or false"),
    ("figure-value-as-text", lambda d: d["reference_figures"][0].update(value="93112"),
     "reference_figures[0].value", "must be a finite number"),
    ("figure-value-true", lambda d: d["reference_figures"][0].update(value=True), "reference_figures[0].value",
     "must be a finite number"),
    ("qualifier-unknown", lambda d: d["reference_figures"][0].update(qualifier="roughly"),
     "reference_figures[0].qualifier", "'roughly' must be one of over, more than"),
    ("band-to-as-text", lambda d: d["results"]["bands"][0].update(to="75"), "results.bands[0].to", "finite number"),
    ("rule-side-an-object", lambda d: d["validation_rules"][0].update(left={"a": 1}), "validation_rules[0].left",
     "must be a number, a metric or indicator name, or a list of up to 20 names"),
    ("rule-side-an-empty-list", lambda d: d["validation_rules"][0].update(right=[]), "validation_rules[0].right",
     "list of up to 20 names"),
    ("rule-not-an-object", lambda d: d["validation_rules"].append(5), "validation_rules[3]", "must be an object"),
    ("rate-of-a-year-out-of-range", lambda d: d["iati"].update(exchange_rates={"USD": {"1850": 0.8}}),
     "iati.exchange_rates.USD.1850", "is not a year"),
    ("sector-code-not-five-digits", lambda d: d["iati"]["sectors"].update({"Child health": "121"}),
     "iati.sectors.Child health", "is not a DAC 5-digit purpose code"),
    ("project-fields-not-a-list", lambda d: d.update(publish={"project_fields": "title"}), "publish.project_fields",
     "must be a list of project fields (title, theme"),
    ("unknown-vocabulary", lambda d: d["vocabularies"].update(colour=["Red"]), "vocabularies.colour",
     "is not a vocabulary; the vocabularies are cadre, gender"),
    ("too-many-rules", lambda d: d.update(validation_rules=[
        {"id": f"r{n}", "left": "trainees", "operator": "<", "right": 1, "message": "m"} for n in range(201)]),
     "validation_rules", "at most 200"),
]


@pytest.mark.parametrize(("case", "change", "where", "says"), SCHEMA_ERRORS, ids=[c[0] for c in SCHEMA_ERRORS])
def test_a_schema_error_is_said_with_its_key_path_in_plain_words(case, change, where, says):
    problems = _refused(_with(change))
    found = dict(problems)
    assert where in found and says in found[where], problems
    for _, message in problems:  # never jsonschema's own wording or a Python repr of the schema
        assert "valid under" not in message and "Failed validating" not in message and "{'" not in message
        assert "is not of type" not in message and "is a required property" not in message


def test_one_problem_is_said_per_key():
    problems = _refused(_with(lambda d: d["indicators"][0].update(code=" Staff trained")))
    assert [w for w, _ in problems].count("indicators[0].code") == 1
    assert dict(problems)["indicators[0].code"] == "' Staff trained' has a space at its start or end; remove it"


def test_a_definition_that_is_not_an_object_is_refused_as_the_file():
    assert _refused([1, 2]) == [("(file)", "must hold one JSON object")]
    assert _refused("hps") == [("(file)", "must hold one JSON object")]


# ---- what a schema cannot say: the semantic checks, one declared list -------------------------------------

SEMANTIC = {
    "_window": (lambda d: d.update(end="2010-01-01"), "end", "is before the programme's start"),
    "_phases": (lambda d: d["phases"][1].update(name=d["phases"][0]["name"]), "phases[1].name", "is listed twice"),
    "_values": (lambda d: d["vocabularies"].update(gender=[{"value": "Female", "role": "women"},
                                                           {"value": "Woman", "role": "women"}]),
                "vocabularies.gender", "the role 'women' is given to 2 values"),
    "_indicators": (lambda d: d["indicators"][0].update(code="trainees"), "indicators[0].code",
                    "already a metric counted by the dashboard"),
    "_figures": (lambda d: d["reference_figures"][0].update(metric="patients"), "reference_figures[0].metric",
                 "'patients' is not a metric of this programme"),
    "_bands": (lambda d: d["results"].update(bands=[{"score": "A", "from": 5}]), "results.bands", "must start at 0"),
    "_disaggregation_keys": (lambda d: d.update(disaggregations=[
        {"key": "theme", "label": "Theme", "tables": ["training"], "values": ["x"]}]), "disaggregations[0].key",
        "already has a meaning"),
    "_iati_themes": (lambda d: d["iati"].update(fallback_theme="Dentistry"), "iati.fallback_theme",
                     "'Dentistry' is not a theme of vocabularies.theme"),
    "_iati_regions": (lambda d: d["iati"].update(regions={"289": "Atlantis"}), "iati.regions.289",
                      "'Atlantis' is not a region of vocabularies.region"),
    "_home_sides": (lambda d: d.update(home={"countries": ["DEU"], "sides": {"home": "Germany", "overseas": "GERMANY"}}),
                    "home.sides.overseas", "is also the home side's label"),
    "_translated": (lambda d: d.update(translations={"fr": {"terms": {"theme": {"Dentistry": "Dentisterie"}}}}),
                    "translations.fr.terms.theme.Dentistry", "is not a value of the vocabulary theme"),
    "_public_fields": (lambda d: d.update(publish={"project_fields": ["title", "title"]}), "publish.project_fields[1]",
                       "'title' is listed twice"),
    "_rules": (lambda d: d["validation_rules"][0].update(left=1, right=2), "validation_rules[0]",
               "compares two numbers"),
    "_outlier_names": (lambda d: d["outliers"].update(bounds={"patients": {"max": 3}}), "outliers.bounds.patients",
                       "is not a metric of a return or a reported indicator"),
}


def test_every_semantic_check_is_declared_with_what_it_says_and_has_a_case_here():
    assert [check.find.__name__ for check in programmes.SEMANTIC_CHECKS] == list(SEMANTIC)
    assert all(check.says.endswith(".") and len(check.says) > 30 for check in programmes.SEMANTIC_CHECKS)


@pytest.mark.parametrize("name", list(SEMANTIC))
def test_a_semantic_check_refuses_with_its_field(name):
    change, where, says = SEMANTIC[name]
    data = _with(change)
    assert list(jsonschema.Draft202012Validator(programmes.SCHEMA).iter_errors(data)) == []  # the schema takes it
    found = dict(_refused(data))
    assert where in found and says in found[where], found


BREAKS = [5, "x", [], {"zz": 1}, None, True]


def test_any_value_in_any_place_is_refused_or_taken_never_a_crash():
    """Every key of the shipped definition (and every item of its lists) given each of BREAKS: the semantic checks
    read only what the schema took, so the answer is a Programme or a DefinitionError, never another exception."""
    data = _hps()
    places = [keys for keys, _ in _objects_of(data) if not any(isinstance(k, int) and k > 0 for k in keys)]
    seen = 0
    for keys in places:
        target = data
        for key in keys:
            target = target[key]
        spots = [(key, None) for key in list(target)[:10]]
        spots += [(key, 0) for key, value in target.items() if isinstance(value, list) and value]  # a list's item
        for key, item in spots:
            for value in BREAKS:
                broken = copy.deepcopy(data)
                spot = broken
                for k in keys:
                    spot = spot[k]
                if item is None:
                    spot[key] = value
                else:
                    spot[key][item] = value
                try:
                    programmes.parse(broken)
                except programmes.DefinitionError as refused:
                    assert refused.problems and all(isinstance(w, str) and m for w, m in refused.problems)
                seen += 1
    assert seen > 500


# ---- the command line, the dictionary --------------------------------------------------------------------

def test_programme_schema_prints_the_schema_and_writes_it(capsys, tmp_path):
    assert cli.main(["programme", "schema"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    out = tmp_path / "programme.schema.json"
    assert cli.main(["programme", "schema", "--out", str(out)]) == 0
    assert out.read_bytes() == SCHEMA_PATH.read_bytes() and str(out) in capsys.readouterr().out


def test_programme_check_says_a_schema_error_with_its_file_and_key_path(capsys, tmp_path):
    data = _hps()
    data["indicators"][3]["aggregation"] = "median"
    data["phases"][0]["colour"] = "red"
    path = tmp_path / programmes.FILE
    path.write_text(json.dumps(data), encoding="utf-8")
    assert cli.main(["programme", "check", str(path)]) == 2
    error = capsys.readouterr().err
    assert "programme.json: " in error
    assert "indicators[3].aggregation: 'median' is not an aggregation; use one of sum, ratio, latest" in error
    assert "phases[0].colour: is not a field of a phase" in error and "Traceback" not in error
    path.write_text(json.dumps(_hps()), encoding="utf-8")
    assert cli.main(["programme", "check", str(path)]) == 0 and "no problems" in capsys.readouterr().out


def test_an_editor_can_point_a_definition_at_the_schema():
    data = {"$schema": "../impact/model/programme.schema.json", **_hps()}
    assert programmes.parse(data) == programmes.parse(_hps())


def test_the_dictionary_documents_every_declared_key_with_its_description():
    text = markdown()
    rows = programmes.declared_keys()
    assert len(rows) > 100
    for path, declared, required in rows:
        assert f"| `{path}` | {'yes' if required else ''} |" in text, path
        assert declared["description"].split("`")[0][:40] in text, path
    for check in programmes.SEMANTIC_CHECKS:
        assert f"- {check.says}" in text
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "impact/model/programme.schema.json" in readme and "python -m impact programme schema" in readme


def test_the_product_s_lists_are_read_from_the_schema():
    indicator = programmes.declared("indicators", "aggregation")
    assert programmes.AGGREGATIONS == tuple(indicator["enum"]) == ("sum", "ratio", "latest")
    assert tuple(programmes.VOCABULARIES) == tuple(programmes.SCHEMA["properties"]["vocabularies"]["required"])
    assert programmes.IATI_CHOICES["hierarchy"] == programmes.declared("iati", "hierarchy")["description"]
    assert programmes.SUPPRESS_MAX == 1000 and programmes.RULES_MAX == 200


def test_the_data_page_shows_every_key_of_the_schema_and_offers_it(app_data):
    from tests.conftest import make_app

    at = make_app("pages/data.py")
    frames = [d.value for d in at.dataframe]
    keys = next(f for f in frames if list(f.columns) == ["key", "required", "form", "meaning"])
    raw = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))  # read here, apart from the module
    top = keys[~keys["key"].str.contains(r"[.\[]")]
    assert list(top["key"]) == list(raw["properties"])
    assert list(top["meaning"]) == [item["description"] for item in raw["properties"].values()]
    assert set(top.loc[top["required"], "key"]) == set(raw["required"])
    row = keys[keys["key"] == "indicators[].aggregation"].iloc[0]
    assert row["form"].startswith("one of `sum`, `ratio`, `latest`") and not row["required"]
    assert keys["key"].is_unique and len(keys) == len(programmes.declared_keys())
    says = [m.value for m in at.markdown]
    assert all(f"- {check.says}" in says for check in programmes.SEMANTIC_CHECKS)
    buttons = [b.proto for b in at.get("download_button")]
    assert any(b.label == "Download the schema (programme.schema.json)" for b in buttons)


def test_the_schema_file_declares_each_key_once():
    """A key written twice in the schema (two `$defs` of one name) would silently keep only the last."""
    def no_repeat(pairs):
        keys = [k for k, _ in pairs]
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        assert not repeated, f"written twice in programme.schema.json: {repeated}"
        return dict(pairs)

    json.loads(programmes.SCHEMA_FILE.read_text(encoding="utf-8"), object_pairs_hook=no_repeat)
