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
-- each quarter of its life; at a year's grain (with no compared periods, whose slots are quarters) each year of
-- it, as that year's quarters in the window; and once, when neither dimension is a time (end_date >= start_date,
-- as the import checks).
spans as (
    select l.*, cast(unnest(case
        when coalesce(dimension, '') not in ('time', 'slot') and coalesce(dimension2, '') not in ('time', 'slot')
            then [l.first_day]
        when grain = 'year' and coalesce(dimension, '') <> 'slot' and coalesce(dimension2, '') <> 'slot'
            then generate_series(date_trunc('year', l.first_day), date_trunc('year', l.last_day), interval 1 year)
        else generate_series(date_trunc('quarter', l.first_day), date_trunc('quarter', l.last_day), interval 3 month)
    end) as date) as span
    from lives l
)
select distinct
    dimension_value(dimension, grain, greatest(s.span, period_from), s.phase, s.region, s.country, s.theme,
                    s.grant_type, null, null, null, null, null, a_from, a_to, b_from, b_to) as category,
    dimension_value(dimension2, grain, greatest(s.span, period_from), s.phase, s.region, s.country, s.theme,
                    s.grant_type, null, null, null, null, null, a_from, a_to, b_from, b_to) as category2,
    s.project_id, s.iso3, s.budget_gbp
from spans s
