-- iati_kept_budgets: every budget of each project read from IATI, as published, in the activity's order.
-- params: (none)
-- columns: project_id, position, budget_type, budget_status, period_start, period_end, amount, currency, value_date
select project_id, position, budget_type, budget_status, period_start, period_end, amount, currency, value_date
from iati_budgets
order by project_id, position
