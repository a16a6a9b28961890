-- Table macro: each project active under the shared filters, once per value of a chosen dimension and an
-- optional second one (see dimension_value); over time a project appears in every quarter it was active.
create macro projects_by_dimension_value(period_from, period_to, phases, regions, countries, themes, grant_types,
                                         dimension, dimension2, grain, a_from, a_to, b_from, b_to) as table
with quarters as (
    select cast(q as date) as period
    from unnest(generate_series(cast(period_from as timestamp), cast(period_to as timestamp), interval 3 month)) as g(q)
)
select distinct
    dimension_value(dimension, grain, q.period, p.phase, p.region, p.country, p.theme, p.grant_type,
                    null, null, null, null, null, a_from, a_to, b_from, b_to) as category,
    dimension_value(dimension2, grain, q.period, p.phase, p.region, p.country, p.theme, p.grant_type,
                    null, null, null, null, null, a_from, a_to, b_from, b_to) as category2,
    p.project_id, p.iso3, p.budget_gbp
from filtered_projects(period_from, period_to, phases, regions, countries, themes, grant_types) p
join quarters q on p.start_date < q.period + interval 3 month and p.end_date >= q.period
