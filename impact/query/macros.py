"""The shared filter and grouping macros, generated from the dimension declarations (`impact.query.dimensions`,
the programme's disaggregations included), for the facts and for every rollup.

Every named query filters through one table macro per source and takes the shared filters as one bound struct:

    filtered_training($filters)        -- training rows under the filters
    grouped_training($filters, $grouping)  -- the same rows with `category` and `category2`

`$filters` is `{period_from, period_to, chosen}`: `chosen` maps a dimension's key to the values chosen (a key left
out, or an empty list: every value); a source tests only the dimensions its rows carry (volunteering ignores a
cadre). `$grouping` is `{dimension, dimension2, grain, a_from, a_to, b_from, b_to}`: the dimensions grouped by
(a key, `time` at a year, quarter or phase grain, `slot` for the two compared periods A and B, or '' for none).
A dimension's `category` is its code (a country's ISO-3 code, never its name); what a person reads is

    category_label($grouping['dimension'], category)  -- the label of a grouped value (a country's name)

read from the dimension's labels table (`country_labels`: the extract's countries' names, over the ISO 3166 short
names), after grouping: two codes with one name stay two groups, a renamed country stays one.
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
    "projects": Source("projects", "projects", "(select p.*, c.region, l.name as country from projects p "
                                               "join countries c on c.iso3 = p.iso3 "
                                               "join country_labels l on l.code = p.iso3)", lifetime=True),
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
    branches += [f"when '{d.key}' then {d.column}" for d in dimensions.of(programme)
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
    projects = "filtered_projects(filters)"
    if splits_countries(programme):  # grouped by country or region, a project is in each of its countries, its share
        by_place = ("(coalesce(grouping['dimension'], '') in ('country', 'region') or "
                    "coalesce(grouping['dimension2'], '') in ('country', 'region'))")
        projects = (f"(select * exclude (share_of_budget, own_country) from filtered_project_parts(filters) "  # noqa: S608 (no user text)
                    f"where {by_place} union all by name select * from filtered_projects(filters) where not {by_place})")
    return f"""create macro projects_by_dimension_value(filters, grouping) as table
-- The part of each project's life inside the window (filtered_projects keeps those that overlap it).
with lives as (
    select p.*, cast(greatest(p.start_date, filters['period_from']) as timestamp) as first_day,
           cast(least(p.end_date, filters['period_to'] + interval 3 month - interval 1 day) as timestamp) as last_day
    from {projects} p
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


# A country's label: its name in the extract's countries table (two codes of one name told apart by their code,
# 'Sudan (SDN)', 'Sudan (SSD)', on every page and export), else its ISO 3166 short name, else its code.
LABELS = ("create table country_labels as "
          "with named as (select iso3 as code, coalesce(name, iso3) as name from countries) "
          "select code, case when count(*) over (partition by name) > 1 then name || ' (' || code || ')' "
          "else name end as name from named "
          "union all select code, name from iso3166 where code not in (select iso3 from countries)")


def label_macro(programme) -> str:
    """`category_label(dimension, value)`: what a person reads for a grouped value — its name in the dimension's
    labels table (a country's code -> its name; a code with no name: the code), else the value itself."""
    branches = [f"when '{d.key}' then coalesce((select l.name from {d.labels} l where l.code = value), value)"  # noqa: S608
                for d in dimensions.of(programme) if d.labels]
    return f"create macro category_label(dimension, value) as case dimension {' '.join(branches)} else value end"


def splits_countries(programme) -> bool:
    """True when the programme splits a project read from IATI with several recipient countries across them
    (`iati.several_countries` is split)."""
    iati = getattr(programme, "iati", None)  # none: no programme (the structural dimensions only)
    return bool(iati and iati.several_countries == "split")


def split_projects_macros(programme) -> list[str]:
    """`filtered_project_parts(filters)` and `filtered_projects(filters)` of a programme that splits projects across
    their recipient countries. A part is a project in one of its countries, with that share of its budget, kept when
    the filters keep it. `filtered_projects` is still one row per project (counted once), with the budget of its
    parts kept — a project 60 % in UGA and 40 % in KEN has 40 % of its budget under a filter on KEN, and KEN as its
    country there; with every country, its whole budget and its own country (the largest share). The shares are the
    recipient countries' percentages kept from the IATI file (`iati_countries`), made to add up to 1 (equal shares
    when one is not given); a project whose own country is not among them, or with none, is whole in its own
    country."""
    tests = " and ".join(filter_tests(SOURCES["projects"], programme))
    parts = f"""create macro filtered_project_parts(filters) as table
with given as (
    select k.project_id, k.iso3, k.percentage
    from iati_countries k
    join projects p on p.project_id = k.project_id
    where k.iso3 in (select iso3 from countries)
      and exists (select 1 from iati_countries o where o.project_id = k.project_id and o.iso3 = p.iso3)
),
shares as (
    select project_id, iso3,
           case when count(*) filter (where percentage is null) over w > 0 or sum(percentage) over w = 0
                then 1.0 / count(*) over w
                else percentage / sum(percentage) over w end as share
    from given
    window w as (partition by project_id)
)
select * from (
    select p.* replace (coalesce(s.iso3, p.iso3) as iso3, p.budget * coalesce(s.share, 1.0) as budget),
           c.region, l.name as country, coalesce(s.share, 1.0) as share_of_budget, p.iso3 as own_country
    from projects p
    left join shares s on s.project_id = p.project_id
    join countries c on c.iso3 = coalesce(s.iso3, p.iso3)
    join country_labels l on l.code = coalesce(s.iso3, p.iso3)
) where {tests}"""
    whole = """create macro filtered_projects(filters) as table
with parts as (select * from filtered_project_parts(filters))
select r.* exclude (share_of_budget, own_country) replace (t.budget as budget)
from parts r
join (select project_id, cast(round(sum(budget)) as bigint) as budget from parts group by project_id) t
  on t.project_id = r.project_id
qualify row_number() over (partition by r.project_id order by r.iso3 = r.own_country desc, r.share_of_budget desc,
                                                   r.iso3) = 1"""
    return [parts, whole]


def statements(programme) -> list[str]:
    """Every generated table and macro of the main schema (after the facts' tables are built): the labels, then the
    filter and grouping macros (a programme that splits projects across their countries: its own projects' macros)."""
    out = [LABELS, label_macro(programme)]
    out += [filter_macro(s, programme) for s in SOURCES.values() if s.name != "projects" or not splits_countries(programme)]
    if splits_countries(programme):
        out += split_projects_macros(programme)
    out += [grouped_macro(SOURCES[name], programme) for name in ("training", "volunteering", "outcomes")]
    out.append(projects_by_dimension(programme))
    return out
