-- institutions_list: partner institutions on projects active under the filters, on both sides, whose
-- name, type or country contain the search text, with how many of those projects each is on: the first
-- $row_limit (UK first, then by projects and name; every one when it is NULL), each row carrying how many
-- institutions match in all (`matching`; `matching_uk` of them in the UK). A country's name is its code's label
-- (country_labels: the extract's countries, else the ISO 3166 name: the UK side's own country too).
-- params: filters (the shared filters), search, row_limit
-- columns: institution_id, name, side, institution_type, country, projects, lead_roles, matching, matching_uk
-- counted here: projects as count(distinct project_id) (the projects an institution is a partner in)
with p as (
    select project_id
    from filtered_projects($filters)
),
counted as (
    select pp.institution_id, count(distinct pp.project_id) as projects,
           count(*) filter (where pp.role in ('UK lead', 'Overseas lead')) as lead_roles
    from project_partners pp
    join p using (project_id)
    group by all
),
listed as (
    select i.institution_id, i.name, i.side, i.institution_type,
           coalesce(c.name, i.iso3) as country,
           counted.projects, counted.lead_roles
    from counted
    join institutions i using (institution_id)
    left join country_labels c on c.code = i.iso3
    where $search = ''
       or contains(lower(i.name), lower($search)) or contains(lower(i.institution_type), lower($search))
       or contains(lower(coalesce(c.name, i.iso3)), lower($search))
)
-- Counted apart, not as window aggregates: a filtered count over () is slow in DuckDB (seconds at 10M rows).
select listed.*, n.matching, n.matching_uk
from listed,
     (select count(*) as matching, count(*) filter (where side = 'UK') as matching_uk from listed) n
order by listed.side desc, listed.projects desc, listed.name, listed.institution_id
limit $row_limit
