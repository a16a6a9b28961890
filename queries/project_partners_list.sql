-- project_partners_list: the institutions taking part in one project, leads first.
-- params: project_id
-- columns: name, side, role, institution_type, country
-- (a country's name is its code's label, country_labels: the extract's countries, else the ISO 3166 name)
select i.name, i.side, pp.role, i.institution_type, coalesce(c.name, i.iso3) as country
from project_partners pp
join institutions i using (institution_id)
left join country_labels c on c.code = i.iso3
left join vocabulary r on r.dimension = 'role' and r.value = pp.role
where pp.project_id = $project_id
order by case r.role when 'home lead' then 1 when 'overseas lead' then 2 when 'home partner' then 3 else 4 end, i.name
