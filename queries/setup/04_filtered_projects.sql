-- Table macro: projects active at some time in the period, under the shared filters.
create macro filtered_projects(period_from, period_to, phases, regions, countries, themes, grant_types) as table
select p.*, c.region, c.name as country
from projects p
join countries c on c.iso3 = p.iso3
where p.start_date < period_to + interval 3 month
  and p.end_date >= period_from
  and (len(phases) = 0 or list_contains(phases, p.phase))
  and (len(regions) = 0 or list_contains(regions, c.region))
  and (len(countries) = 0 or list_contains(countries, p.iso3))
  and (len(themes) = 0 or list_contains(themes, p.theme))
  and (len(grant_types) = 0 or list_contains(grant_types, p.grant_type))
