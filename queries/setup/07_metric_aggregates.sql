-- Aggregate macros: how each metric of impact/metrics.py is counted, written once for every query.
create macro women_trained(g, n) as coalesce(sum(n) filter (where g = 'Female'), 0);
create macro women_share(g, n) as coalesce(sum(n) filter (where g = 'Female'), 0) / nullif(sum(n), 0);
create macro countries_trained(country_code, n) as count(distinct country_code) filter (where n > 0);
create macro trainers_trained(kind, n) as coalesce(sum(n) filter (where kind = 'Training of trainers'), 0);
create macro cascade_trainees(kind, n) as coalesce(sum(n) filter (where kind = 'Cascade'), 0);
create macro volunteer_days_at(place, days, wanted) as coalesce(sum(days) filter (where place = wanted), 0);
create macro outcome(code, v, wanted) as coalesce(sum(v) filter (where code = wanted), 0);
create macro new_approaches_share(code, v) as
    sum(v) filter (where code = 'uk_volunteers_new_approaches')
    / nullif(sum(v) filter (where code = 'uk_volunteers_surveyed'), 0);
create macro institutions_on_side(institution, institution_side, wanted) as
    count(distinct institution) filter (where institution_side = wanted);
