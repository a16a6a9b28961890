-- training_by_dimension: training metrics grouped by a chosen dimension and an optional second one.
-- params: period_from, period_to, phases, regions, countries, themes, grant_types, cadres, genders, dimension, dimension2, grain, a_from, a_to, b_from, b_to
-- columns: category, category2, trainees, women_trained, women_share, countries_trained, trainers_trained, cascade_trainees
select
    dimension_value($dimension, $grain, period, phase, region, country, theme, grant_type, cadre, gender,
                    training_type, null, null, $a_from, $a_to, $b_from, $b_to) as category,
    dimension_value($dimension2, $grain, period, phase, region, country, theme, grant_type, cadre, gender,
                    training_type, null, null, $a_from, $a_to, $b_from, $b_to) as category2,
    sum(trainees) as trainees,
    coalesce(sum(trainees) filter (where gender = 'Female'), 0) as women_trained,
    coalesce(sum(trainees) filter (where gender = 'Female'), 0) / nullif(sum(trainees), 0) as women_share,
    count(distinct iso3) filter (where trainees > 0) as countries_trained,
    coalesce(sum(trainees) filter (where training_type = 'Training of trainers'), 0) as trainers_trained,
    coalesce(sum(trainees) filter (where training_type = 'Cascade'), 0) as cascade_trainees
from filtered_training($period_from, $period_to, $phases, $regions, $countries, $themes, $grant_types, $cadres, $genders)
group by all
order by category, category2
