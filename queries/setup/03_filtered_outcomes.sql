-- Table macro: outcome rows with project and country attributes, under the shared filters.
create macro filtered_outcomes(period_from, period_to, phases, regions, countries, themes, grant_types) as table
select *
from outcomes_facts o
where period between period_from and period_to
  and (len(phases) = 0 or phase = any(phases))
  and (len(regions) = 0 or region = any(regions))
  and (len(countries) = 0 or iso3 = any(countries))
  and (len(themes) = 0 or theme = any(themes))
  and (len(grant_types) = 0 or grant_type = any(grant_types))
