-- institutions_by_dimension: partner institutions (all, overseas side, home side) on the projects active in each group
-- of a chosen dimension and an optional second one; over time a project counts in every quarter it was active.
-- params: filters (the shared filters), grouping (the dimensions grouped by)
-- columns: category, category2, institutions, institutions_overseas, institutions_uk, label, label2
-- category and category2 are the groups' codes (a country's ISO-3 code); label and label2 what a person reads
-- (category_label: a country's name), given after grouping.
with grouped as (
    select a.category, a.category2,
           count(distinct pp.institution_id) as institutions,
           institutions_on_side(pp.institution_id, i.side_role, 'overseas') as institutions_overseas,
           institutions_on_side(pp.institution_id, i.side_role, 'home') as institutions_uk
    from projects_by_dimension_value($filters, $grouping) a
    join project_partners pp using (project_id)
    join institutions i using (institution_id)
    group by all
)
select *, category_label($grouping['dimension'], category) as label,
       category_label($grouping['dimension2'], category2) as label2
from grouped
order by category, category2
