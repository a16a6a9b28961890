-- outcomes_by_dimension: each reported outcome indicator grouped by a chosen dimension and an optional second
-- one: its total, and its latest value (each project and country's value in its latest quarter of the group,
-- added up: the rows whose next report falls after the period or in another group, see queries/setup/00c).
-- The programme's indicator metrics (sums, latest values, ratios) are made from these by impact.indicators.
-- params: period_from, period_to, phases, regions, countries, themes, grant_types, cadres, genders, dimension, dimension2, grain, a_from, a_to, b_from, b_to
-- columns: category, category2, indicator, total, latest
-- reads: outcomes($dimension, $dimension2, indicator, next_period, value)
with rows as (
    select
        dimension_value($dimension, $grain, period, phase, region, country, theme, grant_type, null, null,
                        null, null, null, $a_from, $a_to, $b_from, $b_to) as category,
        dimension_value($dimension2, $grain, period, phase, region, country, theme, grant_type, null, null,
                        null, null, null, $a_from, $a_to, $b_from, $b_to) as category2,
        dimension_value($dimension, $grain, next_period, phase, region, country, theme, grant_type, null, null,
                        null, null, null, $a_from, $a_to, $b_from, $b_to) as next_category,
        dimension_value($dimension2, $grain, next_period, phase, region, country, theme, grant_type, null, null,
                        null, null, null, $a_from, $a_to, $b_from, $b_to) as next_category2,
        indicator, next_period, value
    from filtered_outcomes($period_from, $period_to, $phases, $regions, $countries, $themes, $grant_types)
)
select category, category2, indicator, sum(value) as total,
       sum(value) filter (where next_period is null or next_period > $period_to
                          or next_category is distinct from category
                          or next_category2 is distinct from category2) as latest
from rows
group by all
order by category, category2, indicator
