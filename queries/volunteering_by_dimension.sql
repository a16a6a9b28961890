-- volunteering_by_dimension: volunteering metrics grouped by a chosen dimension and an optional second one.
-- params: filters (the shared filters), grouping (the dimensions grouped by)
-- columns: category, category2, volunteer_days_overseas, volunteer_days_uk, volunteer_days, volunteers, label, label2
-- category and category2 are the groups' codes (a country's ISO-3 code); label and label2 what a person reads
-- (category_label: a country's name), given after grouping.
-- reads: volunteering($grouping, location_role, volunteer_days, volunteers)
with grouped as (
    select
        category,
        category2,
        volunteer_days_at(location_role, volunteer_days, 'overseas') as volunteer_days_overseas,
        volunteer_days_at(location_role, volunteer_days, 'home') as volunteer_days_uk,
        sum(volunteer_days) as volunteer_days,
        sum(volunteers) as volunteers
    from grouped_volunteering($filters, $grouping)
    group by all
)
select *, category_label($grouping['dimension'], category) as label,
       category_label($grouping['dimension2'], category2) as label2
from grouped
order by category, category2
