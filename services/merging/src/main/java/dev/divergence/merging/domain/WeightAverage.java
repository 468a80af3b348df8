package dev.divergence.merging.domain;

import dev.divergence.math.LogBase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code wise_ft}: a static weight average (model soup / WiSE-FT) theta = (1 - alpha) theta_g + alpha theta_e,
 * alpha in [0, 1] weighting the expert (the fine-tuned model) as in WiSE-FT. Default 0.5, the
 * uniform soup of two models. {@link #sweep} gives one method per alpha (default 0, 0.1, ..., 1).
 */
public record WeightAverage(double alpha) implements MergeMethod {

  public static final String NAME = "wise_ft";
  public static final double DEFAULT_ALPHA = 0.5;
  public static final double[] DEFAULT_SWEEP = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1};
  /** Each point evaluates the whole input set once: a step of 0.01 is the finest sweep a request may ask for. */
  public static final int MAX_SWEEP_POINTS = 101;

  public WeightAverage {
    MethodParameters.unitInterval("alpha", alpha);
  }

  static WeightAverage read(MethodParameters p) {
    return new WeightAverage(p.number("alpha", DEFAULT_ALPHA));
  }

  /** One WiSE-FT method per alpha; each alpha is checked and named as {@code parameters.alphas[i]}. */
  public static List<WeightAverage> sweep(double[] alphas) {
    if (alphas.length == 0) {
      throw new dev.divergence.platform.errors.InvalidArgumentException(MethodParameters.field("alphas"), "must not be empty");
    }
    if (alphas.length > MAX_SWEEP_POINTS) {
      throw new dev.divergence.platform.errors.InvalidArgumentException(MethodParameters.field("alphas"),
          "has " + alphas.length + " values, at most " + MAX_SWEEP_POINTS);
    }
    List<WeightAverage> out = new ArrayList<>();
    for (int i = 0; i < alphas.length; i++) {
      if (!(alphas[i] >= 0 && alphas[i] <= 1)) {
        throw new dev.divergence.platform.errors.InvalidArgumentException(MethodParameters.field("alphas") + "[" + i + "]",
            "must be in [0, 1], got " + alphas[i]);
      }
      out.add(new WeightAverage(alphas[i]));
    }
    return out;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Map<String, Object> parameters() {
    return Map.of("alpha", alpha);
  }

  @Override
  public MergePlan plan(ModelOutputs outputs) {
    int n = outputs.size();
    return new MergePlan(NAME, parameters(), MergeSpace.PARAMETERS_PER_BATCH, MergeMethod.filled(n, 1 - alpha),
        MergeMethod.filled(n, alpha), LambdaSide.EXPERT, MergeMethod.jsPerSample(outputs, LogBase.NATS), "nats",
        new LambdaRange(alpha, alpha));
  }
}
