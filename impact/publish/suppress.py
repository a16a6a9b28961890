"""Small-cell suppression: counts of people or days below the definition's threshold are never published.

A suppressed cell is shown as "fewer than N" on a page and left empty (missing) in every CSV and JSON the site
holds, its figure included; a chart's caption is computed from the cells that may be shown.

A suppressed count must not come back by adding or subtracting published ones. `complementary` works on tables of
totals and their parts: the small cells, then while a total and its parts have exactly one suppressed, the smallest
part (or the total) beside it. `audit` then sees every figure as a sum of atoms (a project's count in a part of a
year): while a small figure is in the linear span of the published figures, it suppresses the published figure that
every way of reaching it needs (the smallest such), else the smallest one some way uses. Its span is kept by blocks
(a country's figures apart, only those across countries taken together), so a round costs small decompositions.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools

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


def audit(rows: dict, atoms, hidden: set, threshold: int, targets=(), blocks=None, prefer=()) -> set:
    """`hidden` grown until no small figure is a sum or difference of the published ones, whatever the tables.

    `rows` maps each figure the site may publish to the atoms it adds up (a 0/1 vector over `atoms`, the finest
    counts: a project's in a part of a year); the figures not in `hidden` are published. A small figure (a row
    of `rows` or of `targets`, the other sums a reader could want) is recoverable when its row is in the span of
    the published rows. While one is, a published row that every way of reaching it needs (the smallest such), or
    failing one the smallest row that some way uses, is suppressed too. `suppress.complementary` first makes this
    quick: it leaves only what its groups (a total and its parts) do not see, such as a project active in one year.

    `blocks` (optional): a label per atom, e.g. its country. The rows whose atoms all carry one label are taken
    apart, label by label (see `_Span`); only the rows across labels (a region's, the programme's) are taken
    together, so a round costs small decompositions, and a block whose rows did not change keeps its own.

    `prefer` (optional): cells to suppress before the others when a choice is left (the finest figures, whose
    loss costs a reader least): among the rows a leak needs, or failing one that it uses, the smallest preferred
    one, else the smallest."""
    hidden = set(hidden)
    if threshold <= 1 or not rows:
        return hidden
    atoms = numpy.asarray(atoms, dtype=float)
    cells = list(rows)
    matrix = numpy.array([rows[cell] for cell in cells], dtype=float).reshape(len(cells), len(atoms))
    figures = matrix @ atoms
    wanted = numpy.array([*matrix, *targets], dtype=float).reshape(-1, len(atoms))
    totals = wanted @ atoms
    smalls = wanted[(totals > 0) & (totals < threshold)]
    if not len(smalls):
        return hidden
    labels = numpy.zeros(len(atoms), dtype=int) if blocks is None else \
        numpy.unique(numpy.asarray(blocks, dtype=str), return_inverse=True)[1].reshape(-1)
    first = set(prefer)
    order = sorted(range(len(cells)), key=lambda i: (cells[i] not in first, figures[i], str(cells[i])))
    rank_of = numpy.empty(len(cells), dtype=int)
    rank_of[order] = numpy.arange(len(cells))
    with one_blas_thread():
        return _grown(cells, matrix, smalls, labels, rank_of, hidden)


def _grown(cells: list, matrix: numpy.ndarray, smalls: numpy.ndarray, labels: numpy.ndarray,
           rank_of: numpy.ndarray, hidden: set) -> set:
    """`audit`'s rounds: suppress a published row each leak needs (or uses) until no small figure is reached."""
    span = _Span(matrix, labels)
    while True:
        published = numpy.array([i for i, cell in enumerate(cells) if cell not in hidden], dtype=int)
        if not len(published):
            return hidden
        span.publish(published)
        leaks = numpy.nonzero(span.reaches(smalls))[0]
        if not len(leaks):
            return hidden
        fixed = span.fixed()  # the published rows in no dependency: each is in every way that uses it
        ways = span.ways(smalls[leaks])  # one way per leak (published rows × leaks)
        picked: set[int] = set()
        for column in range(len(leaks)):
            used = numpy.nonzero(numpy.abs(ways[:, column]) > 1e-9)[0]
            needed = used[fixed[used]] if fixed[used].any() else used
            if picked.intersection(published[needed].tolist()):
                continue
            picked.add(int(published[needed[numpy.argmin(rank_of[published[needed]])]]))
        hidden |= {cells[i] for i in picked}


