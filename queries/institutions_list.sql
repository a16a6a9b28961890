-- institutions_list: partner institutions on projects active under the filters, on both sides, whose
-- name, type or country contain the search text, with how many of those projects each is on.
-- params: period_from, period_to, phases, regions, countries, themes, grant_types, cadres, genders, search
-- columns: institution_id, name, side, institution_type, country, projects, lead_roles
with p as (
    select project_id
    from filtered_projects($period_from, $period_to, $phases, $regions, $countries, $themes, $grant_types)
)
select i.institution_id, i.name, i.side, i.institution_type,
       coalesce(c.name, case when i.iso3 = 'GBR' then 'United Kingdom' else i.iso3 end) as country,
       count(distinct pp.project_id) as projects,
       count(*) filter (where pp.role in ('UK lead', 'Overseas lead')) as lead_roles
from project_partners pp
join p using (project_id)
join institutions i using (institution_id)
left join countries c on c.iso3 = i.iso3
group by all
having $search = ''
    or contains(lower(i.name), lower($search)) or contains(lower(i.institution_type), lower($search))
    or contains(lower(country), lower($search))
order by i.side desc, projects desc, i.name
