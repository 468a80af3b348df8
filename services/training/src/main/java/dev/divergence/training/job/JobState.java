package dev.divergence.training.job;

import java.util.EnumSet;
import java.util.Set;

/** QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED; FAILED and CANCELLED may be retried. */
public enum JobState {
  QUEUED,
  RUNNING,
  SUCCEEDED,
  FAILED,
  CANCELLED;

  public boolean isTerminal() {
    return this == SUCCEEDED || this == FAILED || this == CANCELLED;
  }

  public boolean canMoveTo(JobState next) {
    return allowedNext().contains(next);
  }

  private Set<JobState> allowedNext() {
    return switch (this) {
      // a running attempt whose worker vanished goes back to QUEUED as a new attempt
      case QUEUED -> EnumSet.of(RUNNING, CANCELLED);
      case RUNNING -> EnumSet.of(SUCCEEDED, FAILED, CANCELLED, QUEUED);
      case FAILED, CANCELLED -> EnumSet.of(QUEUED);
      case SUCCEEDED -> EnumSet.noneOf(JobState.class);
    };
  }
}
