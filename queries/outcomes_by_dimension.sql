-- outcomes_by_dimension: each reported outcome indicator grouped by a chosen dimension and an optional second
-- one: its total, and its latest value (each project and country's value in its latest quarter of the group,
-- added up: the rows whose next report falls after the period or in another group, see queries/setup/00c and impact.query.macros).
-- The programme's indicator metrics (sums, latest values, ratios) are made from these by impact.indicators.
-- params: filters (the shared filters), grouping (the dimensions grouped by)
-- columns: category, category2, indicator, total, latest
-- reads: outcomes($grouping, indicator, next_period, value)
with rows as (
    select category, category2, next_category, next_category2, indicator, next_period, value
    from grouped_outcomes($filters, $grouping)
)
select category, category2, indicator, sum(value) as total,
       sum(value) filter (where next_period is null or next_period > $filters['period_to']
                          or next_category is distinct from category
                          or next_category2 is distinct from category2) as latest
from rows
group by all
order by category, category2, indicator
