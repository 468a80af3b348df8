-- The dataset a training job trained on: the automatic evaluation of a classifier it produced
-- evaluates on that dataset's held-out split.
ALTER TABLE tracked_training_job ADD COLUMN dataset TEXT;
CREATE INDEX evaluation_run_producing_job ON evaluation_run (tenant, producing_job) WHERE producing_job IS NOT NULL;
