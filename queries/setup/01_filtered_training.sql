-- Table macro: training rows with their project and country attributes, under the shared filters.
-- Every list argument means "any value" when empty.
create macro filtered_training(period_from, period_to, phases, regions, countries, themes, grant_types, cadres, genders) as table
select t.*, p.theme, p.grant_type, p.phase, c.region, c.name as country
from training t
join projects p using (project_id)
join countries c on c.iso3 = t.iso3
where t.period between period_from and period_to
  and (len(phases) = 0 or p.phase = any(phases))
  and (len(regions) = 0 or c.region = any(regions))
  and (len(countries) = 0 or t.iso3 = any(countries))
  and (len(themes) = 0 or p.theme = any(themes))
  and (len(grant_types) = 0 or p.grant_type = any(grant_types))
  and (len(cadres) = 0 or t.cadre = any(cadres))
  and (len(genders) = 0 or t.gender = any(genders))
