package dev.divergence.merging.experiment;

import java.util.List;
import java.util.Map;

/**
 * What a SUCCEEDED experiment measured, per split and method, as means over seeds with Student-t
 * intervals. Stored as JSON in the experiment's row.
 */
public record ExperimentResults(String generalist, String expert, int seeds, int batchSize, String seedUse, List<SplitResult> splits) {

  public record SplitResult(String split, int samples, String bestBaseline, List<MethodResult> methods) {}

  /**
   * @param baseline whether error reduction is measured against it (every method but t3 and t3_batch)
   * @param errorReduction (err_best_baseline - err) / err_best_baseline per seed, against the best
   *     baseline on the same resample (null when that baseline makes no error on some resample)
   * @param bestAlpha wise_ft_sweep only: the alpha of the highest mean accuracy (the smallest on ties)
   */
  public record MethodResult(String method, Map<String, Object> parameters, boolean baseline, SeedEstimate accuracy,
      SeedEstimate errorReduction, SeedEstimate ece, LambdaDistribution lambda, Double bestAlpha, double[] sweepAlphas,
      double[] sweepAccuracy) {}

  /** Mean over n seeds with its two-sided Student-t interval at {@code level}; lower = upper = mean when n < 2. */
  public record SeedEstimate(double mean, double lower, double upper, double standardDeviation, long n, double level) {}

  /** Lambda pooled over every sample of every seed: quantiles (linear interpolation), mean, ten bins over [0, 1]. */
  public record LambdaDistribution(double[] quantileLevels, double[] quantiles, double mean, long[] histogram) {}
}
