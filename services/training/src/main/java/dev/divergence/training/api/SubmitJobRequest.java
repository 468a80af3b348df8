package dev.divergence.training.api;

import dev.divergence.training.job.JobSpec;

/** Body of {@code POST /api/v1/training/jobs}; the spec is validated by the domain (field names as here). */
public record SubmitJobRequest(String idempotencyKey, String displayName, JobSpec spec) {}
