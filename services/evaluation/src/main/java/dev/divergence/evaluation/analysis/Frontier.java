package dev.divergence.evaluation.analysis;

import dev.divergence.evaluation.run.Estimate;
import java.util.List;

/**
 * Reward vs divergence-to-reference vs diversity, one point per run, with each estimate's
 * interval; runs that cannot be placed are listed under {@code skipped} with the reason.
 * {@code pareto} lists the run ids of the non-dominated points (on means; each axis's goal says
 * which way is better).
 */
public record Frontier(Axis reward, Axis divergence, Axis diversity, List<Point> points, List<String> pareto,
    List<Skipped> skipped, Selection selection) {

  /** One axis: which suite and metric it reads, whether larger or smaller is better, what it means. */
  public record Axis(String suite, String metric, String goal, String meaning) {}

  /**
   * A run's point with its labels: the model (and version, for automatic runs) and, when the model
   * came from a training job evaluation tracked, that job's algorithm and divergence.
   */
  public record Point(String runId, String displayName, String model, String modelVersion, String producingJob,
      String trainingAlgorithm, String trainingDivergence, Estimate reward, Estimate divergence, Estimate diversity,
      boolean pareto) {}

  /**
   * A run left off the plot: {@code reason} is one of not-ended (queued or running), not-succeeded
   * (failed or cancelled), missing-suite, missing-metric, no-value (the metric had no units).
   */
  public record Skipped(String runId, String reason, String message) {}

  /** How the runs were chosen: listed ids, or a tenant's succeeded runs of one training algorithm. */
  public record Selection(String by, String algorithm, int runs, int limit, boolean truncated) {}
}
