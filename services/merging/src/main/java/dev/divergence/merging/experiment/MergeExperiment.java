package dev.divergence.merging.experiment;

import java.time.Instant;
import java.util.UUID;

/** An experiment as stored: its spec (defaults filled in), where it is, and what it measured once it succeeded. */
public record MergeExperiment(
    UUID id,
    String tenant,
    String displayName,
    String idempotencyKey,
    ExperimentSpec spec,
    ExperimentState state,
    ExperimentProgress progress,
    String reason,
    String message,
    ExperimentResults results,
    int attempt,
    Instant createdAt,
    Instant startedAt,
    Instant finishedAt,
    Instant updatedAt) {

  public boolean isTerminal() {
    return state.isTerminal();
  }
}
