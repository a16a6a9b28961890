-- iati_participants: every project's partner institutions (IATI's implementing organisations), leads first.
-- params: (none)
-- columns: project_id, institution_id, name, side, institution_type, iso3, role
select pp.project_id, pp.institution_id, i.name, i.side, i.institution_type, i.iso3, pp.role
from project_partners pp
join institutions i using (institution_id)
order by pp.project_id,
         case pp.role when 'UK lead' then 1 when 'Overseas lead' then 2 when 'UK partner' then 3 else 4 end, i.name
