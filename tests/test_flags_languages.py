"""The team's view of flags in the reader's language: the approval queue's flag table and the CSV of every flag
(page and `flags --lang`) headed and worded in French, Portuguese or Spanish — the same flags, values and
explanations as in English; only the headings, the messages and the codes' words change."""

from __future__ import annotations

import csv
import json

import pytest
import streamlit as st

from impact import cli
from impact.model import i18n
from impact.reporting import checks, follow_up, partners
from impact.storage import store
from tests.test_checks import _flagged_pick, _unusual
from tests.test_partners import ADMIN_PASSWORD, _serve, account

EXPLANATION = "Une campagne nationale : <b>dix</b> districts"
ABOVE = ("{name} is {value}, far above what this project usually reports (median {median} over its {count} earlier "
         "quarters)")


def _sent(data_store, picks):
    """A flagged return sent with an explanation of each flag; the store and what was kept."""
    project, period = _flagged_pick(data_store, picks)
    partner = account(data_store, [project])
    held = store.open_store(data_store)
    book = _unusual(data_store, project, period)
    first = partners.submit(held, partner, "big.xlsx", book)
    sent = partners.submit(held, partner, "big.xlsx", book, explanations={f.key: EXPLANATION for f in first.flags})
    assert sent.ok
    return held, partners.get(held, sent.submission.id)


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(data.decode("utf-8-sig").splitlines()))


@pytest.mark.parametrize("language", i18n.TRANSLATED)
def test_the_flags_csv_in_another_language_holds_the_same_flags(data_store, picks, language):
    held, kept = _sent(data_store, picks)
    english = _rows(follow_up.flags_csv(held))
    with i18n.using(language):
        other = _rows(follow_up.flags_csv(held))
    words = i18n.translator(language)
    assert english[0] == checks.FLAG_COLUMNS  # English keeps the column names scripts read
    assert other[0] == [words.gettext(checks.FLAG_HEADINGS[c]) for c in checks.FLAG_COLUMNS] != english[0]
    assert len(other) == len(english) == len(kept.flags) + 1
    index = {c: n for n, c in enumerate(checks.FLAG_COLUMNS)}
    for row_en, row_other, flag in zip(english[1:], other[1:], kept.flags, strict=True):
        for column in ("project", "quarter", "return", "names", "explanation"):  # the data, as it is
            assert row_other[index[column]] == row_en[index[column]]
        assert row_en[index["value"]] == flag["value"] and row_en[index["expected"]] == flag["expected"]
        assert row_other[index["explanation"]] == EXPLANATION
        assert row_other[index["state"]] == words.gettext("submitted")
        assert row_other[index["message"]] != row_en[index["message"]]
        if flag["key"] == "outlier:trainees":  # the message said again from the flag's facts, in the language
            facts = flag["facts"]
            def number(v):
                return words.number(v) if float(v).is_integer() else words.number(v, 2)

            start = words.gettext(ABOVE).format(name=words.gettext("Health workers trained"),
                                                value=number(float(facts["value"])),
                                                median=number(float(facts["median"])),
                                                count=words.number(int(facts["count"])))
            assert facts["above"] and row_other[index["message"]].startswith(start)
            assert row_other[index["value"]] == number(float(facts["value"]))  # the same number, the locale's digits
            assert row_other[index["expected"]] == words.gettext("median {median} over {count} earlier quarters").format(
                median=number(float(facts["median"])), count=words.number(int(facts["count"])))
    assert any(f["key"] == "outlier:trainees" for f in kept.flags)


def test_the_flags_command_writes_spanish(data_store, picks, tmp_path, capsys):
    held, kept = _sent(data_store, picks)
    out = tmp_path / "flags.csv"
    assert cli.main(["flags", "--out", str(out), "--data-dir", str(data_store), "--lang", "es"]) == 0
    rows = _rows(out.read_bytes())
    assert rows[0][:4] == ["proyecto", "trimestre", "informe", "estado"]
    assert [r[0] for r in rows[1:]] == [kept.project] * len(kept.flags)
    message = rows[0].index("mensaje")
    trained = next(r for r in rows[1:] if r[rows[0].index("qué comprueba")] == "trainees")
    assert trained[message].startswith(i18n.translator("es").gettext("Health workers trained") + " ")
    assert trained[rows[0].index("explicación")] == EXPLANATION


def test_the_approval_queue_shows_the_flags_in_french(data_store, picks, monkeypatch):
    held, kept = _sent(data_store, picks)
    _serve(data_store, monkeypatch)
    try:
        from tests.conftest import make_app

        at = make_app("pages/data.py", query={"lang": ["fr"]})
        at.text_input(key="admin_password").input(ADMIN_PASSWORD)
        next(b for b in at.button if b.label == "Se connecter").click()
        at.run()
        at.session_state["data_tabs"] = i18n.translator("fr").gettext("Quarterly returns")
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        table = next(d for d in at.dataframe if d.key == "queue_flags" or "explanation" in d.value.columns)
        headings = json.loads(table.proto.columns)
        labels = [headings[c]["label"] for c in table.value.columns]
        words = i18n.translator("fr")
        assert labels[:5] == ["projet", "trimestre", words.gettext("what it checks"), "valeur", "explication"]
        trained = table.value[table.value["names"] == "trainees"].iloc[0]
        flag = next(f for f in kept.flags if f["key"] == "outlier:trainees")
        assert trained["message"] == checks.say(flag, held.definition(), "fr") != flag["message"]
        assert trained["message"].startswith("Agents de santé formés vaut ")
        assert trained["explanation"] == EXPLANATION and trained["importance"] == words.gettext(flag["importance"])
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
