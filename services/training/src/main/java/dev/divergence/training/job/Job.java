package dev.divergence.training.job;

import java.time.Instant;
import java.util.UUID;

/**
 * A training job and where it stands.
 *
 * @param reason a short machine-readable cause of the state ("cancelled-by-user", "worker-lost", ...)
 * @param outputModel the model a SUCCEEDED job registered, as "name:version"
 */
public record Job(
    UUID id,
    String tenant,
    String idempotencyKey,
    String displayName,
    JobSpec spec,
    JobState state,
    int attempt,
    Progress progress,
    String reason,
    String message,
    Instant createdAt,
    Instant startedAt,
    Instant finishedAt,
    Instant updatedAt,
    String outputModel,
    boolean cancelRequested) {

  public boolean isTerminal() {
    return state.isTerminal();
  }
}
