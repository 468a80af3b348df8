-- Token buckets of the rate limits (Bucket4j's serialized state), shared by every gateway replica.
-- expires_at (epoch ms) is when the bucket would be full again: rows past it are deleted.
CREATE TABLE rate_limit_bucket (
    id          TEXT    PRIMARY KEY,
    state       BYTEA,
    expires_at  BIGINT
);

CREATE INDEX rate_limit_bucket_expiry ON rate_limit_bucket (expires_at);
