-- indicator_totals: each reported outcome indicator under the shared filters: its total, and its latest
-- value (each project and country's value in its latest quarter, added up: the rows whose next report falls
-- after the period, see queries/setup/00c).
-- params: period_from, period_to, phases, regions, countries, themes, grant_types
-- columns: indicator, total, latest
-- reads: outcomes(indicator, next_period, value)
select indicator, sum(value) as total,
       sum(value) filter (where next_period is null or next_period > $period_to) as latest
from filtered_outcomes($period_from, $period_to, $phases, $regions, $countries, $themes, $grant_types)
group by indicator
order by indicator
