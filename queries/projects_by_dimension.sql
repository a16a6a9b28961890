-- projects_by_dimension: projects, countries, funding and partner institutions grouped by a chosen
-- dimension and an optional second one; over time a project counts in every quarter it was active.
-- params: period_from, period_to, phases, regions, countries, themes, grant_types, cadres, genders, dimension, dimension2, grain, a_from, a_to, b_from, b_to
-- columns: category, category2, projects, countries_active, budget_gbp, institutions, institutions_overseas, institutions_uk
with
quarters as (
    select cast(q as date) as period
    from unnest(generate_series(cast($period_from as timestamp), cast($period_to as timestamp), interval 3 month)) as g(q)
),
active as (
    select distinct
        dimension_value($dimension, $grain, q.period, p.phase, p.region, p.country, p.theme, p.grant_type,
                        null, null, null, null, null, $a_from, $a_to, $b_from, $b_to) as category,
        dimension_value($dimension2, $grain, q.period, p.phase, p.region, p.country, p.theme, p.grant_type,
                        null, null, null, null, null, $a_from, $a_to, $b_from, $b_to) as category2,
        p.project_id, p.iso3, p.budget_gbp
    from filtered_projects($period_from, $period_to, $phases, $regions, $countries, $themes, $grant_types) p
    join quarters q on p.start_date < q.period + interval 3 month and p.end_date >= q.period
),
projects as (
    select category, category2, count(*) as projects, count(distinct iso3) as countries_active,
           sum(budget_gbp) as budget_gbp
    from active
    group by all
),
partners as (
    select a.category, a.category2,
           count(distinct pp.institution_id) as institutions,
           count(distinct pp.institution_id) filter (where i.side = 'Overseas') as institutions_overseas,
           count(distinct pp.institution_id) filter (where i.side = 'UK') as institutions_uk
    from active a
    join project_partners pp using (project_id)
    join institutions i using (institution_id)
    group by all
)
select p.category, p.category2, p.projects, p.countries_active, p.budget_gbp,
       coalesce(x.institutions, 0) as institutions, coalesce(x.institutions_overseas, 0) as institutions_overseas,
       coalesce(x.institutions_uk, 0) as institutions_uk
from projects p
left join partners x on x.category is not distinct from p.category and x.category2 is not distinct from p.category2
order by p.category, p.category2
