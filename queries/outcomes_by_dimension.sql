-- outcomes_by_dimension: each reported outcome indicator grouped by a chosen dimension and an optional second
-- one: its total, and its latest value (each project and country's value in its latest quarter, added up).
-- The programme's indicator metrics (sums, latest values, ratios) are made from these by impact.indicators.
-- params: period_from, period_to, phases, regions, countries, themes, grant_types, cadres, genders, dimension, dimension2, grain, a_from, a_to, b_from, b_to
-- columns: category, category2, indicator, total, latest
with grouped as (
    select
        dimension_value($dimension, $grain, period, phase, region, country, theme, grant_type, null, null,
                        null, null, null, $a_from, $a_to, $b_from, $b_to) as category,
        dimension_value($dimension2, $grain, period, phase, region, country, theme, grant_type, null, null,
                        null, null, null, $a_from, $a_to, $b_from, $b_to) as category2,
        indicator, project_id, iso3,
        sum(value) as total,
        arg_max(value, period) as latest
    from filtered_outcomes($period_from, $period_to, $phases, $regions, $countries, $themes, $grant_types)
    group by all
)
select category, category2, indicator, sum(total) as total, sum(latest) as latest
from grouped
group by all
order by category, category2, indicator
