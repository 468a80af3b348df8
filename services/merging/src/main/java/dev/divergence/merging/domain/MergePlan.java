package dev.divergence.merging.domain;

import java.util.Map;

/**
 * What a method decided for one batch.
 *
 * @param method the method's name
 * @param parameters every parameter's value used, defaults included
 * @param space where the models are combined
 * @param generalistWeight per sample, the generalist's weight w_i (theta_i = w_i theta_g + (1 - w_i) theta_e, or the same in probabilities)
 * @param lambda per sample, the method's own coefficient (on {@code lambdaSide})
 * @param lambdaSide which model lambda weights
 * @param jsDivergence per sample, JS(p_g || p_e) in {@code jsUnit} ("nats" or "bits")
 * @param effectiveLambdaRange the lambda values the parameters allow at all
 */
public record MergePlan(String method, Map<String, Object> parameters, MergeSpace space, double[] generalistWeight,
    double[] lambda, LambdaSide lambdaSide, double[] jsDivergence, String jsUnit, LambdaRange effectiveLambdaRange) {

  public int size() {
    return generalistWeight.length;
  }

  /** Which model weighs more for sample i: "generalist", "expert" or "equal". */
  public String dominant(int i) {
    double w = generalistWeight[i];
    return w > 0.5 ? "generalist" : w < 0.5 ? "expert" : "equal";
  }
}
