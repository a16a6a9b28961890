-- project_counts_by_quarter: every project's health workers trained and volunteer days (overseas, at home) per
-- quarter, under the filters (the public site's audit of small-cell suppression adds its figures up from these).
-- params: filters (the shared filters)
-- columns: project_id, quarter, trainees, volunteer_days_overseas, volunteer_days_uk
-- reads: training(project_id, period, trainees); volunteering(project_id, period, location_role, volunteer_days)
with
t as (
    select project_id, period, sum(trainees) as trainees
    from filtered_training($filters)
    group by all
),
v as (
    select project_id, period,
           volunteer_days_at(location_role, volunteer_days, 'overseas') as volunteer_days_overseas,
           volunteer_days_at(location_role, volunteer_days, 'home') as volunteer_days_uk
    from filtered_volunteering($filters)
    group by all
)
select project_id, cast(year(period) as varchar) || 'Q' || cast(quarter(period) as varchar) as quarter,
       coalesce(t.trainees, 0) as trainees, coalesce(v.volunteer_days_overseas, 0) as volunteer_days_overseas,
       coalesce(v.volunteer_days_uk, 0) as volunteer_days_uk
from t full outer join v using (project_id, period)
order by project_id, period
