-- projects_without_targets: the projects active under the filters that have no target set, with their country.
-- params: filters (the shared filters)
-- columns: project_id, title, country
select project_id, title, country
from filtered_projects($filters) p
where not exists (select 1 from targets t where t.scope = 'project' and t.project_id = p.project_id)
order by project_id
