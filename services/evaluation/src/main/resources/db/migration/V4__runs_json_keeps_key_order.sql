-- Results and specs are returned as stored; json (unlike jsonb) keeps the order of their keys, so
-- suites, metrics and strategies come back in the order they were computed and asked for.
ALTER TABLE evaluation_run ALTER COLUMN spec TYPE json USING spec::json;
ALTER TABLE evaluation_run ALTER COLUMN results TYPE json USING results::json;
