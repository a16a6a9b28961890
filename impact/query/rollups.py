"""Pre-aggregated rollups of the fact tables, built at compile time, and which one answers a query.

A rollup is declared here as data: the facts it sums (training, volunteering, outcomes) and the
columns it keeps; every additive measure of those facts is summed over the columns it drops. At
compile time (`build`) each becomes a table `<name>.cells` in a schema of its own, with a view named
like the facts' table (`<name>.training_facts`) and the facts' filter and grouping macros generated for it
(`<name>.filtered_training($filters)`, `<name>.grouped_training($filters, $grouping)`, see impact.query.macros):
the same parameters and columns (a column it dropped reads NULL). The finest rollup of a fact (`*_cells`) also
keeps every disaggregation the programme declares on it.

A named query declares in its header which facts' columns it reads (`-- reads: training(iso3,
trainees)`; `$grouping` stands for the columns the bound grouping's dimensions read). `choose` picks, for
each fact it reads, the smallest rollup that keeps every column it reads and every column a
non-empty filter tests; the query runs unchanged with those schemas first on its cursor's search
path, so `filtered_training(...)` and `training_facts` read the rollup. A query without a
declaration, or a fact no rollup can answer exactly, reads the facts.

Exactness: sums of sums are sums; a sum filtered on kept columns (an outcome's latest value: the
rows whose `next_period` is after the window) is the same sum of cells; and a row-level test `n > 0`
(countries trained) holds for a cell exactly when it holds for one of its rows, because measures
are never negative (the schema's minimum). Distinct counts are exact only over columns a rollup
keeps (countries from `iso3`, projects from `project_id`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

from impact.query import dimensions, macros


@dataclass(frozen=True)
class Fact:
    """A fact table the rollups sum: its table, its filter macro and its additive measures."""

    name: str
    table: str
    macro: str
    measures: tuple[str, ...]

    def filters(self, programme=None) -> dict[str, str]:
        """The shared filters' keys that apply to this fact and the column each one tests (period is always kept)."""
        return {d.key: d.column for d in dimensions.filters_of(programme) if self.name in d.sources}


FACTS = {
    "training": Fact("training", "training_facts", "filtered_training", ("trainees",)),
    "volunteering": Fact("volunteering", "volunteering_facts", "filtered_volunteering",
                         ("volunteers", "volunteer_days")),
    # An outcome's latest value is a sum of the rows whose next report is later (queries/setup/00c), so its
    # rollups keep `next_period`.
    "outcomes": Fact("outcomes", "outcomes_facts", "filtered_outcomes", ("value",)),
}

_PLACE = ("period", "iso3", "region")  # a country is its code: its name is a label (impact.query.dimensions)
_PROJECT = ("theme", "grant_type", "phase")


@dataclass(frozen=True)
class Rollup:
    """One rollup: the facts it sums and the columns it keeps (every one keeps `period`)."""

    name: str
    fact: str
    keeps: tuple[str, ...]

    @property
    def order(self) -> tuple[str, ...]:
        """How its cells are sorted, so that DuckDB skips whole blocks: by project when it keeps the project (it is
        read for some projects: a listing's page, one project's results), else by period and country."""
        if "project_id" in self.keeps:
            return ("project_id", "period")
        return tuple(c for c in ("period", "iso3") if c in self.keeps)


