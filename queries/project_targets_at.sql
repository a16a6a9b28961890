-- project_targets_at: each project and metric with a target, for the projects active under the filters, with what its milestones expect by `day` (the date judged at): `reading` 'interpolate' joins the baseline (or zero) at the project's start and each milestone in turn by straight lines (nothing due on or before the start), 'last due' holds the latest milestone due on or before the day; its first baseline given, end target and end due date. The same arithmetic as results.expected_at, in its order.
-- params: filters (the shared filters), project ('' for every one), day, reading
-- columns: project_id, title, country, metric, start_date, baseline, expected, end_target, end_due
with
p as (
    select project_id, title, country, start_date
    from filtered_projects($filters)
    where $project = '' or project_id = $project
),
t as (
    select t.project_id, p.title, p.country, p.start_date, t.metric, t.due_date, t.target,
           row_number() over w as k,
           first_value(t.baseline ignore nulls) over (w rows between unbounded preceding and unbounded following)
               as baseline,
           first_value(t.due_date) over w as first_due,
           last_value(t.due_date) over (w rows between unbounded preceding and unbounded following) as end_due,
           last_value(t.target) over (w rows between unbounded preceding and unbounded following) as end_target,
           lag(t.due_date) over w as previous_due,
           lag(t.target) over w as previous_target
    from targets t
    join p using (project_id)
    where t.scope = 'project'
    window w as (partition by t.project_id, t.metric order by t.due_date)
),
pair as (
    select project_id, title, country, metric, start_date, baseline, first_due, end_due, end_target,
           -- the segment the day falls in: the first milestone due on or after it
           arg_min(struct_pack(k := k, due := due_date, target := target, previous_due := previous_due,
                               previous_target := previous_target), k) filter (where $day <= due_date) as segment,
           arg_max(target, k) filter (where due_date <= $day) as held,
           min(target) filter (where k = 1) as first_target
    from t
    group by all
)
select project_id, title, country, metric, start_date, baseline,
       case
           when $reading = 'last due' then held
           when $day <= start_date and start_date < first_due then null
           when start_date < first_due and $day <= start_date then coalesce(baseline, 0.0)
           when start_date >= first_due and $day <= first_due then first_target
           when segment is null then end_target
           when segment.k = 1 then coalesce(baseline, 0.0) + (segment.target - coalesce(baseline, 0.0))
                * date_diff('day', start_date, $day) / date_diff('day', start_date, segment.due)
           else segment.previous_target + (segment.target - segment.previous_target)
                * date_diff('day', segment.previous_due, $day) / date_diff('day', segment.previous_due, segment.due)
       end as expected,
       end_target, end_due
from pair
order by project_id, metric
