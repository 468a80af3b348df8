-- Issue 5: typed specs, attempts, progress, metrics, logs, model and dataset registry.
ALTER TABLE training_job ADD COLUMN spec JSONB;
UPDATE training_job SET spec = jsonb_build_object(
    'algorithm', algorithm, 'model', base_model, 'dataset', dataset,
    'budget', jsonb_build_object('maxSteps', max_steps));
ALTER TABLE training_job ALTER COLUMN spec SET NOT NULL;
ALTER TABLE training_job RENAME COLUMN base_model TO model;
ALTER TABLE training_job DROP COLUMN teacher_model;
ALTER TABLE training_job DROP COLUMN max_steps;
ALTER TABLE training_job DROP COLUMN parameters;
ALTER TABLE training_job ADD COLUMN progress_step BIGINT NOT NULL DEFAULT 0;
ALTER TABLE training_job ADD COLUMN total_steps BIGINT NOT NULL DEFAULT 0;
ALTER TABLE training_job ADD COLUMN eta_seconds DOUBLE PRECISION;
ALTER TABLE training_job ADD COLUMN reason TEXT;
ALTER TABLE training_job ADD COLUMN message TEXT;
ALTER TABLE training_job ADD COLUMN started_at TIMESTAMPTZ;
ALTER TABLE training_job ADD COLUMN finished_at TIMESTAMPTZ;
ALTER TABLE training_job ADD COLUMN output_model TEXT;
ALTER TABLE training_job ADD COLUMN cancel_requested BOOLEAN NOT NULL DEFAULT false;
-- which worker runs the current attempt, and when it last said it was alive
ALTER TABLE training_job ADD COLUMN worker TEXT;
ALTER TABLE training_job ADD COLUMN heartbeat_at TIMESTAMPTZ;
CREATE INDEX training_job_queue ON training_job (created_at) WHERE state = 'QUEUED';
CREATE INDEX training_job_running ON training_job (heartbeat_at) WHERE state = 'RUNNING';
CREATE INDEX training_job_filters ON training_job (tenant, state, algorithm, model);

CREATE TABLE job_attempt (
    job_id       UUID        NOT NULL REFERENCES training_job (job_id),
    attempt      INTEGER     NOT NULL,
    state        TEXT        NOT NULL,
    worker       TEXT,
    started_at   TIMESTAMPTZ,
    finished_at  TIMESTAMPTZ,
    reason       TEXT,
    message      TEXT,
    PRIMARY KEY (job_id, attempt)
);

CREATE TABLE job_metric (
    job_id   UUID             NOT NULL REFERENCES training_job (job_id),
    attempt  INTEGER          NOT NULL,
    step     BIGINT           NOT NULL,
    name     TEXT             NOT NULL,
    value    DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (job_id, name, step)
);

CREATE TABLE job_log (
    id       BIGSERIAL   PRIMARY KEY,
    job_id   UUID        NOT NULL REFERENCES training_job (job_id),
    attempt  INTEGER     NOT NULL,
    time     TIMESTAMPTZ NOT NULL,
    level    TEXT        NOT NULL,
    message  TEXT        NOT NULL
);
CREATE INDEX job_log_job ON job_log (job_id, id);

CREATE TABLE model (
    name             TEXT        NOT NULL,
    version          INTEGER     NOT NULL,
    architecture     TEXT        NOT NULL,
    uri              TEXT        NOT NULL,
    base_model       TEXT,
    teacher_model    TEXT,
    reference_model  TEXT,
    producing_job    UUID,
    metrics          JSONB       NOT NULL DEFAULT '{}'::jsonb,
    created_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (name, version)
);
-- a job registers its model once, however often it is resumed or its events redelivered
CREATE UNIQUE INDEX model_producing_job ON model (producing_job) WHERE producing_job IS NOT NULL;

CREATE TABLE dataset (
    name         TEXT        PRIMARY KEY,
    kind         TEXT        NOT NULL,
    uri          TEXT,
    records      BIGINT,
    built_in     BOOLEAN     NOT NULL,
    description  TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
