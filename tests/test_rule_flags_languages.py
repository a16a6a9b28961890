"""A broken rule read in the reader's language: the record keeps the comparison's numbers and operator (and its
English words, as recorded before), and every view says it again in French, Portuguese or Spanish — a flag recorded
in one language shows in another; a flag recorded before the numbers were kept is read back from its English."""

from __future__ import annotations

import csv
import json

import pandas as pd

from impact import cli
from impact.model import i18n
from impact.reporting import checks, follow_up, partners, returns
from impact.storage import store
from tests.test_partners import account
from tests.test_returns import fill, rows_of

# 1,234 <= 5, as each language writes it (French: a narrow no-break space between thousands)
SAID = {"en": "1,234 <= 5 is false", "fr": "1\u202f234 ≤ 5 : faux", "pt": "1.234 ≤ 5: falso",
        "es": "1.234 ≤ 5: falso"}


def _broken(definition):
    """The women-within-trained rule broken: 1,234 women trained of 5 trainees, recorded as a return keeps it."""
    (flag,) = checks.rule_flags({"women_trained": 1234.0, "trainees": 5.0}, definition)
    return json.loads(json.dumps(flag.to_dict()))  # through JSON, as the return's record holds it


def test_the_record_keeps_the_numbers_and_each_language_says_them(definition):
    kept = _broken(definition)
    assert kept["facts"] == {"rule": "women-within-trained", "left": 1234.0, "operator": "<=", "right": 5.0}
    assert kept["value"] == SAID["en"] and kept["expected"] == "women_trained <= trainees"
    for language, said in SAID.items():
        assert checks.said_numbers(kept, language) == (said, "women_trained <= trainees")


def test_a_flag_recorded_in_french_shows_in_portuguese(definition):
    with i18n.using("fr"):  # a French partner's session records it: the record is the same
        (flag,) = checks.rule_flags({"women_trained": 1234.0, "trainees": 5.0}, definition)
        assert checks.said_numbers(flag) == (SAID["fr"], "women_trained <= trainees")
    assert flag.to_dict() == _broken(definition)
    with i18n.using("pt"):
        assert checks.said_numbers(flag.to_dict())[0] == SAID["pt"]


def test_a_flag_recorded_before_the_numbers_were_kept_is_read_from_its_english(definition):
    old = {**_broken(definition), "facts": {"rule": "women-within-trained"}}
    for language, said in SAID.items():
        assert checks.said_numbers(old, language)[0] == said
    decimals = {**old, "value": "12.50 > 3 is false"}
    assert checks.said_numbers(decimals, "fr")[0] == "12,50 > 3 : faux"
    unknown = {**old, "value": "something else"}  # nothing to read back: shown as recorded
    assert checks.said_numbers(unknown, "fr")[0] == "something else"


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(data.decode("utf-8-sig").splitlines()))


def test_the_teams_flag_table_and_csv_say_a_recorded_rule_in_each_language(definition):
    item = {"project": "HPS-001", "quarter": "2016Q2", "return": "r1", "state": "submitted",
            "explanation": "Des stages sans jours.", **_broken(definition)}
    english = _rows(checks.flags_csv([item], definition))
    assert english[1][english[0].index("value")] == SAID["en"]
    headings = {"fr": "valeur", "pt": "valor", "es": "valor"}
    for language, heading in headings.items():
        with i18n.using(language):  # the approval queue's table, the digest's and `flags --lang`'s CSV
            frame = checks.flags_frame([item], definition)
            rows = _rows(checks.flags_csv([item], definition))
        assert frame.loc[0, "value"] == SAID[language] and frame.loc[0, "expected"] == "women_trained <= trainees"
        assert rows[1][rows[0].index(heading)] == SAID[language]
        assert rows[1][rows[0].index(i18n.translator(language).gettext("explanation"))] == "Des stages sans jours."


def test_a_stored_returns_broken_rule_reads_in_french_on_the_command_line(data_store, picks, tmp_path):
    """A rule the fixture's return breaks (at most one health worker trained a quarter), recorded when the partner
    sends the return, written by `flags --lang fr` in French from the record's facts."""
    raw = json.loads((data_store / "programme.json").read_text(encoding="utf-8"))
    raw["validation_rules"].append({"id": "one-trained", "left": "trainees", "operator": "<=", "right": 1,
                                    "message": "At most one health worker trained a quarter.", "importance": "low"})
    (data_store / "programme.json").write_text(json.dumps(raw), encoding="utf-8")
    project, period = picks[0]
    held = store.open_store(data_store)
    book = fill(returns.workbook(project, period, held), rows_of(held.active().path, project, period))
    training = pd.read_parquet(data_store / "training.parquet")
    trained = int(training[(training.project_id == project) & (training.period == period)]["trainees"].sum())
    assert trained > 1
    partner = account(data_store, [project])
    first = partners.submit(held, partner, "q.xlsx", book)
    flag = next(f for f in first.flags if f.key == "rule:one-trained")
    assert flag.facts == {"rule": "one-trained", "left": float(trained), "operator": "<=", "right": 1.0}
    assert partners.submit(held, partner, "q.xlsx", book, explanations={f.key: "Une campagne." for f in first.flags}).ok
    english = _rows(follow_up.flags_csv(held))
    assert [r[english[0].index("value")] for r in english[1:] if r[english[0].index("names")] == "trainees <= 1"] == [
        f"{trained:,} <= 1 is false"]
    out = tmp_path / "flags-fr.csv"
    assert cli.main(["flags", "--out", str(out), "--data-dir", str(data_store), "--lang", "fr"]) == 0
    rows = _rows(out.read_bytes())
    found = [r[rows[0].index("valeur")] for r in rows[1:] if r[rows[0].index("ce qui est vérifié")] == "trainees <= 1"]
    assert found == [f"{trained:,} ≤ 1 : faux".replace(",", "\u202f")]


# What a flag reads, as each language names it (the metrics' labels; the rule's two sides with its sign).
NAMED = {"en": ("Health workers trained", "Women trained <= Health workers trained"),
         "fr": ("Agents de santé formés", "Femmes formées ≤ Agents de santé formés"),
         "pt": ("Profissionais de saúde formados", "Mulheres formadas ≤ Profissionais de saúde formados"),
         "es": ("Trabajadores de salud capacitados", "Mujeres capacitadas ≤ Trabajadores de salud capacitados")}


def test_a_flag_names_what_it_reads_in_the_readers_words_not_its_codes(definition):
    history = pd.DataFrame({"period": ["2015-01-01", "2015-04-01", "2015-07-01", "2015-10-01", "2016-01-01"],
                            "name": ["trainees"] * 5, "value": [100.0, 90.0, 110.0, 100.0, 95.0]})
    with i18n.using("pt"):  # recorded in a Portuguese session: the record keeps the code
        (unusual,) = checks.outlier_flags({"trainees": 1000.0}, history, definition)
    unusual = json.loads(json.dumps(unusual.to_dict()))
    broken = _broken(definition)
    assert (unusual["names"], broken["names"]) == ("trainees", "women_trained <= trainees")
    for language, (metric, rule) in NAMED.items():
        assert checks.said_names(unusual, definition, language) == metric
        assert checks.said_names(broken, definition, language) == rule
        with i18n.using(language):  # the active language by default
            assert checks.said_names(broken, definition) == rule
    gone = broken | {"facts": broken["facts"] | {"rule": "a-rule-no-longer-defined"}}
    assert checks.said_names(gone, definition, "pt") == "women_trained <= trainees"  # as recorded
