package dev.divergence.training.trainer;

/** Thrown by a trainer that stopped because the job was cancelled. */
public class JobCancelledException extends RuntimeException {

  public JobCancelledException(String message) {
    super(message);
  }
}
