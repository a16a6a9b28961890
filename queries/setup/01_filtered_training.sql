-- Table macro: training rows with their project and country attributes, under the shared filters.
-- Every list argument means "any value" when empty.
create macro filtered_training(period_from, period_to, phases, regions, countries, themes, grant_types, cadres, genders) as table
select *
from training_facts t
where period between period_from and period_to
  and (len(phases) = 0 or list_contains(phases, phase))
  and (len(regions) = 0 or list_contains(regions, region))
  and (len(countries) = 0 or list_contains(countries, iso3))
  and (len(themes) = 0 or list_contains(themes, theme))
  and (len(grant_types) = 0 or list_contains(grant_types, grant_type))
  and (len(cadres) = 0 or list_contains(cadres, cadre))
  and (len(genders) = 0 or list_contains(genders, gender))
