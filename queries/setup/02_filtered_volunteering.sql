-- Table macro: volunteering rows with project and country attributes, under the shared filters
-- (cadre and gender describe trainees, so they do not apply here).
create macro filtered_volunteering(period_from, period_to, phases, regions, countries, themes, grant_types) as table
select v.*, p.theme, p.grant_type, p.phase, c.region, c.name as country
from volunteering v
join projects p using (project_id)
join countries c on c.iso3 = v.iso3
where v.period between period_from and period_to
  and (len(phases) = 0 or p.phase = any(phases))
  and (len(regions) = 0 or c.region = any(regions))
  and (len(countries) = 0 or v.iso3 = any(countries))
  and (len(themes) = 0 or p.theme = any(themes))
  and (len(grant_types) = 0 or p.grant_type = any(grant_types))
