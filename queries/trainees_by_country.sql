-- trainees_by_country: health workers trained per country, largest first.
-- params: period_from, period_to, phases, regions, countries, themes, grant_types, cadres, genders
-- columns: iso3, country, region, trainees
-- reads: training(iso3, country, region, trainees)
select iso3, country, region, sum(trainees) as trainees
from filtered_training($period_from, $period_to, $phases, $regions, $countries, $themes, $grant_types, $cadres, $genders)
group by iso3, country, region
having sum(trainees) > 0
order by trainees desc, country
