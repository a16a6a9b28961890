-- trainees_by_place_theme_quarter: health workers trained per country, theme, project and quarter, under the filters
-- (the public site's themes chart, for any range of years and any place, adds its figures up from these).
-- params: filters (the shared filters)
-- columns: iso3, theme, project_id, quarter, trainees
-- reads: training(iso3, theme, project_id, period, trainees)
-- counted here: a project is counted in a theme's projects when it has a row of training there (as trainees_by_theme)
select iso3, theme, project_id, cast(year(period) as varchar) || 'Q' || cast(quarter(period) as varchar) as quarter,
       coalesce(sum(trainees), 0) as trainees
from filtered_training($filters)
group by all
order by iso3, theme, project_id, quarter