ROLLUPS: tuple[Rollup, ...] = (
    Rollup("training_cells", "training", (*_PLACE, *_PROJECT, "cadre", "gender", "gender_role", "training_type",
                                          "training_type_role")),
    Rollup("training_by_gender", "training", (*_PLACE, *_PROJECT, "gender", "gender_role", "training_type_role")),
    Rollup("training_by_country_cadre", "training", (*_PLACE, "cadre", "gender", "gender_role", "training_type_role")),
    Rollup("training_by_country_type", "training", (*_PLACE, "gender", "gender_role", "training_type",
                                                    "training_type_role")),
    Rollup("training_by_country", "training", (*_PLACE, "gender", "gender_role", "training_type_role")),
    Rollup("training_by_project", "training", ("project_id", *_PLACE, *_PROJECT)),
    Rollup("volunteering_cells", "volunteering", (*_PLACE, *_PROJECT, "location", "location_role", "profession")),
    Rollup("volunteering_by_location", "volunteering", (*_PLACE, *_PROJECT, "location", "location_role")),
    Rollup("volunteering_by_country_profession", "volunteering", (*_PLACE, "location", "location_role",
                                                                  "profession")),
    Rollup("volunteering_by_country", "volunteering", (*_PLACE, "location", "location_role")),
    Rollup("volunteering_by_project", "volunteering", ("project_id", *_PLACE, *_PROJECT)),
    Rollup("outcomes_cells", "outcomes", ("indicator", "next_period", *_PLACE, *_PROJECT)),
    Rollup("outcomes_by_country", "outcomes", ("indicator", "next_period", *_PLACE)),
)
BY_NAME = {r.name: r for r in ROLLUPS}


def of(programme) -> tuple[Rollup, ...]:
    """The rollups compiled for a programme: the finest of each fact also keeps its declared disaggregations."""
    out = []
    for rollup in ROLLUPS:
        own = tuple(d.key for d in dimensions.declared(programme) if rollup.fact in d.sources)
        out.append(Rollup(rollup.name, rollup.fact, (*rollup.keeps, *own)) if own and rollup.name.endswith("_cells")
                   else rollup)
    return tuple(out)


CATALOG = "rollup_sizes"  # the compiled file's table of built rollups and their row counts

