"""Flags in the reader's language: a validation rule's message as the definition's `translations.LANG.rules` gives
it (English where a language has none), an unusual value's and a bound's message in the catalogue's words with the
locale's numbers; the record keeps English. A French partner sends an unusual return and sees the warning in
French on the page."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import streamlit as st

from impact.model import i18n
from impact.model import programme as programmes
from impact.reporting import checks, partners
from impact.storage import store
from tests.conftest import ROOT
from tests.test_checks import _flagged_pick, _unusual
from tests.test_partners import _partner_signs_in, _serve, account
from tests.test_returns import rows_of


def _english(number: float, decimals: int | None = None) -> str:
    """A number as a flag writes it in English: whole, else with two decimals (or `decimals`)."""
    decimals = decimals if decimals is not None else 0 if float(number).is_integer() else 2
    return f"{number:,.{decimals}f}"


def _french(number: float, decimals: int | None = None) -> str:
    """The same as French writes it: narrow no-break spaces between thousands, a decimal comma."""
    return _english(number, decimals).replace(",", "\u202f").replace(".", ",")


def _outlier(data_store, project, period):
    """The trainees of the unusual return, their median over the project's earlier quarters and how many there are
    (plain pandas over the Parquet files)."""
    training = pd.read_parquet(data_store / "training.parquet")
    mine = training[training.project_id == project]
    earlier = mine[mine.period < period].groupby("period")["trainees"].sum()
    now = rows_of(data_store, project, period)["training"]
    return sum(int(r["trainees"]) * 40 + 1 for r in now), float(earlier.median()), len(earlier)


def test_an_unusual_value_is_said_in_french_and_kept_in_english(data_store, picks, definition):
    project, period = _flagged_pick(data_store, picks)
    partner = account(data_store, [project])
    held = store.open_store(data_store)
    first = partners.submit(held, partner, "big.xlsx", _unusual(data_store, project, period))
    flag = next(f for f in first.flags if f.key == "outlier:trainees")
    value, median, count = _outlier(data_store, project, period)
    assert flag.message == (f"Health workers trained is {value:,}, far above what this project usually reports "
                            f"(median {_english(median)} over its {count} earlier quarters) ({value / median:.1f} times "
                            "the usual). Check it, or say why.")
    assert checks.say(flag, definition, "fr") == (
        f"Agents de santé formés vaut {_french(value)}, bien au-dessus de ce que ce projet déclare d'habitude "
        f"(médiane {_french(median)} sur ses {count} trimestres précédents) ({_french(value / median, 1)} fois "
        "l'habituel). Vérifiez-le, ou dites pourquoi.")
    assert checks.say(flag.to_dict(), definition, "en") == flag.message  # as a record keeps it, said again
    old = {k: v for k, v in flag.to_dict().items() if k != "facts"}  # a flag recorded before facts were kept
    assert checks.say(old, definition, "fr") == flag.message


def test_a_rules_message_comes_from_the_definitions_translations(fixture_dir, definition):
    raw = json.loads((fixture_dir / programmes.FILE).read_text(encoding="utf-8"))
    rule = next(r for r in raw["validation_rules"] if r["id"] == "women-within-trained")
    (flag,) = checks.rule_flags({"women_trained": 12.0, "trainees": 5.0}, definition)
    assert flag.message == rule["message"] and flag.value == "12 <= 5 is false"
    assert checks.say(flag, definition, "fr") == raw["translations"]["fr"]["rules"]["women-within-trained"]
    assert checks.say(flag, definition, "pt") == raw["translations"]["pt"]["rules"]["women-within-trained"]
    assert checks.say(flag, definition, "es") == rule["message"]  # the HPS has no Spanish: its own words
    with i18n.using("fr"):
        assert checks.say(flag, definition) == raw["translations"]["fr"]["rules"]["women-within-trained"]


def test_a_bound_is_said_in_portuguese(definition):
    changed = programmes.parse({**json.loads(definition.to_json()),
                                "outliers": {"threshold": 3.5, "min_history": 4, "bounds": {"trainees": {"max": 1000}}}})
    (flag,) = [f for f in checks.outlier_flags({"trainees": 12345.0}, pd.DataFrame(columns=["period", "name", "value"]),
                                               changed) if f.kind == "bounds"]
    assert flag.message == ("Health workers trained is 12,345, outside the programme's bounds (… to 1,000) for one "
                            "project's quarter.")
    assert checks.say(flag, changed, "pt") == ("Profissionais de saúde formados é 12.345, fora dos limites do programa "
                                               "(… a 1.000) para o trimestre de um projeto.")


def test_the_programme_check_lists_the_rules_without_a_translation():
    raw = json.loads((ROOT / "data" / programmes.FILE).read_text(encoding="utf-8"))
    raw["translations"]["fr"]["rules"].pop("days-per-placement")
    missing = programmes.parse(raw).missing_translations()
    assert "translations.fr.rules.days-per-placement" in missing["fr"]
    assert not [m for m in missing["pt"] if ".rules." in m]
    assert {f"translations.es.rules.{r['id']}" for r in raw["validation_rules"]} <= set(missing["es"])


@pytest.fixture
def _caches():
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def test_a_french_partner_sees_a_french_warning_on_an_unusual_value(data_store, picks, monkeypatch, _caches):
    from tests.conftest import make_app
    from tests.test_returns import returns_xlsx

    project, period = _flagged_pick(data_store, picks)
    partner = account(data_store, [project])
    _serve(data_store, monkeypatch)
    at = make_app("pages/partnerships.py", {"project": project})
    _partner_signs_in(at, partner.email)
    at.selectbox(key="language_choice").select("fr").run()  # the partner switches the page to French
    at.selectbox(key="return_quarter").set_value(period)
    at.run()
    at.file_uploader(key="partner_upload").set_value(("inhabituel.xlsx", _unusual(data_store, project, period),
                                                      returns_xlsx()))
    at.run()
    words = i18n.translator("fr")
    next(b for b in at.button if b.label == words.gettext("Send the return")).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    value, median, count = _outlier(data_store, project, period)
    said = [m.value.replace("\\", "") for m in at.markdown]
    expected = (f"Agents de santé formés vaut {_french(value)}, bien au-dessus de ce que ce projet déclare "
                f"d'habitude (médiane {_french(median)} sur ses {count} trimestres précédents)")
    assert any(expected in m for m in said), [m for m in said if "Agents" in m or "flag" in m.lower()] or said[-8:]
    assert not any("far above what this project usually reports" in m for m in said)
    assert partners.submissions(store.open_store(data_store)) == []  # nothing kept before it is explained


def test_return_import_says_its_warnings_in_english_unless_asked(data_store, picks, tmp_path, capsys):
    import shutil

    from impact import cli

    project, period = _flagged_pick(data_store, picks)
    path = tmp_path / "unusual.xlsx"
    path.write_bytes(_unusual(data_store, project, period))
    value, median, count = _outlier(data_store, project, period)
    said = {}
    for language in ("en", "fr"):
        root = shutil.copytree(data_store, tmp_path / f"store-{language}")  # the same store and signing key
        args = ["return", "import", str(path), "--data-dir", str(root)] + (["--lang", language] if language != "en"
                                                                            else [])
        assert cli.main(args) == 0
        said[language] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("warning:")]
    assert any(f"Health workers trained is {value:,}, far above" in line for line in said["en"])
    assert any(f"Agents de santé formés vaut {_french(value)}, bien au-dessus" in line for line in said["fr"])
    assert len(said["fr"]) == len(said["en"])
