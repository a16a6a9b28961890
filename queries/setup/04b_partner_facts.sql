-- Table partner_facts: each project's partner institutions with the institution's side and the project's
-- attributes and dates, so that distinct counts of institutions under the filters need no join (its filter macro,
-- filtered_partners, is generated with the others by impact.query.macros).
create table partner_facts as
select pp.project_id, pp.institution_id, pp.role, i.side, i.side_role, p.theme, p.grant_type, p.phase, p.iso3, c.region,
       p.start_date, p.end_date
from project_partners pp
join institutions i using (institution_id)
join projects p using (project_id)
join countries c on c.iso3 = p.iso3
order by pp.institution_id
