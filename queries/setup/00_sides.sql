-- Table institutions, with the role the programme's definition gives each institution's side (side_role: home,
-- overseas; empty when not known), so queries and metrics match a side by its role, never by its label's text.
create or replace table institutions as
select i.*, s.role as side_role
from institutions i
left join vocabulary s on s.dimension = 'side' and s.value = i.side
order by i.institution_id
