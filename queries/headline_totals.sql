-- headline_totals: one row of headline figures under the shared filters.
-- params: period_from, period_to, phases, regions, countries, themes, grant_types, cadres, genders
-- columns: trainees, women_trained, countries_trained, projects, countries_active, institutions, institutions_overseas, institutions_uk, volunteer_days_overseas, volunteer_days_uk, volunteer_days, volunteers, uk_volunteers_improved_skills, new_approaches_share, institutions_improved_quality, patients_improved_services, budget_gbp
with
t as (
    select
        coalesce(sum(trainees), 0) as trainees,
        women_trained(gender, trainees) as women_trained,
        countries_trained(iso3, trainees) as countries_trained
    from filtered_training($period_from, $period_to, $phases, $regions, $countries, $themes, $grant_types, $cadres, $genders)
),
p as (
    select project_id, iso3, budget_gbp
    from filtered_projects($period_from, $period_to, $phases, $regions, $countries, $themes, $grant_types)
),
i as (
    select
        count(distinct pp.institution_id) as institutions,
        institutions_on_side(pp.institution_id, inst.side, 'Overseas') as institutions_overseas,
        institutions_on_side(pp.institution_id, inst.side, 'UK') as institutions_uk
    from project_partners pp
    join institutions inst using (institution_id)
    where pp.project_id in (select project_id from p)
),
v as (
    select
        volunteer_days_at(location, volunteer_days, 'Overseas') as volunteer_days_overseas,
        volunteer_days_at(location, volunteer_days, 'UK') as volunteer_days_uk,
        coalesce(sum(volunteer_days), 0) as volunteer_days,
        coalesce(sum(volunteers), 0) as volunteers
    from filtered_volunteering($period_from, $period_to, $phases, $regions, $countries, $themes, $grant_types)
),
o as (
    select
        outcome(indicator, value, 'uk_volunteers_improved_skills') as uk_volunteers_improved_skills,
        new_approaches_share(indicator, value) as new_approaches_share,
        outcome(indicator, value, 'institutions_improved_quality') as institutions_improved_quality,
        outcome(indicator, value, 'patients_improved_services') as patients_improved_services
    from filtered_outcomes($period_from, $period_to, $phases, $regions, $countries, $themes, $grant_types)
)
select
    t.trainees, t.women_trained, t.countries_trained,
    (select count(*) from p) as projects,
    (select count(distinct iso3) from p) as countries_active,
    i.institutions, i.institutions_overseas, i.institutions_uk,
    v.volunteer_days_overseas, v.volunteer_days_uk, v.volunteer_days, v.volunteers,
    o.uk_volunteers_improved_skills, o.new_approaches_share, o.institutions_improved_quality,
    o.patients_improved_services,
    (select coalesce(sum(budget_gbp), 0) from p) as budget_gbp
from t, i, v, o
