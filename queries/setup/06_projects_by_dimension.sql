-- Table macro: each project active under the shared filters, once per value of a chosen dimension and an
-- optional second one (see dimension_value); over time a project appears in every quarter (year) it was active.
create macro projects_by_dimension_value(period_from, period_to, phases, regions, countries, themes, grant_types,
                                         dimension, dimension2, grain, a_from, a_to, b_from, b_to) as table
-- The part of each project's life inside the window (filtered_projects keeps those that overlap it).
with lives as (
    select p.*, cast(greatest(p.start_date, period_from) as timestamp) as first_day,
           cast(least(p.end_date, period_to + interval 3 month - interval 1 day) as timestamp) as last_day
    from filtered_projects(period_from, period_to, phases, regions, countries, themes, grant_types) p
),
-- A project counts in each span it overlaps, listed from its own dates rather than joined against every span:
-- once, when neither dimension depends on the period (a phase is the project's own); each year of its life at a
-- year's grain (as that year's quarters in the window); else each quarter of it. Only compared periods (slots)
-- gather several quarters of a project into one value: those rows alone need `distinct` (end_date >= start_date,
-- as the import checks).
spans as (
    select l.*, k.slotted, cast(unnest(case
        when not slotted and not timed then [l.first_day]
        when not slotted and grain = 'year'
            then generate_series(date_trunc('year', l.first_day), date_trunc('year', l.last_day), interval 1 year)
        else generate_series(date_trunc('quarter', l.first_day), date_trunc('quarter', l.last_day), interval 3 month)
    end) as date) as span
    from lives l,
         (select coalesce(dimension, '') = 'slot' or coalesce(dimension2, '') = 'slot' as slotted,
                 (coalesce(dimension, '') = 'time' or coalesce(dimension2, '') = 'time') and grain <> 'phase' as timed) k
),
rows as (
    select dimension_value(dimension, grain, greatest(s.span, period_from), s.phase, s.region, s.country, s.theme,
                           s.grant_type, null, null, null, null, null, a_from, a_to, b_from, b_to) as category,
           dimension_value(dimension2, grain, greatest(s.span, period_from), s.phase, s.region, s.country, s.theme,
                           s.grant_type, null, null, null, null, null, a_from, a_to, b_from, b_to) as category2,
           s.project_id, s.iso3, s.budget_gbp, s.slotted
    from spans s
)
select category, category2, project_id, iso3, budget_gbp from rows where not slotted
union all
select distinct category, category2, project_id, iso3, budget_gbp from rows where slotted
