-- The models this service serves: one row per model name, holding the version currently served,
-- where its files came from (the registry's uri), its lineage, and its state in the serving
-- backend. Rows outlive restarts: at start-up every row that is not UNLOADED is loaded again.
CREATE TABLE servable_model (
    name             TEXT        PRIMARY KEY,
    version          INTEGER     NOT NULL,
    -- LANGUAGE_MODEL or CLASSIFIER; NULL while unknown (a registration whose files could not be read)
    kind             TEXT,
    architecture     TEXT        NOT NULL,
    -- language models: vocabulary size; classifiers: number of classes
    vocab_size       INTEGER     NOT NULL,
    -- language models: maximum positions; classifiers: number of input features
    context_length   INTEGER     NOT NULL,
    -- classifiers: class names in output order (JSON array); empty for language models
    class_names      TEXT        NOT NULL DEFAULT '[]',
    source_uri       TEXT        NOT NULL,
    built_in         BOOLEAN     NOT NULL DEFAULT FALSE,
    base_model       TEXT,
    teacher_model    TEXT,
    reference_model  TEXT,
    producing_job    TEXT,
    state            TEXT        NOT NULL,
    message          TEXT        NOT NULL DEFAULT '',
    -- how often the backend was asked to load this row's version (a redelivered event must not add one)
    load_requests    INTEGER     NOT NULL DEFAULT 0,
    updated_at       TIMESTAMPTZ NOT NULL
);
