package dev.divergence.training.api;

import dev.divergence.training.job.Budget;

/** Optional body of {@code POST /api/v1/training/jobs/{id}/retry}: a new budget for the new attempt. */
public record RetryJobRequest(Budget budget) {}
