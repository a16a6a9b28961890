-- Table outcomes_facts: outcome rows with project and country attributes, sorted by period.
create table outcomes_facts as
select o.*, p.theme, p.grant_type, p.phase, c.region, c.name as country
from outcomes o
join projects p using (project_id)
join countries c on c.iso3 = o.iso3
order by o.period, o.iso3
