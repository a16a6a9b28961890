-- outcomes_by_dimension: outcome metrics grouped by a chosen dimension and an optional second one.
-- params: period_from, period_to, phases, regions, countries, themes, grant_types, cadres, genders, dimension, dimension2, grain, a_from, a_to, b_from, b_to
-- columns: category, category2, uk_volunteers_improved_skills, new_approaches_share, institutions_improved_quality, patients_improved_services
select
    dimension_value($dimension, $grain, period, phase, region, country, theme, grant_type, null, null,
                    null, null, null, $a_from, $a_to, $b_from, $b_to) as category,
    dimension_value($dimension2, $grain, period, phase, region, country, theme, grant_type, null, null,
                    null, null, null, $a_from, $a_to, $b_from, $b_to) as category2,
    coalesce(sum(value) filter (where indicator = 'uk_volunteers_improved_skills'), 0) as uk_volunteers_improved_skills,
    sum(value) filter (where indicator = 'uk_volunteers_new_approaches')
        / nullif(sum(value) filter (where indicator = 'uk_volunteers_surveyed'), 0) as new_approaches_share,
    coalesce(sum(value) filter (where indicator = 'institutions_improved_quality'), 0) as institutions_improved_quality,
    coalesce(sum(value) filter (where indicator = 'patients_improved_services'), 0) as patients_improved_services
from filtered_outcomes($period_from, $period_to, $phases, $regions, $countries, $themes, $grant_types)
group by all
order by category, category2
