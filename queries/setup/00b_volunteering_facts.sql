-- Table volunteering_facts: volunteering rows with project and country attributes, sorted by period.
create table volunteering_facts as
select v.*, p.theme, p.grant_type, p.phase, c.region, c.name as country
from volunteering v
join projects p using (project_id)
join countries c on c.iso3 = v.iso3
order by v.period, v.iso3
