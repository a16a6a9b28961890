-- targets_count: how many targets the data version holds (the programme's and its projects').
-- params: (none)
-- columns: targets
select count(*) as targets from targets
