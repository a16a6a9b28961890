-- training_by_dimension: training metrics grouped by a chosen dimension and an optional second one.
-- params: filters (the shared filters), grouping (the dimensions grouped by)
-- columns: category, category2, trainees, women_trained, women_share, countries_trained, trainers_trained, cascade_trainees
-- reads: training($grouping, trainees, gender_role, iso3, training_type_role)
select
    category,
    category2,
    sum(trainees) as trainees,
    women_trained(gender_role, trainees) as women_trained,
    women_share(gender_role, trainees) as women_share,
    countries_trained(iso3, trainees) as countries_trained,
    trainers_trained(training_type_role, trainees) as trainers_trained,
    cascade_trainees(training_type_role, trainees) as cascade_trainees
from grouped_training($filters, $grouping)
group by all
order by category, category2
