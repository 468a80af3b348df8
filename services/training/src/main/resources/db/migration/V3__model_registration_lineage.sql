-- Registrations through ModelRegistryService.RegisterModel: the two parents of a merged model, free-form
-- metadata (a merge's method and parameters), and an idempotency key so that a retried registration
-- returns the first version instead of adding another.
ALTER TABLE model ADD COLUMN merged_from_generalist TEXT;
ALTER TABLE model ADD COLUMN merged_from_expert TEXT;
ALTER TABLE model ADD COLUMN metadata JSONB NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE model ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX model_idempotency_key ON model (idempotency_key) WHERE idempotency_key IS NOT NULL;
