-- trainees_by_country: health workers trained per country, largest first.
-- params: filters (the shared filters)
-- columns: iso3, country, region, trainees
-- reads: training(iso3, country, region, trainees)
select iso3, country, region, sum(trainees) as trainees
from filtered_training($filters)
group by iso3, country, region
having sum(trainees) > 0
order by trainees desc, country
