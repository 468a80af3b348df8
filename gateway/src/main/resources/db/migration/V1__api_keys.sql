-- API keys: each bound to one tenant and its roles. Only a SHA-256 of the key's secret part is kept;
-- the secret is 256 random bits, so a fast hash is enough (nothing to brute-force, unlike a password).
CREATE TABLE api_key (
    key_id        TEXT        PRIMARY KEY,
    name          TEXT        NOT NULL,
    tenant        TEXT        NOT NULL,
    roles         TEXT[]      NOT NULL,
    secret_hash   BYTEA       NOT NULL,
    created_by    TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ,
    -- the key this one replaced by rotation
    rotated_from  TEXT
);

CREATE INDEX api_key_by_tenant ON api_key (tenant, created_at);
