-- Aggregate macros: how each structural metric of impact/model/metrics.py is counted, written once for every
-- query. Values are matched by the role the programme's definition gives them (never by their text).
create macro women_trained(gender_role, n) as coalesce(sum(n) filter (where gender_role = 'women'), 0);
create macro women_share(gender_role, n) as
    coalesce(sum(n) filter (where gender_role = 'women'), 0) / nullif(sum(n), 0);
create macro countries_trained(country_code, n) as count(distinct country_code) filter (where n > 0);
create macro trainers_trained(kind_role, n) as coalesce(sum(n) filter (where kind_role = 'trainers'), 0);
create macro cascade_trainees(kind_role, n) as coalesce(sum(n) filter (where kind_role = 'cascade'), 0);
create macro volunteer_days_at(place_role, days, wanted) as coalesce(sum(days) filter (where place_role = wanted), 0);
create macro institutions_on_side(institution, institution_side, wanted) as
    count(distinct institution) filter (where institution_side = wanted);
