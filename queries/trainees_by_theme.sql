-- trainees_by_theme: health workers trained per project theme, largest first.
-- params: filters (the shared filters)
-- columns: theme, trainees, projects
-- reads: training(theme, project_id, trainees)
-- counted here: projects as count(distinct project_id) (the projects with training in the theme)
select theme, sum(trainees) as trainees, count(distinct project_id) as projects
from filtered_training($filters)
group by theme
having sum(trainees) > 0
order by trainees desc, theme
