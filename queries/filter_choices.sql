-- filter_choices: the countries (with region) and the quarters present in the extract, for the filter widgets.
-- columns: iso3, country, region, first_period, last_period
-- (least and greatest skip NULLs: the first and last period of whichever tables have rows)
select c.iso3, l.name as country, c.region,
       least((select min(period) from training), (select min(period) from volunteering),
             (select min(period) from outcomes)) as first_period,
       greatest((select max(period) from training), (select max(period) from volunteering),
                (select max(period) from outcomes)) as last_period
from countries c
join country_labels l on l.code = c.iso3  -- a country's name: its code's label
order by l.name, c.iso3
