-- projects_in_scope: the projects active under the filters, with their country and dates.
-- params: filters (the shared filters)
-- columns: project_id, title, country, start_date, end_date
select project_id, title, country, start_date, end_date
from filtered_projects($filters)
order by project_id
