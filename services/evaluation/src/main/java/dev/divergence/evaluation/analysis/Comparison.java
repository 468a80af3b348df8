package dev.divergence.evaluation.analysis;

import dev.divergence.evaluation.run.Estimate;
import dev.divergence.evaluation.run.RunSpec;
import java.util.List;

/**
 * Two runs side by side: every metric both measured with a's and b's estimates and the difference
 * b - a with Welch's interval at {@code level}; metrics only one run has, apart; both specs; and
 * warnings when the runs' numbers are not comparable point by point.
 */
public record Comparison(ComparedRun a, ComparedRun b, double level, boolean comparable, List<String> warnings,
    List<MetricComparison> metrics, List<MetricRef> onlyInA, List<MetricRef> onlyInB) {

  /** A compared run: its labels and its full spec (models, prompt source, sampling, suites). */
  public record ComparedRun(String runId, String displayName, String model, String modelVersion, String producingJob,
      String trainingAlgorithm, String trainingDivergence, RunSpec spec) {}

  /**
   * One metric of one suite in both runs. {@code difference} is null when a side has no value
   * (a metric over zero units), with {@code note} saying so.
   */
  public record MetricComparison(String suite, String metric, Estimate a, Estimate b, WelchDifference difference,
      String note) {}

  public record MetricRef(String suite, String metric) {}
}
