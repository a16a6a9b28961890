-- training_by_dimension: training metrics grouped by a chosen dimension and an optional second one.
-- params: filters (the shared filters), grouping (the dimensions grouped by)
-- columns: category, category2, trainees, women_trained, women_share, countries_trained, trainers_trained, cascade_trainees, label, label2
-- category and category2 are the groups' codes (a country's ISO-3 code); label and label2 what a person reads
-- (category_label: a country's name), given after grouping.
-- reads: training($grouping, trainees, gender_role, iso3, training_type_role)
with grouped as (
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
)
select *, category_label($grouping['dimension'], category) as label,
       category_label($grouping['dimension2'], category2) as label2
from grouped
order by category, category2
