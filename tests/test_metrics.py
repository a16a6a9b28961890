"""Metric definitions and number formats."""

from __future__ import annotations

import pytest

from impact.data.metrics import METRICS, format_metric, format_value
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
