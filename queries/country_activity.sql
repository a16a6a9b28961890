-- country_activity: one row per country with partnership activity under the filters: health workers trained and
-- projects (what the Portfolio's map and table need: country_metrics without its distinct institutions).
-- params: filters (the shared filters)
-- columns: iso3, country, region, trainees, projects
-- reads: training(iso3, trainees)
with
t as (
    select iso3, sum(trainees) as trainees
    from filtered_training($filters)
    group by iso3
),
n as (
    select iso3, count(*) as projects  -- a project is one row of filtered_projects
    from filtered_projects($filters)
    group by iso3
)
select c.iso3, l.name as country, c.region, coalesce(t.trainees, 0) as trainees, coalesce(n.projects, 0) as projects
from countries c
join country_labels l on l.code = c.iso3  -- a country's name: its code's label
left join t using (iso3)
left join n using (iso3)
where t.iso3 is not null or n.iso3 is not null
order by trainees desc, country
