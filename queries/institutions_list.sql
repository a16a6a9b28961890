-- institutions_list: partner institutions on projects active under the filters, on both sides, whose
-- name, type or country contain the search text, with how many of those projects each is on: the first
-- $row_limit (the home side first, then by projects and name; every one when it is NULL), each row carrying how
-- many institutions match in all (`matching`; `matching_uk` of them on the home side, e.g. in the UK).
-- A country's name is its code's label (country_labels: the extract's countries, else the ISO 3166 name).
-- params: filters (the shared filters), search, row_limit
-- columns: institution_id, name, side, institution_type, country, projects, lead_roles, matching, matching_uk
-- counted here: projects as count(distinct project_id) (the projects an institution is a partner in)
with p as (
    select project_id
    from filtered_projects($filters)
),
counted as (
    select pp.institution_id, count(distinct pp.project_id) as projects,
           count(*) filter (where r.role in ('home lead', 'overseas lead')) as lead_roles
    from project_partners pp
    join p using (project_id)
    left join vocabulary r on r.dimension = 'role' and r.value = pp.role
    group by all
),
listed as (
    select i.institution_id, i.name, i.side, i.institution_type,
           coalesce(c.name, i.iso3) as country,
           counted.projects, counted.lead_roles, i.side_role
    from counted
    join institutions i using (institution_id)
    left join country_labels c on c.code = i.iso3
    where $search = ''
       or contains(lower(i.name), lower($search)) or contains(lower(i.institution_type), lower($search))
       or contains(lower(coalesce(c.name, i.iso3)), lower($search))
)
-- Counted apart, not as window aggregates: a filtered count over () is slow in DuckDB (seconds at 10M rows).
select listed.* exclude (side_role), n.matching, n.matching_uk
from listed,
     (select count(*) as matching, count(*) filter (where side_role = 'home') as matching_uk from listed) n
order by case listed.side_role when 'home' then 0 when 'overseas' then 1 else 2 end, listed.projects desc, listed.name, listed.institution_id
limit $row_limit
