-- reporting_expected: every project and quarter it reports for (each quarter from its start to its end), with the rows it reported for that quarter in the data in use.
-- columns: project_id, title, iso3, country, region, quarter, rows_reported
with expected as (
    select p.project_id, p.title, p.iso3,
           unnest(generate_series(date_trunc('quarter', p.start_date)::date, p.end_date, interval 3 month))::date as quarter
    from projects p
),
reported as (
    select project_id, period, count(*) as n
    from (select project_id, period from training
          union all select project_id, period from volunteering
          union all select project_id, period from outcomes)
    group by project_id, period
)
select e.project_id, e.title, e.iso3, coalesce(l.name, e.iso3) as country, c.region, e.quarter,
       coalesce(r.n, 0)::bigint as rows_reported
from expected e
left join reported r on r.project_id = e.project_id and r.period = e.quarter
left join countries c on c.iso3 = e.iso3
left join country_labels l on l.code = e.iso3  -- a country's name: its code's label
order by e.project_id, e.quarter
