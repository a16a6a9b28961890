-- training_by_project_dimension: each project's training metrics per quarter and value of a chosen dimension
-- (the disaggregated actuals an IATI result carries as `dimension` elements).
-- params: filters (the shared filters), grouping (the dimension: its key in grouping.dimension)
-- columns: project_id, period, category, trainees, women_trained, trainers_trained, cascade_trainees
-- reads: training($grouping, project_id, trainees, gender_role, training_type_role)
select
    project_id,
    period,
    category,
    sum(trainees) as trainees,
    women_trained(gender_role, trainees) as women_trained,
    trainers_trained(training_type_role, trainees) as trainers_trained,
    cascade_trainees(training_type_role, trainees) as cascade_trainees
from grouped_training($filters, $grouping)
group by all
order by project_id, period, category
