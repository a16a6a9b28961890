-- project_partners_list: the institutions taking part in one project, leads first.
-- params: project_id
-- columns: name, side, role, institution_type, country
select i.name, i.side, pp.role, i.institution_type,
       coalesce(c.name, case when i.iso3 = 'GBR' then 'United Kingdom' else i.iso3 end) as country
from project_partners pp
join institutions i using (institution_id)
left join countries c on c.iso3 = i.iso3
where pp.project_id = $project_id
order by case pp.role when 'UK lead' then 1 when 'Overseas lead' then 2 when 'UK partner' then 3 else 4 end, i.name
