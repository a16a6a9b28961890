-- Table macro: training rows with their project and country attributes, under the shared filters.
-- Every list argument means "any value" when empty.
create macro filtered_training(period_from, period_to, phases, regions, countries, themes, grant_types, cadres, genders) as table
select *
from training_facts t
where period between period_from and period_to
  and (len(phases) = 0 or phase = any(phases))
  and (len(regions) = 0 or region = any(regions))
  and (len(countries) = 0 or iso3 = any(countries))
  and (len(themes) = 0 or theme = any(themes))
  and (len(grant_types) = 0 or grant_type = any(grant_types))
  and (len(cadres) = 0 or cadre = any(cadres))
  and (len(genders) = 0 or gender = any(genders))
