package dev.divergence.training.job;

import java.time.Instant;
import java.util.UUID;

public record Job(
    UUID id,
    String tenant,
    String idempotencyKey,
    String displayName,
    JobSpec spec,
    JobState state,
    int attempt,
    Instant createdAt,
    Instant updatedAt) {}
