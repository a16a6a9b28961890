-- targets_list: every target, with its project's title, country and dates (empty for the programme's own).
-- params: (none)
-- columns: scope, project_id, title, country, start_date, end_date, metric, due_date, target, baseline, note
select t.scope, t.project_id, p.title, l.name as country, p.start_date, p.end_date,
       t.metric, t.due_date, t.target, t.baseline, t.note
from targets t
left join projects p using (project_id)
left join country_labels l on l.code = p.iso3  -- a country's name: its code's label
order by t.scope, t.project_id, t.metric, t.due_date
