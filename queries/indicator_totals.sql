-- indicator_totals: each reported outcome indicator under the shared filters: its total, and its latest
-- value (each project and country's value in its latest quarter, added up: the rows whose next report falls
-- after the period, see queries/setup/00c).
-- params: filters (the shared filters)
-- columns: indicator, total, latest
-- reads: outcomes(indicator, next_period, value)
select indicator, sum(value) as total,
       sum(value) filter (where next_period is null or next_period > $filters['period_to']) as latest
from filtered_outcomes($filters)
group by indicator
order by indicator
