-- project_scores: one project's Principles of Partnership self-assessment, in the principles' order.
-- params: project_id
-- columns: principle, score
select principle, score
from partnership_scores
where project_id = $project_id
order by principle
