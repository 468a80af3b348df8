package dev.divergence.evaluation.run;

/** QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED; a RUNNING run whose worker vanished is QUEUED again. */
public enum RunState {
  QUEUED,
  RUNNING,
  SUCCEEDED,
  FAILED,
  CANCELLED;

  public boolean isTerminal() {
    return this == SUCCEEDED || this == FAILED || this == CANCELLED;
  }
}
