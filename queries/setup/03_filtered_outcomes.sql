-- Table macro: outcome rows with project and country attributes, under the shared filters.
create macro filtered_outcomes(period_from, period_to, phases, regions, countries, themes, grant_types) as table
select *
from outcomes_facts o
where period between period_from and period_to
  and (len(phases) = 0 or list_contains(phases, phase))
  and (len(regions) = 0 or list_contains(regions, region))
  and (len(countries) = 0 or list_contains(countries, iso3))
  and (len(themes) = 0 or list_contains(themes, theme))
  and (len(grant_types) = 0 or list_contains(grant_types, grant_type))
