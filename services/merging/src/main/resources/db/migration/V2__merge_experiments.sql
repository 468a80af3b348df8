-- Merge experiments: queued by users, claimed by the service's workers (any replica; FOR UPDATE SKIP
-- LOCKED), heartbeated while running, results stored as JSON. json rather than jsonb: the spec's and
-- the results' key order (methods and splits in the order asked for) is kept as written.
CREATE TABLE merge_experiment (
    id               UUID        PRIMARY KEY,
    tenant           TEXT        NOT NULL,
    display_name     TEXT        NOT NULL,
    idempotency_key  TEXT,
    merge_id         UUID,
    spec             JSON        NOT NULL,
    state            TEXT        NOT NULL,
    progress_done    BIGINT      NOT NULL DEFAULT 0,
    progress_total   BIGINT      NOT NULL DEFAULT 0,
    reason           TEXT,
    message          TEXT,
    results          JSON,
    attempt          INTEGER     NOT NULL DEFAULT 0,
    worker           TEXT,
    heartbeat_at     TIMESTAMPTZ,
    cancel_requested BOOLEAN     NOT NULL DEFAULT false,
    created_at       TIMESTAMPTZ NOT NULL,
    started_at       TIMESTAMPTZ,
    finished_at      TIMESTAMPTZ,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX merge_experiment_idempotency ON merge_experiment (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX merge_experiment_queue ON merge_experiment (created_at) WHERE state = 'QUEUED';
CREATE INDEX merge_experiment_recent ON merge_experiment (tenant, created_at DESC);
