package dev.divergence.evaluation.api.metrics;

import java.util.Map;

/** JSON request bodies of the Metrics API (docs/evaluation.md). Matrices are arrays of rows. */
public final class MetricsRequests {

  private MetricsRequests() {}

  public record Divergences(String divergence, Map<String, Double> parameters, double[][] p, double[][] q,
      Boolean normalise, String logBase) {}

  public record LogitsDivergences(String divergence, Map<String, Double> parameters, double[][] teacherLogits,
      double[][] studentLogits, Double temperature, boolean[] rowMask, String logBase, Integer topK) {}

  public record Sinkhorn(double[] a, double[] b, double[][] cost, Double epsilon, Double tolerance,
      Integer maxIterations, Boolean returnPlan) {}

  public record Wasserstein1D(double[] u, double[] v, double[] uWeights, double[] vWeights, Double p) {}

  public record Calibration(double[][] probabilities, int[] targets, double[] confidences, double[] accuracies,
      Integer bins, String norm, String edges) {}

  public record PassAtK(int[] n, int[] c, int[] k) {}

  public record Vendi(double[][] similarity, double[][] embeddings, double[] q) {}

  public record DistanceCovariance(double[][] x, double[][] y, double[][][] variables, String estimator,
      Double exponent, Double c) {}
}
