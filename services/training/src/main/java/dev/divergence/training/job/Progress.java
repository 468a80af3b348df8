package dev.divergence.training.job;

/** How far a job got: {@code etaSeconds} is null until a rate is measurable. */
public record Progress(long step, long totalSteps, Double etaSeconds) {

  public static Progress notStarted(long totalSteps) {
    return new Progress(0, totalSteps, null);
  }

  public double percent() {
    return totalSteps <= 0 ? 0 : Math.min(100.0, 100.0 * step / totalSteps);
  }
}
