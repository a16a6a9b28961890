"""The data dictionary for people: tables, columns, types, meanings and allowed values, and the metrics.

Built from `impact.schema` and `impact.metrics`, so the Data page always matches what the
importer checks and what the pages count.
"""

from __future__ import annotations

import pandas as pd

from impact import metrics, schema

_TYPE_NAMES = {"VARCHAR": "text", "DATE": "date (YYYY-MM-DD)", "BIGINT": "whole number", "DOUBLE": "number"}


def _rule(column: schema.Column) -> str:
    parts = []
    if column.name == "iso3":
        parts.append("ISO 3166-1 alpha-3 code")
    if column.name == "period":
        parts.append(f"first day of a quarter, {schema.PROGRAMME_START} to {schema.PROGRAMME_END}")
    if column.references:
        parts.append(f"must exist in {column.references}")
    if column.minimum is not None or column.maximum is not None:
        low = "" if column.minimum is None else f"{column.minimum:,.0f}"
        high = "" if column.maximum is None else f"{column.maximum:,.0f}"
        parts.append(f"from {low} to {high}" if low and high else f"at least {low}" if low else f"at most {high}")
    if not column.nullable:
        parts.append("required")
    return "; ".join(parts)


def columns(table: str) -> pd.DataFrame:
    """One row per column of `table`: name, type, meaning, allowed values and rules."""
    spec = schema.table(table)
    return pd.DataFrame(
        [{"column": c.name, "type": _TYPE_NAMES.get(c.type, c.type), "meaning": c.description,
          "allowed values": ", ".join(c.allowed) if c.allowed else "", "rules": _rule(c),
          "key": "yes" if c.name in spec.key else ""} for c in spec.columns]
    )


def tables() -> pd.DataFrame:
    """One row per table: name, what a row is, and the columns that identify a row."""
    return pd.DataFrame(
        [{"table": t.name, "file name": f"{t.name}.csv / .xlsx / .parquet", "one row is": t.description,
          "unique on": ", ".join(t.key)} for t in schema.TABLES]
    )


def metric_definitions() -> pd.DataFrame:
    """One row per metric: label, unit, how rows combine, meaning and how it is counted."""
    return pd.DataFrame(
        [{"metric": m.label, "key": m.key, "unit": m.unit, "aggregation": m.aggregation,
          "meaning": m.description, "how it is counted": m.how_counted, "from table": m.source}
         for m in metrics.METRICS.values()]
    )


def cross_checks() -> list[str]:
    """The checks across rows and tables that the importer makes, in words."""
    return [
        "Every project, institution and country a row refers to exists in its table.",
        "Keys are unique (e.g. one training row per project, country, quarter, cadre, gender and type).",
        f"Periods are first days of quarters within the programme ({schema.PROGRAMME_START} to "
        f"{schema.PROGRAMME_END}), and within the dates of the project they belong to.",
        "A project ends on or after the day it starts, within the programme.",
        "Volunteers bringing back new approaches are never more than volunteers surveyed "
        "(per project, country and quarter).",
        "Volunteer days are at least the number of placements.",
        "UK institutions are in GBR and overseas ones are not; UK leads and UK roles are UK institutions, "
        "overseas leads and roles overseas ones.",
        "Counts are whole numbers, never negative, and no larger than one row could hold.",
    ]
