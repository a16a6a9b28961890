-- Table training_facts: training rows with their project's theme, grant type and phase and their
-- country's name and region, sorted by period so that period filters skip whole blocks.
create table training_facts as
select t.*, p.theme, p.grant_type, p.phase, c.region, c.name as country
from training t
join projects p using (project_id)
join countries c on c.iso3 = t.iso3
order by t.period, t.iso3
