package dev.divergence.merging.experiment;

/** Thrown between two evaluations when the experiment's cancellation was requested or its worker is stopping. */
public class ExperimentCancelledException extends RuntimeException {

  public ExperimentCancelledException() {
    super("cancelled", null, false, false);
  }
}
