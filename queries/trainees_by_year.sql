-- trainees_by_year: health workers trained per calendar year, and the running total.
-- params: filters (the shared filters)
-- columns: year, trainees, cumulative_trainees
-- reads: training(period, trainees)
select
    year(period) as year,
    sum(trainees) as trainees,
    sum(sum(trainees)) over (order by year(period)) as cumulative_trainees
from filtered_training($filters)
group by year(period)
order by year
