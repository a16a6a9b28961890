-- Table volunteering_facts: volunteering rows with project and country attributes and the role of their
-- location in the programme's definition (overseas or home), sorted by period.
-- per period of: volunteering (built one quarter at a time, in order, as training_facts)
create table volunteering_facts as
select v.*, p.theme, p.grant_type, p.phase, c.region, l.role as location_role
from volunteering v
join projects p using (project_id)
join countries c on c.iso3 = v.iso3
left join vocabulary l on l.dimension = 'location' and l.value = v.location
where v.period = $period
order by v.iso3
