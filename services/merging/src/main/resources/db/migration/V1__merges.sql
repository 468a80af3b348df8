-- A merge of two models with a method and the parameters it uses (defaults filled in).
CREATE TABLE model_merge (
    merge_id    UUID        PRIMARY KEY,
    tenant      TEXT        NOT NULL,
    generalist  TEXT        NOT NULL,
    expert      TEXT        NOT NULL,
    method      TEXT        NOT NULL,
    parameters  JSONB       NOT NULL DEFAULT '{}'::jsonb,
    created_at  TIMESTAMPTZ NOT NULL
);
