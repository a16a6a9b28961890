-- projects_in_scope: the projects active under the filters, with their country and dates.
-- params: period_from, period_to, phases, regions, countries, themes, grant_types
-- columns: project_id, title, country, start_date, end_date
select project_id, title, country, start_date, end_date
from filtered_projects($period_from, $period_to, $phases, $regions, $countries, $themes, $grant_types)
order by project_id
