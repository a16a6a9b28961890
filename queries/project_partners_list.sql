-- project_partners_list: the institutions taking part in one project, leads first.
-- params: project_id
-- columns: name, side, role, institution_type, country
select i.name, i.side, pp.role, i.institution_type,
       coalesce(c.name, h.description, i.iso3) as country
from project_partners pp
join institutions i using (institution_id)
left join countries c on c.iso3 = i.iso3
left join vocabulary h on h.dimension = 'home_country' and h.value = i.iso3
left join vocabulary r on r.dimension = 'role' and r.value = pp.role
where pp.project_id = $project_id
order by case r.role when 'home lead' then 1 when 'overseas lead' then 2 when 'home partner' then 3 else 4 end, i.name
