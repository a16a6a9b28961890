"""Metric definitions and number formats."""

from __future__ import annotations

import re

import pytest

from impact.model.metrics import METRICS, format_metric, format_value
from impact.query import db


@pytest.mark.parametrize(("value", "fmt", "text"), [
    (93112, "count", "93,112"), (0.7399, "percent", "74%"), (30_000_000, "money", "£30m"),
    (1_250_000, "money", "£1.2m"), (250_000, "money", "£250k"), (999, "money", "£999"), (None, "count", "—"),
    (float("nan"), "percent", "—"), (12.5, "count", "12.5"),
])
def test_numbers_are_written_as_people_write_them(value, fmt, text):
    assert format_value(value, fmt) == text


def test_every_headline_column_is_a_defined_metric():
    for column in db.load_query("headline_totals").columns:
        assert column in METRICS, column
        m = METRICS[column]
        assert m.label and m.description and m.how_counted and m.fmt in {"count", "percent", "money"}


def test_unknown_metric_is_named():
    with pytest.raises(KeyError, match="nope"):
        format_metric("nope", 1)


def test_each_metric_is_computed_by_its_own_sql_in_the_explorer_queries():
    from impact.query import explore

    for key, m in METRICS.items():
        assert m.sql, key
        query = db.load_query(explore.QUERIES[explore.source(key)])
        flat = " ".join(query.sql.split())
        assert f"{m.sql} as {key}" in flat, f"{query.name} does not compute {key} as {m.sql!r}"
        assert key in query.columns


# ---- every query computes a metric the one way it is declared ------------------------------------

_ALIAS = re.compile(r"\b[a-z]{1,3}\.(?=[a-z_])")  # a table alias before a column: pp.institution_id


def _norm(sql: str) -> str:
    return _ALIAS.sub("", " ".join(sql.lower().split()))


def _metric_columns(sql: str):
    """Each `<expression> as <metric key>` of a query, the expression as written (comments left out)."""
    text = re.sub(r"--[^\n]*", "", sql)
    for found in re.finditer(r"\bas\s+([a-z_][a-z0-9_]*)\b", text):
        key = found.group(1)
        if key not in METRICS:
            continue
        i, depth = found.start() - 1, 0
        while i >= 0:
            ch = text[i]
            if ch == ")":
                depth += 1
            elif ch == "(":
                if depth == 0:
                    break
                depth -= 1
            elif ch == "," and depth == 0:
                break
            elif depth == 0 and text[i:i + 6] == "select" and (i == 0 or not text[i - 1].isalnum()):
                i += 5
                break
            i -= 1
        yield key, _norm(text[i + 1:found.start()])


def _one_way(key: str, expression: str) -> bool:
    """True when `expression` computes metric `key` as declared: its SQL (zero when no rows, or as a scalar
    subquery), the column an inner select already computed so, or a ratio of its declared parts."""
    declared = _norm(METRICS[key].sql)
    forms = {declared, f"coalesce({declared}, 0)", key, f"coalesce({key}, 0)"}
    if any(expression == form for form in forms):
        return True
    if re.fullmatch(rf"case when .+ then {key} else 0 end", expression):  # the column itself, on some rows only
        return True
    sub = re.fullmatch(r"\(select (.+?) from .+\)", expression)
    if sub and sub.group(1) in forms:
        return True
    m = METRICS[key]
    return bool(m.numerator) and expression == f"{m.numerator} / nullif({m.denominator}, 0)"


def test_every_query_computes_a_metric_the_one_way_it_is_declared():
    """A column named after a metric is computed by the metric's own SQL (impact/model/metrics.py), or the query
    says in its header why it counts it otherwise (`-- counted here: projects as ...`)."""
    wrong = []
    for name in db.query_names():
        sql = db.load_query(name).sql
        allowed = set()
        for line in re.findall(r"^-- counted here: (.+?) as ", sql, re.MULTILINE):
            allowed |= {k.strip() for k in line.split(",")}
        for key, expression in _metric_columns(sql):
            if key not in allowed and not _one_way(key, expression):
                wrong.append(f"{name}: {key} = {expression} (declared: {METRICS[key].sql})")
    assert wrong == []


def test_the_one_way_check_catches_another_way():
    assert _one_way("trainees", _norm("coalesce(t.trainees, 0)"))
    assert _one_way("women_share", _norm("t.women_trained / nullif(t.trainees, 0)"))
    assert not _one_way("trainees", _norm("sum(n)"))
    assert not _one_way("women_trained", _norm("sum(trainees) filter (where gender = 'Female')"))
    assert list(_metric_columns("select count(distinct iso3) as countries_trained from t")) == [
        ("countries_trained", "count(distinct iso3)")]
