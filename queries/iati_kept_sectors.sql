-- iati_kept_sectors: every sector of each project read from IATI, with its vocabulary and percentage, as published.
-- params: (none)
-- columns: project_id, vocabulary, code, percentage, name
select project_id, vocabulary, code, percentage, name
from iati_sectors
order by project_id, vocabulary, code
