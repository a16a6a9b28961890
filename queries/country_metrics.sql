-- country_metrics: one row per country with partnership activity under the filters: the map's metrics.
-- params: filters (the shared filters)
-- columns: iso3, country, region, trainees, women_trained, women_share, volunteer_days, projects, institutions
-- reads: training(iso3, gender_role, trainees); volunteering(iso3, volunteer_days)
with
p as (
    select project_id, iso3
    from filtered_projects($filters)
),
t as (
    select iso3, sum(trainees) as trainees, women_trained(gender_role, trainees) as women_trained
    from filtered_training($filters)
    group by iso3
),
v as (
    select iso3, sum(volunteer_days) as volunteer_days
    from filtered_volunteering($filters)
    group by iso3
),
n as (
    select iso3, count(*) as projects  -- a project is one row of filtered_projects
    from p
    group by iso3
),
i as (
    select n.iso3, n.projects, coalesce(pp.institutions, 0) as institutions
    from n
    left join (
        select iso3, count(distinct institution_id) as institutions
        from filtered_partners($filters)
        group by iso3
    ) pp using (iso3)
)
select c.iso3, l.name as country, c.region,
       coalesce(t.trainees, 0) as trainees, coalesce(t.women_trained, 0) as women_trained,
       t.women_trained / nullif(t.trainees, 0) as women_share,
       coalesce(v.volunteer_days, 0) as volunteer_days,
       coalesce(i.projects, 0) as projects, coalesce(i.institutions, 0) as institutions
from countries c
join country_labels l on l.code = c.iso3  -- a country's name: its code's label
left join t using (iso3)
left join v using (iso3)
left join i using (iso3)
where t.iso3 is not null or v.iso3 is not null or i.iso3 is not null
order by trainees desc, country
