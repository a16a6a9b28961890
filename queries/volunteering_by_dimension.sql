-- volunteering_by_dimension: volunteering metrics grouped by a chosen dimension and an optional second one.
-- params: filters (the shared filters), grouping (the dimensions grouped by)
-- columns: category, category2, volunteer_days_overseas, volunteer_days_uk, volunteer_days, volunteers
-- reads: volunteering($grouping, location_role, volunteer_days, volunteers)
select
    category,
    category2,
    volunteer_days_at(location_role, volunteer_days, 'overseas') as volunteer_days_overseas,
    volunteer_days_at(location_role, volunteer_days, 'home') as volunteer_days_uk,
    sum(volunteer_days) as volunteer_days,
    sum(volunteers) as volunteers
from grouped_volunteering($filters, $grouping)
group by all
order by category, category2
