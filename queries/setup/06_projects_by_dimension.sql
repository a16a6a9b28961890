-- Table macro: each project active under the shared filters, once per value of a chosen dimension and an
-- optional second one (see dimension_value); over time a project appears in every quarter (year) it was active.
create macro projects_by_dimension_value(period_from, period_to, phases, regions, countries, themes, grant_types,
                                         dimension, dimension2, grain, a_from, a_to, b_from, b_to) as table
with quarters as (
    select cast(q as date) as period
    from unnest(generate_series(cast(period_from as timestamp), cast(period_to as timestamp), interval 3 month)) as g(q)
),
-- A project counts in each span it overlaps: each quarter, or at a year's grain (with no compared periods, whose
-- slots are quarters) each year's quarters in the window as one span: the same projects per year, joined once a
-- year rather than once a quarter (end_date >= start_date, as the import checks).
spans as (
    select min(period) as period, min(period) as first_day, max(period) + interval 3 month as after_last
    from quarters
    where grain = 'year' and coalesce(dimension, '') <> 'slot' and coalesce(dimension2, '') <> 'slot'
    group by year(period)
    union all
    select period, period as first_day, period + interval 3 month as after_last
    from quarters
    where not (grain = 'year' and coalesce(dimension, '') <> 'slot' and coalesce(dimension2, '') <> 'slot')
)
select distinct
    dimension_value(dimension, grain, q.period, p.phase, p.region, p.country, p.theme, p.grant_type,
                    null, null, null, null, null, a_from, a_to, b_from, b_to) as category,
    dimension_value(dimension2, grain, q.period, p.phase, p.region, p.country, p.theme, p.grant_type,
                    null, null, null, null, null, a_from, a_to, b_from, b_to) as category2,
    p.project_id, p.iso3, p.budget_gbp
from filtered_projects(period_from, period_to, phases, regions, countries, themes, grant_types) p
join spans q on p.start_date < q.after_last and p.end_date >= q.first_day
