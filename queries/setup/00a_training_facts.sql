-- Table training_facts: training rows with their project's theme, grant type and phase, their
-- country's region (a country is its code, iso3; its name is a label: country_labels), and the roles the
-- programme's definition gives their gender and training type (women; trainers, cascade), sorted by period
-- so that period filters skip whole blocks.
-- per period of: training (built one quarter at a time, in order: the compile sorts one quarter, not all rows)
create table training_facts as
select t.*, p.theme, p.grant_type, p.phase, c.region,
       g.role as gender_role, k.role as training_type_role
from training t
join projects p using (project_id)
join countries c on c.iso3 = t.iso3
left join vocabulary g on g.dimension = 'gender' and g.value = t.gender
left join vocabulary k on k.dimension = 'training_type' and k.value = t.training_type
where t.period = $period
order by t.iso3
