-- training_by_dimension: training metrics grouped by a chosen dimension and an optional second one.
-- params: period_from, period_to, phases, regions, countries, themes, grant_types, cadres, genders, dimension, dimension2, grain, a_from, a_to, b_from, b_to
-- columns: category, category2, trainees, women_trained, women_share, countries_trained, trainers_trained, cascade_trainees
-- reads: training($dimension, $dimension2, trainees, gender_role, iso3, training_type_role)
select
    dimension_value($dimension, $grain, period, phase, region, country, theme, grant_type, cadre, gender,
                    training_type, null, null, $a_from, $a_to, $b_from, $b_to) as category,
    dimension_value($dimension2, $grain, period, phase, region, country, theme, grant_type, cadre, gender,
                    training_type, null, null, $a_from, $a_to, $b_from, $b_to) as category2,
    sum(trainees) as trainees,
    women_trained(gender_role, trainees) as women_trained,
    women_share(gender_role, trainees) as women_share,
    countries_trained(iso3, trainees) as countries_trained,
    trainers_trained(training_type_role, trainees) as trainers_trained,
    cascade_trainees(training_type_role, trainees) as cascade_trainees
from filtered_training($period_from, $period_to, $phases, $regions, $countries, $themes, $grant_types, $cadres, $genders)
group by all
order by category, category2
