package dev.divergence.evaluation.run;

/** Thrown inside a suite when the run's cancellation was requested; the run ends CANCELLED. */
public class RunCancelledException extends RuntimeException {

  public RunCancelledException() {
    super("cancelled", null, false, false);
  }
}
