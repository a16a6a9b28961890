"""Checks before a number is sent: validation rules and outlier flags from the definition, each against an
independent computation (plain pandas and numpy over the Parquet files); the definition's rules checked with
located messages; a partner explains every flag to send a return, and the team sees flags and explanations."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from impact.model import programme as programmes
from impact.reporting import checks, partners, returns
from impact.storage import store
from tests.conftest import ROOT
from tests.test_partners import account
from tests.test_returns import fill, rows_of


def _frames(folder) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(folder / f"{name}.parquet") for name in returns.TABLES}


def _independent_values(folder, definition) -> pd.DataFrame:
    """Per project and quarter the named values, computed with plain pandas (roles looked up by hand)."""
    t, v, o = (pd.read_parquet(folder / f"{n}.parquet") for n in ("training", "volunteering", "outcomes"))
    terms = {name: {term.role: term.value for term in values if term.role} for name, values in
             definition.vocabularies.items()}
    out = pd.DataFrame({
        "trainees": t.groupby(["project_id", "period"]).trainees.sum(),
        "women_trained": t[t.gender == terms["gender"]["women"]].groupby(["project_id", "period"]).trainees.sum(),
    })
    out["women_trained"] = out["women_trained"].fillna(0)
    vol = v.groupby(["project_id", "period"])[["volunteers", "volunteer_days"]].sum()
    wide = o.pivot_table(index=["project_id", "period"], columns="indicator", values="value", aggfunc="sum")
    return out.join(vol, how="outer").join(wide, how="outer")


@pytest.mark.parametrize("folder", ["data", "data/programmes/gsp"])
def test_the_shipped_rules_flag_nothing_in_the_shipped_extracts(folder):
    definition = programmes.read(ROOT / folder / "programme.json")
    assert len(definition.validation_rules) >= 3
    values = checks.quarter_values(_frames(ROOT / folder), definition)
    wide = values.pivot_table(index=["project_id", "period"], columns="name", values="value")
    independent = _independent_values(ROOT / folder, definition)
    for name in ("trainees", "women_trained", "volunteers", "volunteer_days"):
        ours = wide[name].dropna().sort_index()
        theirs = independent[name].dropna().astype("float64").sort_index()
        theirs.index = theirs.index.set_levels([theirs.index.levels[0], [pd.Timestamp(p).date() if not isinstance(
            p, dt.date) else p for p in theirs.index.levels[1]]])
        assert ours.to_dict() == theirs.to_dict(), name
    flagged = 0
    for _, row in wide.iterrows():
        found = {k: float(x) for k, x in row.items() if not np.isnan(x)}
        flagged += len(checks.rule_flags(found, definition))
    assert flagged == 0


def test_rules_flag_exactly_the_quarters_an_independent_computation_finds(fixture_dir, definition):
    rules = (programmes.ValidationRule("few-trained", ("trainees",), "<=", (60.0,), "At most 60 a quarter.", "low"),
             programmes.ValidationRule("days-vs-placements", ("volunteer_days",), ">=",
                                       ("volunteers", "volunteers", "volunteers"), "Three days a placement.", "medium"))
    strict = dataclasses.replace(definition, validation_rules=rules)
    values = checks.quarter_values(_frames(fixture_dir), strict)
    wide = values.pivot_table(index=["project_id", "period"], columns="name", values="value")
    ours = {(p, str(d), f.key) for (p, d), row in wide.iterrows()
            for f in checks.rule_flags({k: x for k, x in row.items() if not np.isnan(x)}, strict)}
    independent = _independent_values(fixture_dir, definition)
    theirs = {(p, str(pd.Timestamp(d).date()), "rule:few-trained")
              for (p, d), x in independent["trainees"].dropna().items() if x > 60}
    vol = independent[["volunteers", "volunteer_days"]].dropna()
    theirs |= {(p, str(pd.Timestamp(d).date()), "rule:days-vs-placements")
               for (p, d), r in vol.iterrows() if r.volunteer_days < 3 * r.volunteers}
    assert ours == theirs and len(theirs) > 5


def _independent_z(value: float, history: list[float]) -> float:
    h = np.asarray(history, dtype=float)
    med = np.median(h)
    mad = np.median(np.abs(h - med))
    if mad:
        return 0.6745 * (value - med) / mad
    mean_ad = np.mean(np.abs(h - med))
    return (value - med) / (1.253314 * mean_ad) if mean_ad else (0.0 if value == med else np.sign(value - med) * np.inf)


def test_robust_z_equals_an_independent_formula():
    rng = np.random.default_rng(42)
    for _ in range(200):
        history = list(rng.integers(0, 50, size=rng.integers(4, 12)).astype(float))
        value = float(rng.integers(0, 400))
        assert checks.robust_z(value, history) == pytest.approx(_independent_z(value, history))
    assert checks.robust_z(5, [5, 5, 5, 5]) == 0 and checks.robust_z(6, [5, 5, 5, 5]) == np.inf


def test_outliers_flag_exactly_the_quarters_an_independent_computation_finds(fixture_dir, definition):
    tables = _frames(fixture_dir)
    independent = _independent_values(fixture_dir, definition)["trainees"].dropna()
    settings = dataclasses.replace(definition, outliers=programmes.Outliers(threshold=2.5, min_history=4,
                                                                             names=("trainees",)))
    theirs, ours = set(), set()
    for project in sorted({p for p, _ in independent.index})[:40]:
        series = independent.loc[project].sort_index()
        before = {n: t[t.project_id == project] for n, t in tables.items()}
        for n, (period, value) in enumerate(series.items()):
            history = list(series.iloc[:n])
            if len(history) >= 4 and abs(_independent_z(value, history)) > 2.5:
                theirs.add((project, str(pd.Timestamp(period).date())))
            day = pd.Timestamp(period).date()
            now = {k: t[t.period == period] for k, t in before.items()}
            if any(f.key == "outlier:trainees" for f in checks.flags(project, day, now, before, settings)):
                ours.add((project, str(day)))
    assert ours == theirs and len(theirs) > 0


def test_bounds_flag_a_value_outside_them(definition):
    bounded = dataclasses.replace(definition, outliers=programmes.Outliers(bounds=(("trainees", 1.0, 100.0),)))
    empty = pd.DataFrame(columns=checks.VALUE_COLUMNS)
    assert [f.key for f in checks.outlier_flags({"trainees": 101.0}, empty, bounded)] == ["bounds:trainees"]
    assert checks.outlier_flags({"trainees": 100.0}, empty, bounded) == []
    assert [f.kind for f in checks.outlier_flags({"trainees": 0.0}, empty, bounded)] == ["bounds"]


def test_the_definitions_rules_are_checked_with_located_messages():
    base = json.loads((ROOT / "data" / "programme.json").read_text())
    bad = {**base, "validation_rules": [
        {"id": "a", "left": "womn_trained", "operator": "<=", "right": "trainees", "message": "m"},
        {"id": "a", "left": "trainees", "operator": "=<", "right": 3, "message": "m", "importance": "urgent"},
        {"id": "b", "left": 1, "operator": "<", "right": 2, "message": "m"},
        {"id": "c", "left": ["trainees", 7], "operator": "<", "right": "volunteers", "message": "", "colour": 1},
    ], "outliers": {"threshold": 0, "min_history": 1, "metrics": ["nope"], "bounds": {"trainees": {"min": 9, "max": 3}}}}
    with pytest.raises(programmes.DefinitionError) as caught:
        programmes.parse(bad)
    where = {w for w, _ in caught.value.problems}
    assert {"validation_rules[0].left", "validation_rules[1].id", "validation_rules[1].operator",
            "validation_rules[1].importance", "validation_rules[2]", "validation_rules[3].left[1]",
            "validation_rules[3].message", "validation_rules[3].colour", "outliers.threshold", "outliers.min_history",
            "outliers.metrics", "outliers.bounds.trainees.max"} <= where
    message = dict(caught.value.problems)["validation_rules[0].left"]
    assert "'womn_trained' is not a metric of a return" in message and "women_trained" in message


# ---- a partner explains, the team sees ---------------------------------------------------------------

def _unusual(data_store, project, period, factor=40) -> bytes:
    held = store.open_store(data_store)
    rows = rows_of(held.active().path, project, period)
    rows["training"] = [r | {"trainees": int(r["trainees"]) * factor + 1} for r in rows["training"]]
    return fill(returns.workbook(project, period, held), rows)


def _flagged_pick(data_store, picks):
    """A project quarter with a long enough history of trainees for an outlier to be judged."""
    training = pd.read_parquet(data_store / "training.parquet")
    for project, period in picks:
        earlier = training[(training.project_id == project) & (training.period < period)]
        if earlier.period.nunique() >= 4:
            return project, period
    pytest.skip("no pick with four earlier quarters")


def test_a_partner_must_explain_each_flag_and_the_team_sees_them(data_store, picks):
    project, period = _flagged_pick(data_store, picks)
    partner = account(data_store, [project])
    book = _unusual(data_store, project, period)
    held = store.open_store(data_store)
    first = partners.submit(held, partner, "big.xlsx", book)
    assert not first.ok and first.problems.ok  # no problem, but flags to explain
    assert "outlier:trainees" in first.unexplained and partners.submissions(held) == []
    flag = next(f for f in first.flags if f.key == "outlier:trainees")
    assert "usually reports" in flag.message and flag.importance
    partial = partners.submit(held, partner, "big.xlsx", book, explanations={"outlier:trainees": "   "})
    assert not partial.ok and "outlier:trainees" in partial.unexplained
    explained = {f.key: "A national campaign: <b>ten</b> districts trained at once." for f in first.flags}
    sent = partners.submit(held, partner, "big.xlsx", book, explanations=explained)
    assert sent.ok
    kept = partners.get(held, sent.submission.id)
    assert {f["key"] for f in kept.flags} == {f.key for f in first.flags}
    assert all(f["explanation"] == "A national campaign: <b>ten</b> districts trained at once." for f in kept.flags)
    rows = pd.DataFrame(partners.flag_rows(partners.submissions(held)))
    assert rows[["project", "state"]].drop_duplicates().values.tolist() == [[project, "submitted"]]
    frame = checks.flags_frame(partners.flag_rows(partners.submissions(held)))
    assert list(frame.columns)[:3] == ["project", "quarter", "return"] and len(frame) == len(first.flags)


def test_the_team_import_reports_the_flags_too(data_store, picks, tmp_path):
    project, period = _flagged_pick(data_store, picks)
    path = tmp_path / "big.xlsx"
    path.write_bytes(_unusual(data_store, project, period))
    result = returns.import_returns([path], store.open_store(data_store), confirm_removals=True)
    assert result.ok
    assert any(f["key"] == "outlier:trainees" and f["project"] == project for f in result.flags)


# ---- the pages ---------------------------------------------------------------------------------------

def test_a_partner_sees_the_warning_explains_and_sends_and_the_team_sees_the_flag(data_store, picks, monkeypatch):
    import streamlit as st

    from tests.conftest import make_app
    from tests.test_partners import ADMIN_PASSWORD, _partner_signs_in, _serve
    from tests.test_returns import returns_xlsx

    project, period = _flagged_pick(data_store, picks)
    partner = account(data_store, [project])
    _serve(data_store, monkeypatch)
    at = make_app("pages/partnerships.py", {"project": project})
    _partner_signs_in(at, partner.email)
    at.selectbox(key="return_quarter").set_value(period)
    at.run()
    at.file_uploader(key="partner_upload").set_value(("unusual.xlsx", _unusual(data_store, project, period),
                                                      returns_xlsx()))
    at.run()
    next(b for b in at.button if b.label == "Send the return").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("need a word before it is sent" in w.value.replace("\\", "") for w in at.warning)
    held = store.open_store(data_store)
    assert partners.submissions(held) == []  # nothing kept yet
    send = next(b for b in at.button if b.label == "Send with these explanations")
    assert send.disabled
    boxes = [t for t in at.text_area if t.key.startswith("explain_")]
    assert "explain_outlier:trainees" in [t.key for t in boxes]
    for box in boxes:
        box.input("A national campaign: *ten* districts at once <script>x</script>")
    at.run()
    next(b for b in at.button if b.label == "Send with these explanations").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("received" in s.value for s in at.success), [s.value for s in at.success]
    [kept] = partners.submissions(held)
    assert "outlier:trainees" in {f["key"] for f in kept.flags}

    admin = make_app("pages/data.py")
    admin.text_input(key="admin_password").input(ADMIN_PASSWORD)
    next(b for b in admin.button if b.label == "Sign in").click()
    admin.run()
    assert not admin.exception, [e.value for e in admin.exception]
    assert any("flagged number(s) in these returns" in w.value.replace("\\", "") for w in admin.warning)
    shown = next(d.value for d in admin.dataframe if "explanation" in d.value.columns)
    trained = shown[shown["names"] == "trainees"].iloc[0]
    assert trained["explanation"] == "A national campaign: *ten* districts at once <script>x</script>"  # as text
    assert trained["project"] == project and trained["expected"].startswith("median")
    assert any(b.label.startswith("Download every flag") for b in admin.get("download_button"))
    assert checks.flags_csv(partners.flag_rows(partners.submissions(held))).decode("utf-8-sig").count(
        "\n") == len(kept.flags) + 1
    st.cache_data.clear()
    st.cache_resource.clear()
