"""Small-cell suppression: counts of people or days below the definition's threshold are never published.

A suppressed cell is shown as "fewer than N" on a page and left empty (missing) in every CSV and JSON the site
holds, its figure included; a chart's caption is computed from the cells that may be shown.
"""

from __future__ import annotations

import pandas as pd

from impact.model import metrics

# A target, or the path its milestones expect, is a promise, not a count of people: it is never suppressed.
PROMISES = ("expected", "target")


def counted(key: str) -> bool:
    """True for a metric that adds up people or days (a small value of it could point at a person)."""
    return metrics.is_metric(key) and metrics.metric(key).fmt == "count" and metrics.metric(key).aggregation == "sum"


def small(value, threshold: int) -> bool:
    """True when `value` is a count from 1 to `threshold` - 1."""
    return value is not None and not pd.isna(value) and 0 < float(value) < threshold


def label(threshold: int) -> str:
    """How a suppressed cell reads on a page."""
    return f"fewer than {threshold}"


def columns(rows: pd.DataFrame, series: list[str], head: str) -> list[str]:
    """The columns of a chart's table that hold counts: its series and value columns, when its headline metric
    (`head`) counts people or days, and any column named after such a metric."""
    out = [c for c in rows.columns if counted(c)]
    if counted(head):
        out += [c for c in series if c in rows.columns and c not in PROMISES and c not in out]
    return out


def apply(rows: pd.DataFrame, cols: list[str], threshold: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`rows` with its small cells in `cols` made missing, and a mask of the cells suppressed (same shape)."""
    mask = pd.DataFrame(False, index=rows.index, columns=rows.columns)
    if threshold <= 1:
        return rows, mask
    out = rows.copy()
    for column in cols:
        hit = out[column].map(lambda v: small(v, threshold)).astype(bool)
        if hit.any():
            mask[column] = hit
            out[column] = out[column].astype("float64").mask(hit)
    return out, mask


def value(key: str, figure, threshold: int) -> tuple[float | None, bool]:
    """One headline figure as it may be published: (the figure, or None when suppressed; whether it was)."""
    if counted(key) and small(figure, threshold):
        return None, True
    return figure, False
