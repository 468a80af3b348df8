package dev.divergence.merging.experiment;

/** QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED; a RUNNING experiment whose worker vanished is QUEUED again. */
public enum ExperimentState {
  QUEUED,
  RUNNING,
  SUCCEEDED,
  FAILED,
  CANCELLED;

  public boolean isTerminal() {
    return this == SUCCEEDED || this == FAILED || this == CANCELLED;
  }
}
