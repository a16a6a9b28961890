-- Table macro: projects active at some time in the period, under the shared filters.
create macro filtered_projects(period_from, period_to, phases, regions, countries, themes, grant_types) as table
select p.*, c.region, c.name as country
from projects p
join countries c on c.iso3 = p.iso3
where p.start_date < period_to + interval 3 month
  and p.end_date >= period_from
  and (len(phases) = 0 or p.phase = any(phases))
  and (len(regions) = 0 or c.region = any(regions))
  and (len(countries) = 0 or p.iso3 = any(countries))
  and (len(themes) = 0 or p.theme = any(themes))
  and (len(grant_types) = 0 or p.grant_type = any(grant_types))
