-- Platform tables every service has in its own schema (versions below 1 so they run before the
-- service's own migrations in db/migration).

-- Transactional outbox: written in the same transaction as the domain change it announces.
CREATE TABLE outbox_event (
    id            BIGSERIAL PRIMARY KEY,          -- publication order
    event_id      UUID        NOT NULL UNIQUE,
    topic         TEXT        NOT NULL,
    record_key    TEXT        NOT NULL,           -- aggregate id; Kafka orders per key
    event_type    TEXT        NOT NULL,
    envelope      BYTEA       NOT NULL,           -- serialized dev.divergence.common.v1.EventEnvelope
    traceparent   TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at  TIMESTAMPTZ,
    attempts      INTEGER     NOT NULL DEFAULT 0,
    last_error    TEXT
);
CREATE INDEX outbox_event_pending ON outbox_event (id) WHERE published_at IS NULL;

-- Idempotent consumers: one row per (consumer, event) already applied.
CREATE TABLE processed_event (
    consumer      TEXT        NOT NULL,
    event_id      UUID        NOT NULL,
    event_type    TEXT        NOT NULL,
    processed_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
