-- Evaluation runs: queued by users or by model registrations, claimed by the service's workers
-- (any replica; FOR UPDATE SKIP LOCKED), heartbeated while running, results stored as JSON.
CREATE TABLE evaluation_run (
    id               UUID        PRIMARY KEY,
    tenant           TEXT        NOT NULL,
    display_name     TEXT        NOT NULL,
    idempotency_key  TEXT,
    spec             JSONB       NOT NULL,
    state            TEXT        NOT NULL,
    trigger          TEXT        NOT NULL,
    model            TEXT        NOT NULL,
    model_version    TEXT,
    producing_job    TEXT,
    progress_done    BIGINT      NOT NULL DEFAULT 0,
    progress_total   BIGINT      NOT NULL DEFAULT 0,
    reason           TEXT,
    message          TEXT,
    results          JSONB,
    attempt          INTEGER     NOT NULL DEFAULT 0,
    worker           TEXT,
    heartbeat_at     TIMESTAMPTZ,
    cancel_requested BOOLEAN     NOT NULL DEFAULT false,
    created_at       TIMESTAMPTZ NOT NULL,
    started_at       TIMESTAMPTZ,
    finished_at      TIMESTAMPTZ,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX evaluation_run_idempotency ON evaluation_run (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- one automatic evaluation per model version, however often the registration is delivered
CREATE UNIQUE INDEX evaluation_run_automatic_once ON evaluation_run (model_version) WHERE trigger = 'automatic';
CREATE INDEX evaluation_run_queue ON evaluation_run (created_at) WHERE state = 'QUEUED';
CREATE INDEX evaluation_run_recent ON evaluation_run (tenant, created_at DESC);
