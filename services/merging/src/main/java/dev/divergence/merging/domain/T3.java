package dev.divergence.merging.domain;

import java.util.Map;

/** {@code t3}: per-sample lambda from the JS divergence of the two models' predictions; each sample its own merge. */
public record T3(T3Parameters coefficient) implements MergeMethod {

  public static final String NAME = "t3";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Map<String, Object> parameters() {
    return coefficient.asMap();
  }

  @Override
  public MergePlan plan(ModelOutputs outputs) {
    double[] js = MergeMethod.jsPerSample(outputs, coefficient.logBase());
    double[] lambda = new double[js.length];
    double[] w = new double[js.length];
    for (int i = 0; i < js.length; i++) {
      lambda[i] = coefficient.lambda(js[i]);
      w[i] = coefficient.lambdaWeights().generalistWeight(lambda[i]);
    }
    return new MergePlan(NAME, parameters(), MergeSpace.PARAMETERS_PER_SAMPLE, w, lambda, coefficient.lambdaWeights(), js,
        MergeMethod.unit(coefficient.logBase()), coefficient.effectiveRange());
  }
}