_READS = re.compile(r"([a-z_]+)\s*\(([^)]*)\)")
_DIMENSION_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def parse_reads(line: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """`training(iso3, trainees); volunteering(volunteer_days)` as ((fact, columns), ...)."""
    out = []
    for fact, columns in _READS.findall(line):
        if fact not in FACTS:
            raise ValueError(f"'reads:' names {fact!r}, not one of {', '.join(FACTS)}")
        out.append((fact, tuple(c.strip() for c in columns.split(",") if c.strip())))
    return tuple(out)


def dimension_columns(dimension: str, grain: str, programme=None) -> set[str]:
    """The fact columns a grouping by `dimension` at `grain` reads (impact.query.macros.category): a dimension's
    column (its code: `iso3` for a country), and an unknown key itself, a column no rollup keeps (the facts answer)."""
    if dimension == "time":
        return {"period", "phase"} if grain == "phase" else {"period"}
    if dimension == "slot":
        return {"period"}
    if not dimension:
        return set()
    known = dimensions.by_key(programme).get(dimension)
    return {known.column if known else dimension}


def chosen_keys(params: dict) -> set[str]:
    """The keys of the dimensions the bound `$filters` struct filters on (a non-empty list of values)."""
    chosen = (params.get("filters") or {}).get("chosen") or {}
    return {k for k, v in zip(chosen.get("key", ()), chosen.get("value", ())) if v}


def needed_columns(fact: str, reads: tuple[str, ...], params: dict, programme=None) -> set[str]:
    """Every column of `fact` a query needs: what it reads (with `$grouping` resolved) and what its filters test."""
    needed = {"period"}
    for column in reads:
        match = _DIMENSION_PARAM.fullmatch(column)
        if match:
            grouping = params.get(match.group(1)) or {}
            grain = str(grouping.get("grain") or "")
            for which in ("dimension", "dimension2"):
                needed |= dimension_columns(str(grouping.get(which) or ""), grain, programme)
        else:
            needed.add(column)
    chosen = chosen_keys(params)
    for key, column in FACTS[fact].filters(programme).items():
        if key in chosen:
            needed.add(column)
    return needed - set(FACTS[fact].measures)


def choose(sizes: dict[str, int], reads: tuple[tuple[str, tuple[str, ...]], ...], params: dict,
           programme=None) -> dict[str, str]:
    """For each fact a query reads, the smallest built rollup of the programme's (of `sizes`: name -> rows) that
    answers it exactly; a fact left out reads the facts."""
    chosen = {}
    for fact, columns in reads:
        needed = needed_columns(fact, columns, params, programme)
        fits = [r for r in of(programme) if r.fact == fact and r.name in sizes and needed <= set(r.keeps)]
        if fits:
            chosen[fact] = min(fits, key=lambda r: (sizes[r.name], len(r.keeps))).name
    return chosen


def search_path(chosen: dict[str, str]) -> str:
    """The cursor's search path that makes the filter macros read the chosen rollups ('' for the facts)."""
    return ",".join([*chosen.values(), "main"]) if chosen else ""


# ---- compile time -----------------------------------------------------------------------------------

def _columns(conn: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [(name, kind) for name, kind, *_ in conn.execute(f"describe {table}").fetchall()]  # noqa: S608


def build(conn: duckdb.DuckDBPyConnection, programme=None) -> dict[str, int]:
    """Create every rollup of a programme (table, view and generated macros) in the database being compiled; their
    row counts.

    Each rollup is summed from the smallest one already built that keeps all its columns (or the facts):
    a sum of sums is the sum. Identifiers come from the declarations above, never from a user.
    """
    sizes: dict[str, int] = {}
    declared = of(programme)
    for rollup in sorted(declared, key=lambda r: -len(r.keeps)):
        fact = FACTS[rollup.fact]
        facts = _columns(conn, fact.table)
        names = [name for name, _ in facts]
        missing = set(rollup.keeps) - set(names)
        if missing:
            raise ValueError(f"rollup {rollup.name} keeps columns {fact.table} does not have: {sorted(missing)}")
        sources = [r for r in declared if r.name in sizes and r.fact == rollup.fact and set(rollup.keeps) <= set(r.keeps)]
        source = (min(sources, key=lambda r: sizes[r.name]).name + ".cells") if sources else fact.table
        keeps = ", ".join(rollup.keeps)
        sums = ", ".join(f"sum({m}) as {m}" for m in fact.measures)
        order = ", ".join(rollup.order)
        conn.execute(f"create schema {rollup.name}")
        conn.execute(f"create table {rollup.name}.cells as select {keeps}, {sums} from {source} "  # noqa: S608
                     f"group by all order by {order}")
        # Its view and macros have the facts' columns in their order, so a query binds the same either way.
        kinds = dict(facts)
        selected = ", ".join(
            name if name in rollup.keeps or name in fact.measures else f"cast(null as {kinds[name]}) as {name}"
            for name in names)
        conn.execute(f"create view {rollup.name}.{fact.table} as select {selected} from {rollup.name}.cells")  # noqa: S608
        generated = macros.SOURCES[rollup.fact]
        conn.execute(macros.filter_macro(generated, programme, rollup.name, f"{rollup.name}.{fact.table}",
                                         set(rollup.keeps)))
        conn.execute(macros.grouped_macro(generated, programme, rollup.name))
        sizes[rollup.name] = conn.execute(f"select count(*) from {rollup.name}.cells").fetchone()[0]  # noqa: S608
    conn.execute(f"create table {CATALOG} (name varchar, fact varchar, rows bigint, keeps varchar[])")
    by_name = {r.name: r for r in declared}
    conn.executemany(f"insert into {CATALOG} values (?, ?, ?, ?)",  # noqa: S608
                     [(name, by_name[name].fact, rows, list(by_name[name].keeps)) for name, rows in sizes.items()])
    return sizes


def sizes(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The rollups a compiled file holds and their row counts (none for a file compiled without them)."""
    try:
        return dict(conn.execute(f"select name, rows from {CATALOG}").fetchall())  # noqa: S608
    except duckdb.CatalogException:
        return {}
