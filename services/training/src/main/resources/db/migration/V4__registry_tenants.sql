-- Issue 14: a model or dataset belongs to the tenant that produced, imported or uploaded it, and only
-- that tenant sees it; built-ins (tenant NULL) are every tenant's. A produced model takes its job's
-- tenant; an upload from before tenancy was the default tenant's. Models registered without a job
-- before this change (imports, merge exports) cannot be told apart from built-ins here and stay shared.
ALTER TABLE model ADD COLUMN tenant TEXT;
ALTER TABLE dataset ADD COLUMN tenant TEXT;
UPDATE model m SET tenant = j.tenant FROM training_job j WHERE m.producing_job = j.job_id;
UPDATE dataset SET tenant = 'default' WHERE NOT built_in;
-- an idempotency key is the caller's: two tenants may use the same one
DROP INDEX model_idempotency_key;
CREATE UNIQUE INDEX model_idempotency_key ON model (COALESCE(tenant, ''), idempotency_key) WHERE idempotency_key IS NOT NULL;
