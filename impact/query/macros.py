"""The shared filter and grouping macros, generated from the dimension declarations (`impact.query.dimensions`,
the programme's disaggregations included), for the facts and for every rollup.

Every named query filters through one table macro per source and takes the shared filters as one bound struct:

    filtered_training($filters)        -- training rows under the filters
    grouped_training($filters, $grouping)  -- the same rows with `category` and `category2`

`$filters` is `{period_from, period_to, chosen}`: `chosen` maps a dimension's key to the values chosen (a key left
out, or an empty list: every value); a source tests only the dimensions its rows carry (volunteering ignores a
cadre). `$grouping` is `{dimension, dimension2, grain, a_from, a_to, b_from, b_to}`: the dimensions grouped by
(a key, `time` at a year, quarter or phase grain, `slot` for the two compared periods A and B, or '' for none).
Identifiers come from the declarations, never from a user; values are only ever bound.
"""

from __future__ import annotations

from dataclasses import dataclass

from impact.query import dimensions


@dataclass(frozen=True)
class Source:
    """Rows the shared filters apply to: their table (or a select), the dimensions' source name, and how a row's
    period is tested (a fact's quarter, or a project's life overlapping the window)."""

    name: str  # the macros' suffix: filtered_<name>, grouped_<name>
    carries: str  # the name the dimensions' `sources` use
    rows: str  # a table or a parenthesised select
    lifetime: bool = False  # rows are projects: kept when their start and end dates overlap the window
    next_period: bool = False  # rows carry their group's next report (outcomes): grouped by it too


SOURCES = {
    "training": Source("training", "training", "training_facts"),
    "volunteering": Source("volunteering", "volunteering", "volunteering_facts"),
    "outcomes": Source("outcomes", "outcomes", "outcomes_facts", next_period=True),
    "projects": Source("projects", "projects", "(select p.*, c.region, c.name as country from projects p "
                                               "join countries c on c.iso3 = p.iso3)", lifetime=True),
    "partners": Source("partners", "project_partners", "partner_facts", lifetime=True),
}


def _chosen(key: str) -> str:
    return f"filters['chosen']['{key}']"


def filter_tests(source: Source, programme, columns: set[str] | None = None) -> list[str]:
    """The where-clause tests of the shared filters on `source` (only the columns in `columns`, when given)."""
    if source.lifetime:
        tests = ["start_date < filters['period_to'] + interval 3 month", "end_date >= filters['period_from']"]
    else:
        tests = ["period between filters['period_from'] and filters['period_to']"]
    for dim in dimensions.filters_of(programme):
        if source.carries in dim.sources and (columns is None or dim.column in columns):
            tests.append(f"(len(coalesce({_chosen(dim.key)}, [])) = 0 or list_contains({_chosen(dim.key)}, "
                         f"{dim.column}))")
    return tests


def category(source: Source, programme, which: str, period: str = "period") -> str:
    """The value of the grouping's `which` dimension ('dimension' or 'dimension2') for a row of `source`."""
    chosen = f"grouping['{which}']"
    grain = "grouping['grain']"
    branches = [
        f"when 'time' then (case {grain} when 'quarter' then cast(year({period}) as varchar) || 'Q' || "
        f"cast(quarter({period}) as varchar) when 'phase' then phase else cast(year({period}) as varchar) end)"]
    branches += [f"when '{d.key}' then {d.key}" for d in dimensions.of(programme)
                 if d.key != "time" and source.carries in d.sources]
    branches.append(f"when 'slot' then (case when {period} between grouping['a_from'] and grouping['a_to'] then 'A' "
                    f"when {period} between grouping['b_from'] and grouping['b_to'] then 'B' end)")
    return f"(case {chosen} {' '.join(branches)} end)"


def filter_macro(source: Source, programme, schema: str = "", rows: str = "", columns: set[str] | None = None) -> str:
    """`create macro [schema.]filtered_<source>(filters)`: the source's rows (or `rows`) under the filters."""
    prefix = f"{schema}." if schema else ""
    return (f"create macro {prefix}filtered_{source.name}(filters) as table select * from {rows or source.rows} "
            f"where {' and '.join(filter_tests(source, programme, columns))}")


def grouped_macro(source: Source, programme, schema: str = "") -> str:
    """`create macro [schema.]grouped_<source>(filters, grouping)`: the filtered rows with their categories (and,
    for outcomes, the categories of the next report's period)."""
    prefix = f"{schema}." if schema else ""
    parts = [f"{category(source, programme, 'dimension')} as category",
             f"{category(source, programme, 'dimension2')} as category2"]
    if source.next_period:
        parts += [f"{category(source, programme, 'dimension', 'next_period')} as next_category",
                  f"{category(source, programme, 'dimension2', 'next_period')} as next_category2"]
    return (f"create macro {prefix}grouped_{source.name}(filters, grouping) as table "
            f"select *, {', '.join(parts)} from {prefix}filtered_{source.name}(filters)")


def projects_by_dimension(programme) -> str:
    """`projects_by_dimension_value(filters, grouping)`: each project active under the filters, once per value of
    the grouping's dimensions; over time a project counts in every quarter (year) of its life inside the window."""
    source = SOURCES["projects"]
    period = "greatest(s.span, filters['period_from'])"
    return f"""create macro projects_by_dimension_value(filters, grouping) as table
-- The part of each project's life inside the window (filtered_projects keeps those that overlap it).
with lives as (
    select p.*, cast(greatest(p.start_date, filters['period_from']) as timestamp) as first_day,
           cast(least(p.end_date, filters['period_to'] + interval 3 month - interval 1 day) as timestamp) as last_day
    from filtered_projects(filters) p
),
-- A project counts in each span it overlaps, listed from its own dates rather than joined against every span:
-- once, when neither dimension depends on the period (a phase is the project's own); each year of its life at a
-- year's grain (as that year's quarters in the window); else each quarter of it. Only compared periods (slots)
-- gather several quarters of a project into one value: those rows alone need `distinct`.
spans as (
    select l.*, k.slotted, cast(unnest(case
        when not slotted and not timed then [l.first_day]
        when not slotted and grouping['grain'] = 'year'
            then generate_series(date_trunc('year', l.first_day), date_trunc('year', l.last_day), interval 1 year)
        else generate_series(date_trunc('quarter', l.first_day), date_trunc('quarter', l.last_day), interval 3 month)
    end) as date) as span
    from lives l,
         (select coalesce(grouping['dimension'], '') = 'slot' or coalesce(grouping['dimension2'], '') = 'slot'
                     as slotted,
                 (coalesce(grouping['dimension'], '') = 'time' or coalesce(grouping['dimension2'], '') = 'time')
                     and grouping['grain'] <> 'phase' as timed) k
),
rows as (
    select {category(source, programme, 'dimension', period)} as category,
           {category(source, programme, 'dimension2', period)} as category2,
           s.project_id, s.iso3, s.budget, s.slotted
    from spans s
)
select category, category2, project_id, iso3, budget from rows where not slotted
union all
select distinct category, category2, project_id, iso3, budget from rows where slotted"""


def statements(programme) -> list[str]:
    """Every generated macro of the main schema (after the facts' tables are built)."""
    out = [filter_macro(s, programme) for s in SOURCES.values()]
    out += [grouped_macro(SOURCES[name], programme) for name in ("training", "volunteering", "outcomes")]
    out.append(projects_by_dimension(programme))
    return out
