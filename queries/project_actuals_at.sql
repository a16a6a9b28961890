-- project_actuals_at: every metric a project's targets are judged on, as of one quarter (`as_of`: its first day), for the projects active under the filters (all of each project's rows up to that quarter, whatever the filters): each structural metric counted from training and volunteering rows up to then, each indicator's values added up — a latest-value indicator's (`latest`: their codes) only the rows not yet followed by the same project and country's next report. A project has a row for every metric it has any row of (value 0 before its first), as in target_parts_by_quarter's running totals.
-- params: filters (the shared filters), project ('' for every one), as_of, latest, metrics (the metrics wanted)
-- columns: project_id, metric, value
with
p as (
    select project_id
    from filtered_projects($filters)
    where $project = '' or project_id = $project
),
tf as (
    select project_id, gender_role, training_type_role,
           case when period <= $as_of then trainees else 0 end as trainees
    from training_facts semi join p using (project_id)
),
t as (
    select project_id,
           sum(trainees) as trainees,
           women_trained(gender_role, trainees) as women_trained,
           trainers_trained(training_type_role, trainees) as trainers_trained,
           cascade_trainees(training_type_role, trainees) as cascade_trainees
    from tf
    group by project_id
),
vf as (
    select project_id, location_role,
           case when period <= $as_of then volunteer_days else 0 end as volunteer_days,
           case when period <= $as_of then volunteers else 0 end as volunteers
    from volunteering_facts semi join p using (project_id)
),
v as (
    select project_id,
           sum(volunteer_days) as volunteer_days,
           volunteer_days_at(location_role, volunteer_days, 'overseas') as volunteer_days_overseas,
           volunteer_days_at(location_role, volunteer_days, 'home') as volunteer_days_uk,
           sum(volunteers) as volunteers
    from vf
    group by project_id
)
select project_id, metric, cast(value as double) as value
from (unpivot t on trainees, women_trained, trainers_trained, cascade_trainees into name metric value value)
where metric = any($metrics)
union all
select project_id, metric, cast(value as double) as value
from (unpivot v on volunteer_days, volunteer_days_overseas, volunteer_days_uk, volunteers into name metric value value)
where metric = any($metrics)
union all
select project_id, indicator as metric,
       cast(coalesce(sum(value) filter (where period <= $as_of
                                        and (next_period is null or next_period > $as_of
                                             or not indicator = any($latest))), 0) as double) as value
from outcomes_facts semi join p using (project_id)
where indicator = any($metrics)
group by all
