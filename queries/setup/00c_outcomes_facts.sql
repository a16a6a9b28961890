-- Table outcomes_facts: outcome rows with project and country attributes, sorted by period, and the period of
-- the same project, country and indicator's next report (NULL for its last): a row is the latest of its group
-- within a window exactly when its next report falls after the window, so "latest" is a filter, not a ranking.
create table outcomes_facts as
select o.*, p.theme, p.grant_type, p.phase, c.region,
       lead(o.period) over (partition by o.project_id, o.iso3, o.indicator order by o.period) as next_period
from outcomes o
join projects p using (project_id)
join countries c on c.iso3 = o.iso3
order by o.period, o.iso3
