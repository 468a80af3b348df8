package dev.divergence.evaluation.run;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** A run as stored: its spec, where it is, and what it measured once it succeeded. */
public record EvaluationRun(
    UUID id,
    String tenant,
    String displayName,
    String idempotencyKey,
    RunSpec spec,
    RunState state,
    Trigger trigger,
    String modelVersion,
    String producingJob,
    RunProgress progress,
    String reason,
    String message,
    List<SuiteResult> results,
    int attempt,
    Instant createdAt,
    Instant startedAt,
    Instant finishedAt,
    Instant updatedAt) {

  public enum Trigger {
    USER,
    AUTOMATIC;

    public String apiName() {
      return name().toLowerCase();
    }
  }

  public boolean isTerminal() {
    return state.isTerminal();
  }
}
