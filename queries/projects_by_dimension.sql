-- projects_by_dimension: projects, countries and funding grouped by a chosen dimension and an
-- optional second one; over time a project counts in every quarter it was active.
-- params: filters (the shared filters), grouping (the dimensions grouped by)
-- columns: category, category2, projects, countries_active, budget_gbp
-- (a country not known, XAA-XZZ, is no country: not counted in countries_active)
select category, category2, count(*) as projects, count(distinct iso3) filter (where iso3 not like 'X%') as countries_active,
       sum(budget_gbp) as budget_gbp
from projects_by_dimension_value($filters, $grouping)
group by all
order by category, category2