class _Span:
    """The span of the published rows of a 0/1 `matrix` (rows × atoms), kept as a direct sum: each block's rows
    (the rows whose atoms all carry its label) decomposed apart, and the rows across labels (`across`) reduced to
    what the blocks do not reach. With V the blocks' span and P the projection onto its complement, the span is
    V + P(across): a figure `s` is reached when P s is in the span of P(across); a way to reach it is the
    combination of `across` that gives P s, and the rest (in V) from each block's rows.

    A published row is in no dependency of the published rows ("fixed": every way that reaches a figure through
    it uses it with the same weight) when it is an across row that is one in P(across), or a block's row that is
    one in its block and is not needed by any dependency of P(across) (its weight in completing one is zero)."""

    def __init__(self, matrix: numpy.ndarray, labels: numpy.ndarray):
        self.matrix = matrix
        self.tol = 1e-9 * max(1.0, float(numpy.linalg.norm(matrix)))  # a singular value below it is nought
        inside = [set(labels[numpy.nonzero(row)[0]].tolist()) for row in matrix]
        self.block = numpy.array([next(iter(s)) if len(s) == 1 else -1 if s else -2 for s in inside], dtype=int)
        self.columns = {label: numpy.nonzero(labels == label)[0] for label in numpy.unique(labels).tolist()}
        self.kept: dict[tuple, tuple] = {}  # a block's published rows -> their decomposition

    @staticmethod
    def _svd(part: numpy.ndarray, tol: float) -> tuple:
        """(left, sigma, right, rank) of `part`, `left` square (its last columns: the rows' dependencies)."""
        left, sigma, right = numpy.linalg.svd(part, full_matrices=part.shape[0] > part.shape[1])
        return left, sigma, right, int((sigma > tol).sum())

    def publish(self, published: numpy.ndarray) -> None:
        """Decompose the span of the rows `published` (indices of `matrix`)."""
        self.published = published
        where = self.block[published]
        self.parts = {}
        for label in numpy.unique(where[where >= 0]).tolist():
            mine = published[where == label]
            key = (label, tuple(mine.tolist()))
            if key not in self.kept:
                self.kept[key] = self._svd(self.matrix[numpy.ix_(mine, self.columns[label])], self.tol)
            self.parts[label] = (numpy.nonzero(where == label)[0], self.kept[key])
        self.across = numpy.nonzero(where == -1)[0]  # positions in `published`
        self.reduced = self.outside(self.matrix[published[self.across]])
        self.top = self._svd(self.reduced, self.tol) if len(self.across) else None

    def outside(self, vectors: numpy.ndarray) -> numpy.ndarray:
        """P `vectors` (rows): what of them the blocks' rows do not reach."""
        out = numpy.array(vectors, dtype=float)
        for label, (_, (_, _, right, rank)) in self.parts.items():
            columns = self.columns[label]
            basis = right[:rank]
            out[:, columns] -= (out[:, columns] @ basis.T) @ basis
        return out

    def reaches(self, vectors: numpy.ndarray) -> numpy.ndarray:
        """For each row of `vectors`, whether it is in the span (to 1e-6)."""
        left = self.outside(vectors)
        if self.top is not None:
            _, _, right, rank = self.top
            left -= (left @ right[:rank].T) @ right[:rank]
        return numpy.abs(left).max(axis=1, initial=0.0) < 1e-6

    def _complete(self, rest: numpy.ndarray) -> numpy.ndarray:
        """Weights of the blocks' rows giving `rest` (rows of vectors in V): (published × len(rest))."""
        out = numpy.zeros((len(self.published), len(rest)))
        for label, (positions, (left, sigma, right, rank)) in self.parts.items():
            part = rest[:, self.columns[label]]
            out[positions] = left[:, :rank] @ ((right[:rank] @ part.T) / sigma[:rank, None])
        return out

    def ways(self, vectors: numpy.ndarray) -> numpy.ndarray:
        """A way to reach each row of `vectors` (all in the span): weights (published × len(vectors))."""
        out = numpy.zeros((len(self.published), len(vectors)))
        rest = numpy.array(vectors, dtype=float)
        if self.top is not None:
            left, sigma, right, rank = self.top
            weights = left[:, :rank] @ ((right[:rank] @ self.outside(vectors).T) / sigma[:rank, None])
            out[self.across] = weights
            rest -= weights.T @ self.matrix[self.published[self.across]]
        return out + self._complete(rest)

    def fixed(self) -> numpy.ndarray:
        """For each published row, whether it is in no dependency of the published rows."""
        out = numpy.zeros(len(self.published), dtype=bool)
        for positions, (left, _, _, rank) in self.parts.values():
            out[positions] = numpy.abs(left[:, rank:]).max(axis=1, initial=0.0) < 1e-9
        if self.top is None:
            return out
        left, _, _, rank = self.top
        dependencies = left[:, rank:]  # of P(across): each, completed by the blocks' rows, is one of all the rows
        out[self.across] = numpy.abs(dependencies).max(axis=1, initial=0.0) < 1e-9
        if dependencies.shape[1]:
            completed = self._complete(-(dependencies.T @ self.matrix[self.published[self.across]]))
            out &= (numpy.abs(completed).max(axis=1, initial=0.0) < 1e-9) | (self.block[self.published] == -1)
        return out


@contextlib.contextmanager
def one_blas_thread():
    """Linear algebra on one thread in this thread while it runs. The audit's matrices are small: a second BLAS
    thread gains nothing, and its threads wait for work spinning, which on a busy machine (pages written beside,
    Chromium drawing) doubled the audit's CPU time and its wall time. OpenBLAS's thread-local setting, so no other
    thread's is changed; nothing is done where numpy's BLAS is not OpenBLAS."""
    library = _openblas()
    if library is None:
        yield
        return
    before = library.openblas_set_num_threads_local(1)
    try:
        yield
    finally:
        library.openblas_set_num_threads_local(before)


@functools.cache
def _openblas():
    """The OpenBLAS numpy loaded, when it has a thread-local thread count (0.3.27 and later), else None."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:  # the libraries this process has loaded (Linux)
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower() and ".so" in line}
    except OSError:
        return None
    for path in sorted(paths):
        with contextlib.suppress(OSError):
            library = ctypes.CDLL(path)
            if hasattr(library, "openblas_set_num_threads_local"):
                library.openblas_set_num_threads_local.argtypes = [ctypes.c_int]
                library.openblas_set_num_threads_local.restype = ctypes.c_int
                return library
    return None
