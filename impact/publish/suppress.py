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


def apply(rows: pd.DataFrame, cols: list[str], threshold: int,
          also: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`rows` with its small cells in `cols` made missing, and those of the mask `also` (complementary
    suppression, same index; its columns among `rows`'), and a mask of the cells suppressed (same shape)."""
    mask = pd.DataFrame(False, index=rows.index, columns=rows.columns)
    if threshold <= 1:
        return rows, mask
    out = rows.copy()
    extra = also.columns.tolist() if also is not None else []
    for column in list(dict.fromkeys([*cols, *extra])):
        hit = out[column].map(lambda v: small(v, threshold)).astype(bool) if column in cols \
            else pd.Series(False, index=out.index)
        if column in extra:
            hit = hit | also[column].reindex(out.index, fill_value=False).astype(bool)
        if hit.any():
            mask[column] = hit
            out[column] = out[column].astype("float64").mask(hit)
    return out, mask


def value(key: str, figure, threshold: int) -> tuple[float | None, bool]:
    """One headline figure as it may be published: (the figure, or None when suppressed; whether it was)."""
    if counted(key) and small(figure, threshold):
        return None, True
    return figure, False


def complementary(values: dict, groups: list[tuple[object, list]], threshold: int) -> set:
    """The cells of a table to suppress so that no suppressed count is the difference of published ones.

    `values` maps each cell to its count; each group is a total and its parts (the total = the sum of the parts).
    The small cells are suppressed; then, while a group has exactly one member suppressed (it would be the total
    less the other parts, or a part's total less the others), its smallest positive part not yet suppressed is
    suppressed too (the total, when it has none), so a difference gives at most the sum of two or more suppressed
    cells. Repeated until no group has exactly one."""
    if threshold <= 1:
        return set()
    hidden = {cell for cell, v in values.items() if small(v, threshold)}

    def count(cell) -> float:
        v = values.get(cell)
        return 0.0 if v is None or pd.isna(v) else float(v)

    changed = bool(hidden)
    while changed:
        changed = False
        for total, parts in groups:
            if sum(cell in hidden for cell in (total, *parts)) != 1:
                continue
            others = sorted((count(p), str(p), p) for p in parts if p not in hidden and count(p) > 0)
            pick = others[0][2] if others else total if total not in hidden and count(total) > 0 else None
            if pick is not None:
                hidden.add(pick)
                changed = True
    return hidden
