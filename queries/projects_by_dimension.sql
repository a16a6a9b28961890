-- projects_by_dimension: projects, countries and funding grouped by a chosen dimension and an
-- optional second one; over time a project counts in every quarter it was active.
-- params: filters (the shared filters), grouping (the dimensions grouped by)
-- columns: category, category2, projects, countries_active, budget_gbp
select category, category2, count(*) as projects, count(distinct iso3) as countries_active,
       sum(budget) as budget_gbp
from projects_by_dimension_value($filters, $grouping)
group by all
order by category, category2
