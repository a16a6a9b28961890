-- programme_parts_by_quarter: what the programme's own targets are judged on, as changes per quarter over the whole programme (no filter): each structural metric counted from that quarter's rows, each indicator's values added up at their quarter — and a latest-value indicator's value (`latest`: their codes) taken off again at the quarter of the same project and country's next report, so that every running total is the programme's value as of that quarter.
-- params: latest
-- columns: period, metric, value
-- reads: training(period, gender_role, training_type_role, trainees); volunteering(period, location_role, volunteer_days, volunteers); outcomes(period, indicator, next_period, value)
with
t as (
    select period,
           sum(trainees) as trainees,
           women_trained(gender_role, trainees) as women_trained,
           trainers_trained(training_type_role, trainees) as trainers_trained,
           cascade_trainees(training_type_role, trainees) as cascade_trainees
    from training_facts
    group by period
),
v as (
    select period,
           sum(volunteer_days) as volunteer_days,
           volunteer_days_at(location_role, volunteer_days, 'overseas') as volunteer_days_overseas,
           volunteer_days_at(location_role, volunteer_days, 'home') as volunteer_days_uk,
           sum(volunteers) as volunteers
    from volunteering_facts
    group by period
),
o as (
    select period, indicator, value from outcomes_facts
    union all
    select next_period as period, indicator, -value as value
    from outcomes_facts
    where next_period is not null and list_contains($latest, indicator)
)
select period, metric, cast(value as double) as value
from (unpivot t on trainees, women_trained, trainers_trained, cascade_trainees into name metric value value)
union all
select period, metric, cast(value as double) as value
from (unpivot v on volunteer_days, volunteer_days_overseas, volunteer_days_uk, volunteers into name metric value value)
union all
select period, indicator as metric, cast(sum(value) as double) as value
from o
group by all
order by period, metric
