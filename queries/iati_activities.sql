-- iati_activities: every project of the programme as an IATI activity says it, with its country's name and region.
-- params: (none)
-- columns: project_id, title, theme, grant_type, phase, iso3, country, region, start_date, end_date, budget_gbp
-- counted here: budget_gbp as each project's own grant value (the column budget), not added up
select p.project_id, p.title, p.theme, p.grant_type, p.phase, p.iso3, l.name as country, c.region,
       p.start_date, p.end_date, p.budget as budget_gbp
from projects p
left join countries c using (iso3)
left join country_labels l on l.code = p.iso3  -- a country's name: its code's label
order by p.project_id
