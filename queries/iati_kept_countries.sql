-- iati_kept_countries: every recipient country of each project read from IATI, with its percentage, as published.
-- params: (none)
-- columns: project_id, code, iso3, percentage
select project_id, code, iso3, percentage
from iati_countries
order by project_id, percentage desc nulls last, code
