package dev.divergence.training.job;

import java.util.Map;

/**
 * What to train. {@code divergence} uses the platform vocabulary (kl, reverse_kl, js, ...);
 * {@code parameters} holds the algorithm's numeric settings (beta, alpha, temperature, ...).
 */
public record JobSpec(
    String algorithm,
    String divergence,
    String baseModel,
    String teacherModel,
    String dataset,
    long maxSteps,
    Map<String, Double> parameters) {

  public JobSpec {
    parameters = parameters == null ? Map.of() : Map.copyOf(parameters);
  }
}
