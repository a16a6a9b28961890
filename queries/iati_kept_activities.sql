-- iati_kept_activities: what each project read from IATI said as published (identifier, publisher, status, dates,
-- and the theme and grant value the import gave it).
-- params: (none)
-- columns: project_id, iati_identifier, reporting_org_ref, reporting_org_type, reporting_org_name, status, planned_start, actual_start, planned_end, actual_end, recipient_region, region_vocabulary, imported_theme, grant_value
select project_id, iati_identifier, reporting_org_ref, reporting_org_type, reporting_org_name, status,
       planned_start, actual_start, planned_end, actual_end, recipient_region, region_vocabulary, imported_theme, grant_value
from iati_activities
order by project_id
