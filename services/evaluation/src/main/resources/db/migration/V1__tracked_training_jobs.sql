-- Training jobs as evaluation knows them, built from training.job-events.v1. Evaluation runs
-- the automatic suite on the models these jobs produce.
CREATE TABLE tracked_training_job (
    job_id          UUID        PRIMARY KEY,
    tenant          TEXT        NOT NULL,
    algorithm       TEXT        NOT NULL,
    divergence      TEXT        NOT NULL,
    base_model      TEXT        NOT NULL,
    state           TEXT        NOT NULL,
    submitted_at    TIMESTAMPTZ NOT NULL,
    last_event_at   TIMESTAMPTZ NOT NULL,
    -- how many job events were applied: a redelivered event that slipped through would show here
    events_applied  INTEGER     NOT NULL
);
CREATE INDEX tracked_training_job_recent ON tracked_training_job (tenant, submitted_at DESC);
