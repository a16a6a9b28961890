-- filter_choices: the countries (with region) and the quarters present in the extract, for the filter widgets.
-- columns: iso3, country, region, first_period, last_period
with periods as (
    select period from training
    union all select period from volunteering
    union all select period from outcomes
)
select c.iso3, c.name as country, c.region,
       (select min(period) from periods) as first_period,
       (select max(period) from periods) as last_period
from countries c
order by c.name
