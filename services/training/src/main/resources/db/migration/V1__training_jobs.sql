CREATE TABLE training_job (
    job_id           UUID        PRIMARY KEY,
    tenant           TEXT        NOT NULL,
    idempotency_key  TEXT,
    display_name     TEXT        NOT NULL,
    algorithm        TEXT        NOT NULL,
    divergence       TEXT        NOT NULL,
    base_model       TEXT        NOT NULL,
    teacher_model    TEXT,
    dataset          TEXT        NOT NULL,
    max_steps        BIGINT      NOT NULL,
    parameters       JSONB       NOT NULL DEFAULT '{}'::jsonb,
    state            TEXT        NOT NULL,
    attempt          INTEGER     NOT NULL DEFAULT 1,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    CONSTRAINT training_job_state CHECK (state IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
    CONSTRAINT training_job_max_steps CHECK (max_steps > 0)
);
-- the same key submitted twice by one tenant returns the first job
CREATE UNIQUE INDEX training_job_idempotency ON training_job (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX training_job_created ON training_job (tenant, created_at DESC);
