-- targets_list: every target, with its project's title, country and dates (empty for the programme's own).
-- params: (none)
-- columns: scope, project_id, title, country, start_date, end_date, metric, due_date, target, baseline, note
select t.scope, t.project_id, p.title, c.name as country, p.start_date, p.end_date,
       t.metric, t.due_date, t.target, t.baseline, t.note
from targets t
left join projects p using (project_id)
left join countries c on c.iso3 = p.iso3
order by t.scope, t.project_id, t.metric, t.due_date
