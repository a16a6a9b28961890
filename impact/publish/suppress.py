"""Small-cell suppression: counts of people or days below the definition's threshold are never published.

A suppressed cell is shown as "fewer than N" on a page and left empty (missing) in every CSV and JSON the site
holds, its figure included; a chart's caption is computed from the cells that may be shown.
"""

from __future__ import annotations

import numpy
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


def complementary(values: dict, groups: list[tuple[object, list]], threshold: int, also=()) -> set:
    """The cells of a table to suppress so that no suppressed count is the difference of published ones.

    `values` maps each cell to its count; each group is a total and its parts (the total = the sum of the parts).
    The small cells are suppressed; then, while a group has exactly one member suppressed (it would be the total
    less the other parts, or a part's total less the others), its smallest positive part not yet suppressed is
    suppressed too (the total, when it has none), so a difference gives at most the sum of two or more suppressed
    cells. Repeated until no group has exactly one. `also`: cells suppressed already (elsewhere's complements).

    A group's total may be a figure the site publishes as the sum of two others (a project's volunteer days, both
    places'): it is then a cell of its own, suppressed (in `also`) when either is."""
    if threshold <= 1:
        return set()
    hidden = {cell for cell, v in values.items() if small(v, threshold)} | set(also)

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


def audit(rows: dict, atoms, hidden: set, threshold: int, targets=()) -> set:
    """`hidden` grown until no small figure is a sum or difference of the published ones, whatever the tables.

    `rows` maps each figure the site may publish to the atoms it adds up (a 0/1 vector over `atoms`, the finest
    counts: a project's in a part of a year); the figures not in `hidden` are published. A small figure (a row
    of `rows` or of `targets`, the other sums a reader could want) is recoverable when its row is in the span of
    the published rows. While one is, a published row that every way of reaching it needs (the smallest such), or
    failing one the smallest row that some way uses, is suppressed too. `suppress.complementary` first makes this
    quick: it leaves only what its groups (a total and its parts) do not see, such as a project active in one year.
    """
    hidden = set(hidden)
    if threshold <= 1 or not rows:
        return hidden
    atoms = numpy.asarray(atoms, dtype=float)
    value = {cell: float(row @ atoms) for cell, row in rows.items()}
    smalls = numpy.array([row for row in [*rows.values(), *targets] if 0 < float(row @ atoms) < threshold])
    while True:
        published = [cell for cell in rows if cell not in hidden]
        if not published or not len(smalls):
            return hidden
        matrix = numpy.array([rows[cell] for cell in published], dtype=float)
        _, sigma, right = numpy.linalg.svd(matrix, full_matrices=False)  # the span only: quick
        rank = int((sigma > 1e-9 * sigma[0]).sum()) if sigma.size and sigma[0] > 0 else 0
        basis = right[:rank]
        reached = basis @ smalls.T  # each small figure's part in the published rows' span
        leaks = numpy.nonzero(numpy.abs(smalls - (basis.T @ reached).T).max(axis=1) < 1e-6)[0]
        if not len(leaks):
            return hidden
        left, sigma, right = numpy.linalg.svd(matrix, full_matrices=True)  # and the rows' dependencies
        basis = right[:rank]
        reached = basis @ smalls.T
        # The published rows' dependencies: a row with none is in every way of adding a leaked figure up.
        fixed = numpy.abs(left[:, rank:]).max(axis=1, initial=0.0) < 1e-9
        ways = left[:, :rank] @ (reached[:, leaks] / sigma[:rank, None])  # one way per leak (least squares)
        order = sorted(range(len(published)), key=lambda i: (value[published[i]], str(published[i])))
        rank_of = numpy.empty(len(published), dtype=int)
        rank_of[order] = numpy.arange(len(published))
        picked: set[int] = set()
        for column in range(len(leaks)):
            used = numpy.nonzero(numpy.abs(ways[:, column]) > 1e-9)[0]
            needed = used[fixed[used]] if fixed[used].any() else used
            if picked.intersection(needed.tolist()):
                continue
            picked.add(int(needed[numpy.argmin(rank_of[needed])]))
        hidden |= {published[i] for i in picked}
