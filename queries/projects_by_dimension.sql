-- projects_by_dimension: projects, countries and funding grouped by a chosen dimension and an
-- optional second one; over time a project counts in every quarter it was active.
-- params: filters (the shared filters), grouping (the dimensions grouped by)
-- columns: category, category2, projects, countries_active, budget_gbp, label, label2
-- category and category2 are the groups' codes (a country's ISO-3 code); label and label2 what a person reads
-- (category_label: a country's name), given after grouping. A country not known (XAA-XZZ) is no country: not
-- counted in countries_active.
with grouped as (
    select category, category2, count(*) as projects, count(distinct iso3) filter (where iso3 not like 'X%') as countries_active,
           sum(budget) as budget_gbp
    from projects_by_dimension_value($filters, $grouping)
    group by all
)
select *, category_label($grouping['dimension'], category) as label,
       category_label($grouping['dimension2'], category2) as label2
from grouped
order by category, category2
