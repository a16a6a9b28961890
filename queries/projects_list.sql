-- projects_list: projects active under the filters whose title, id, country, theme or lead institutions
-- contain the search text (case-insensitive, taken literally), with their results: the first $row_limit
-- by project id (every one when it is NULL), each row carrying how many projects match in all (`matching`).
-- Results are summed, and leads named, for the projects listed only: a page of a large programme reads a page's rows
-- (the range of their ids as well as the ids themselves, so that DuckDB skips the blocks of rollups sorted by project).
-- params: filters (the shared filters), search, row_limit
-- columns: project_id, title, uk_lead, overseas_lead, country, theme, grant_type, phase, start_date, end_date, budget_gbp, trainees, volunteer_days, matching
-- reads: training(project_id, trainees); volunteering(project_id, volunteer_days)
-- counted here: budget_gbp as each project's own grant value (the column budget), not added up
with
-- Institutions whose name holds the search text (none without a search): a project matches through its leads.
named as (
    select institution_id from institutions where $search <> '' and contains(lower(name), lower($search))
),
p as (
    select p.project_id, p.title, p.uk_lead_id, p.overseas_lead_id, p.country, p.theme, p.grant_type,
           p.phase, p.start_date, p.end_date, p.budget, count(*) over () as matching
    from filtered_projects($filters) p
    where $search = ''
       or contains(lower(p.title), lower($search)) or contains(lower(p.project_id), lower($search))
       or contains(lower(p.country), lower($search)) or contains(lower(p.theme), lower($search))
       or p.uk_lead_id in (select institution_id from named) or p.overseas_lead_id in (select institution_id from named)
    order by p.project_id
    limit $row_limit
),
t as (
    select project_id, sum(trainees) as trainees
    from filtered_training($filters)
    where project_id between (select min(project_id) from p) and (select max(project_id) from p)
      and project_id in (select project_id from p)
    group by project_id
),
v as (
    select project_id, sum(volunteer_days) as volunteer_days
    from filtered_volunteering($filters)
    where project_id between (select min(project_id) from p) and (select max(project_id) from p)
      and project_id in (select project_id from p)
    group by project_id
)
select p.project_id, p.title, uk.name as uk_lead, os.name as overseas_lead, p.country, p.theme, p.grant_type, p.phase, p.start_date,
       p.end_date, p.budget as budget_gbp, coalesce(t.trainees, 0) as trainees, coalesce(v.volunteer_days, 0) as volunteer_days,
       p.matching
from p
left join institutions uk on uk.institution_id = p.uk_lead_id
left join institutions os on os.institution_id = p.overseas_lead_id
left join t using (project_id)
left join v using (project_id)
order by p.project_id
