-- target_parts_by_quarter: what the actual of every target is built from, for the projects active under the
-- filters (all of each project's rows, whatever the filters): per project, country, quarter and metric, each
-- structural metric counted from training and volunteering rows (added up) and each reported indicator's value.
-- params: filters (the shared filters)
-- columns: project_id, iso3, period, metric, value
with
p as (
    select project_id
    from filtered_projects($filters)
),
t as (
    select project_id, iso3, period,
           sum(trainees) as trainees,
           women_trained(gender_role, trainees) as women_trained,
           trainers_trained(training_type_role, trainees) as trainers_trained,
           cascade_trainees(training_type_role, trainees) as cascade_trainees
    from training_facts semi join p using (project_id)
    group by all
),
v as (
    select project_id, iso3, period,
           sum(volunteer_days) as volunteer_days,
           volunteer_days_at(location_role, volunteer_days, 'overseas') as volunteer_days_overseas,
           volunteer_days_at(location_role, volunteer_days, 'home') as volunteer_days_uk,
           sum(volunteers) as volunteers
    from volunteering_facts semi join p using (project_id)
    group by all
)
select project_id, iso3, period, metric, cast(value as double) as value
from (unpivot t on trainees, women_trained, trainers_trained, cascade_trainees into name metric value value)
union all
select project_id, iso3, period, metric, cast(value as double) as value
from (unpivot v on volunteer_days, volunteer_days_overseas, volunteer_days_uk, volunteers into name metric value value)
union all
select project_id, iso3, period, indicator as metric, cast(sum(value) as double) as value
from outcomes_facts semi join p using (project_id)
group by all
