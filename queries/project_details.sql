-- project_details: every project's attributes, lead institutions and all-time results (no filters), one row each,
-- ordered by project_id: project_detail's answer for every project at once (the public site's project pages).
-- params: (none)
-- columns: project_id, title, theme, grant_type, phase, iso3, country, region, uk_lead, overseas_lead, start_date, end_date, budget_gbp, trainees, women_trained, volunteer_days, volunteers
-- counted here: budget_gbp as each project's own grant value (the column budget), not added up
select p.project_id, p.title, p.theme, p.grant_type, p.phase, p.iso3, l.name as country, c.region,
       uk.name as uk_lead, os.name as overseas_lead, p.start_date, p.end_date, p.budget as budget_gbp,
       (select coalesce(sum(trainees), 0) from training t where t.project_id = p.project_id) as trainees,
       (select women_trained(gender_role, trainees) from training_facts t
         where t.project_id = p.project_id) as women_trained,
       (select coalesce(sum(volunteer_days), 0) from volunteering v where v.project_id = p.project_id) as volunteer_days,
       (select coalesce(sum(volunteers), 0) from volunteering v where v.project_id = p.project_id) as volunteers
from projects p
join countries c on c.iso3 = p.iso3
join country_labels l on l.code = p.iso3  -- a country's name: its code's label
left join institutions uk on uk.institution_id = p.uk_lead_id
left join institutions os on os.institution_id = p.overseas_lead_id
order by p.project_id
