-- Issue 14: a model announced on models.registry.v1 belongs to the event's tenant and only that tenant
-- sees and uses it here; built-ins and rows from before this change (tenant NULL) are every tenant's.
ALTER TABLE servable_model ADD COLUMN tenant TEXT;
