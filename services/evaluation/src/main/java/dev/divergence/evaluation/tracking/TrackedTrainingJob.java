package dev.divergence.evaluation.tracking;

import java.time.Instant;
import java.util.UUID;

/** A training job whose model evaluation will assess once it is registered. */
public record TrackedTrainingJob(
    UUID jobId,
    String tenant,
    String algorithm,
    String divergence,
    String baseModel,
    String dataset,
    String state,
    Instant submittedAt,
    Instant lastEventAt,
    int eventsApplied) {}
