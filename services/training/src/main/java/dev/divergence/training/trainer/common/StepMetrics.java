package dev.divergence.training.trainer.common;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The metrics of one optimiser step over all its micro-batches: each metric is the weighted mean
 * of its per-micro-batch values, weighted by what the value is a mean over (counted tokens for a
 * token mean, pairs or samples for a per-example mean). So a step of k micro-batches reports what
 * one batch holding all of them would report, not the last micro-batch's values.
 */
public final class StepMetrics {

  private final Map<String, double[]> sums = new LinkedHashMap<>();

  /** Adds one micro-batch's value of {@code name}, a mean over {@code weight} units. */
  public void add(String name, double value, double weight) {
    double[] s = sums.computeIfAbsent(name, k -> new double[2]);
    if (weight > 0) {
      s[0] += value * weight;
      s[1] += weight;
    }
  }

  /** Adds every metric of one micro-batch, all means over {@code weight} units. */
  public void addAll(Map<String, Double> metrics, double weight) {
    metrics.forEach((name, value) -> add(name, value, weight));
  }

  /** The weighted means, in the order the metrics first came; 0 for a metric whose weights were all 0. */
  public Map<String, Double> means() {
    Map<String, Double> out = new LinkedHashMap<>();
    sums.forEach((name, s) -> out.put(name, s[1] == 0 ? 0.0 : s[0] / s[1]));
    return out;
  }
}
