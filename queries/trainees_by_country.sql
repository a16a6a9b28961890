-- trainees_by_country: health workers trained per country, largest first: grouped by its code (iso3), its name
-- the label of country_labels and its region the countries table's.
-- params: filters (the shared filters)
-- columns: iso3, country, region, trainees
-- reads: training(iso3, trainees)
with t as (
    select iso3, sum(trainees) as trainees
    from filtered_training($filters)
    group by iso3
    having sum(trainees) > 0
)
select t.iso3, coalesce(l.name, t.iso3) as country, c.region, t.trainees
from t
left join country_labels l on l.code = t.iso3
left join countries c on c.iso3 = t.iso3
order by trainees desc, country, iso3
