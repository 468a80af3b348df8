package dev.divergence.evaluation.api.runs;

import dev.divergence.evaluation.run.RunSpec;

/** POST /api/v1/evaluation/runs: a spec, an optional display name and idempotency key. */
public record CreateRunRequest(String idempotencyKey, String displayName, RunSpec spec) {}
