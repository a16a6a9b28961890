-- projects_by_dimension: projects, countries and funding grouped by a chosen dimension and an
-- optional second one; over time a project counts in every quarter it was active.
-- params: period_from, period_to, phases, regions, countries, themes, grant_types, cadres, genders, dimension, dimension2, grain, a_from, a_to, b_from, b_to
-- columns: category, category2, projects, countries_active, budget_gbp
select category, category2, count(*) as projects, count(distinct iso3) as countries_active,
       sum(budget_gbp) as budget_gbp
from projects_by_dimension_value($period_from, $period_to, $phases, $regions, $countries, $themes, $grant_types,
                                 $dimension, $dimension2, $grain, $a_from, $a_to, $b_from, $b_to)
group by all
order by category, category2
