-- indicator_totals: each reported outcome indicator under the shared filters: its total, and its latest
-- value (each project and country's value in its latest quarter, added up).
-- params: period_from, period_to, phases, regions, countries, themes, grant_types
-- columns: indicator, total, latest
with grouped as (
    select indicator, project_id, iso3, sum(value) as total, arg_max(value, period) as latest
    from filtered_outcomes($period_from, $period_to, $phases, $regions, $countries, $themes, $grant_types)
    group by all
)
select indicator, sum(total) as total, sum(latest) as latest
from grouped
group by indicator
order by indicator
