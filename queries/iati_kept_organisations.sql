-- iati_kept_organisations: every participating organisation of each project read from IATI, as published, in order.
-- params: (none)
-- columns: project_id, position, org_role, ref, org_type, name, institution_id
select project_id, position, org_role, ref, org_type, name, institution_id
from iati_organisations
order by project_id, position
