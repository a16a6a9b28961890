-- trainees_by_theme: health workers trained per project theme, largest first.
-- params: period_from, period_to, phases, regions, countries, themes, grant_types, cadres, genders
-- columns: theme, trainees, projects
-- reads: training(theme, project_id, trainees)
select theme, sum(trainees) as trainees, count(distinct project_id) as projects
from filtered_training($period_from, $period_to, $phases, $regions, $countries, $themes, $grant_types, $cadres, $genders)
group by theme
having sum(trainees) > 0
order by trainees desc, theme
