-- Table partner_facts: each project's partner institutions with the institution's side and the project's
-- attributes and dates, so that distinct counts of institutions under the filters need no join.
-- Table macro filtered_partners: those rows for the projects filtered_projects keeps (same filters).
create table partner_facts as
select pp.project_id, pp.institution_id, pp.role, i.side, p.theme, p.grant_type, p.phase, p.iso3, c.region,
       p.start_date, p.end_date
from project_partners pp
join institutions i using (institution_id)
join projects p using (project_id)
join countries c on c.iso3 = p.iso3
order by pp.institution_id;

create macro filtered_partners(period_from, period_to, phases, regions, countries, themes, grant_types) as table
select *
from partner_facts
where start_date < period_to + interval 3 month
  and end_date >= period_from
  and (len(phases) = 0 or list_contains(phases, phase))
  and (len(regions) = 0 or list_contains(regions, region))
  and (len(countries) = 0 or list_contains(countries, iso3))
  and (len(themes) = 0 or list_contains(themes, theme))
  and (len(grant_types) = 0 or list_contains(grant_types, grant_type));
