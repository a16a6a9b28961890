-- project_results_by_quarter: one project's health workers trained and volunteer days per quarter, under the filters.
-- params: filters (the shared filters), project_id
-- columns: quarter, trainees, volunteer_days
-- reads: training(project_id, period, trainees); volunteering(project_id, period, volunteer_days)
with
t as (
    select period, sum(trainees) as trainees
    from filtered_training($filters)
    where project_id = $project_id
    group by period
),
v as (
    select period, sum(volunteer_days) as volunteer_days
    from filtered_volunteering($filters)
    where project_id = $project_id
    group by period
)
select cast(year(period) as varchar) || 'Q' || cast(quarter(period) as varchar) as quarter,
       coalesce(t.trainees, 0) as trainees, coalesce(v.volunteer_days, 0) as volunteer_days
from t full outer join v using (period)
order by period
