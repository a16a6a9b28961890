-- outcomes_by_dimension: each reported outcome indicator grouped by a chosen dimension and an optional second
-- one: its total, and its latest value (each project and country's value in its latest quarter of the group,
-- added up: the rows whose next report falls after the period or in another group, see queries/setup/00c and impact.query.macros).
-- The programme's indicator metrics (sums, latest values, ratios) are made from these by impact.indicators.
-- params: filters (the shared filters), grouping (the dimensions grouped by)
-- columns: category, category2, indicator, total, latest, label, label2
-- category and category2 are the groups' codes (a country's ISO-3 code); label and label2 what a person reads
-- (category_label: a country's name), given after grouping.
-- reads: outcomes($grouping, indicator, next_period, value)
with rows as (
    select category, category2, next_category, next_category2, indicator, next_period, value
    from grouped_outcomes($filters, $grouping)
),
grouped as (
    select category, category2, indicator, sum(value) as total,
           sum(value) filter (where next_period is null or next_period > $filters['period_to']
                              or next_category is distinct from category
                              or next_category2 is distinct from category2) as latest
    from rows
    group by all
)
select *, category_label($grouping['dimension'], category) as label,
       category_label($grouping['dimension2'], category2) as label2
from grouped
order by category, category2, indicator
