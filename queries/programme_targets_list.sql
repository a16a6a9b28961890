-- programme_targets_list: the programme's own targets (scope programme), in the columns of targets_list.
-- params: (none)
-- columns: scope, project_id, title, country, start_date, end_date, metric, due_date, target, baseline, note
select t.scope, t.project_id, cast(null as varchar) as title, cast(null as varchar) as country,
       cast(null as date) as start_date, cast(null as date) as end_date,
       t.metric, t.due_date, t.target, t.baseline, t.note
from targets t
where t.scope = 'programme'
order by t.metric, t.due_date
