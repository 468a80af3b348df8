package dev.divergence.merging.domain;

import dev.divergence.math.LogBase;
import java.util.Map;

/**
 * {@code ensemble}: both models run with their own parameters and their probabilities are averaged,
 * p = weight p_g + (1 - weight) p_e. Default weight 0.5 (the plain output average the T³ authors compare with).
 */
public record OutputEnsemble(double weight) implements MergeMethod {

  public static final String NAME = "ensemble";
  public static final double DEFAULT_WEIGHT = 0.5;

  public OutputEnsemble {
    MethodParameters.unitInterval("weight", weight);
  }

  static OutputEnsemble read(MethodParameters p) {
    return new OutputEnsemble(p.number("weight", DEFAULT_WEIGHT));
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Map<String, Object> parameters() {
    return Map.of("weight", weight);
  }

  @Override
  public MergePlan plan(ModelOutputs outputs) {
    int n = outputs.size();
    return new MergePlan(NAME, parameters(), MergeSpace.OUTPUTS, MergeMethod.filled(n, weight), MergeMethod.filled(n, weight),
        LambdaSide.GENERALIST, MergeMethod.jsPerSample(outputs, LogBase.NATS), "nats", new LambdaRange(weight, weight));
  }
}
