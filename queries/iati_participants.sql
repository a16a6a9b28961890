-- iati_participants: every project's partner institutions (IATI's implementing organisations), leads first.
-- params: (none)
-- columns: project_id, institution_id, name, side, institution_type, iso3, role
select pp.project_id, pp.institution_id, i.name, i.side, i.institution_type, i.iso3, pp.role
from project_partners pp
join institutions i using (institution_id)
left join vocabulary r on r.dimension = 'role' and r.value = pp.role
order by pp.project_id,
         case r.role when 'home lead' then 1 when 'overseas lead' then 2 when 'home partner' then 3 else 4 end, i.name
