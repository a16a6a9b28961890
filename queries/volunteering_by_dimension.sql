-- volunteering_by_dimension: volunteering metrics grouped by a chosen dimension and an optional second one.
-- params: period_from, period_to, phases, regions, countries, themes, grant_types, cadres, genders, dimension, dimension2, grain, a_from, a_to, b_from, b_to
-- columns: category, category2, volunteer_days_overseas, volunteer_days_uk, volunteer_days, volunteers
-- reads: volunteering($dimension, $dimension2, location_role, volunteer_days, volunteers)
select
    dimension_value($dimension, $grain, period, phase, region, country, theme, grant_type, null, null,
                    null, location, profession, $a_from, $a_to, $b_from, $b_to) as category,
    dimension_value($dimension2, $grain, period, phase, region, country, theme, grant_type, null, null,
                    null, location, profession, $a_from, $a_to, $b_from, $b_to) as category2,
    volunteer_days_at(location_role, volunteer_days, 'overseas') as volunteer_days_overseas,
    volunteer_days_at(location_role, volunteer_days, 'home') as volunteer_days_uk,
    sum(volunteer_days) as volunteer_days,
    sum(volunteers) as volunteers
from filtered_volunteering($period_from, $period_to, $phases, $regions, $countries, $themes, $grant_types)
group by all
order by category, category2
