-- outcomes_by_dimension: outcome metrics grouped by a chosen dimension and an optional second one.
-- params: period_from, period_to, phases, regions, countries, themes, grant_types, cadres, genders, dimension, dimension2, grain, a_from, a_to, b_from, b_to
-- columns: category, category2, uk_volunteers_improved_skills, new_approaches_share, institutions_improved_quality, patients_improved_services
select
    dimension_value($dimension, $grain, period, phase, region, country, theme, grant_type, null, null,
                    null, null, null, $a_from, $a_to, $b_from, $b_to) as category,
    dimension_value($dimension2, $grain, period, phase, region, country, theme, grant_type, null, null,
                    null, null, null, $a_from, $a_to, $b_from, $b_to) as category2,
    outcome(indicator, value, 'uk_volunteers_improved_skills') as uk_volunteers_improved_skills,
    new_approaches_share(indicator, value) as new_approaches_share,
    outcome(indicator, value, 'institutions_improved_quality') as institutions_improved_quality,
    outcome(indicator, value, 'patients_improved_services') as patients_improved_services
from filtered_outcomes($period_from, $period_to, $phases, $regions, $countries, $themes, $grant_types)
group by all
order by category, category2
