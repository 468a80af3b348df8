package dev.divergence.merging.domain;

import dev.divergence.math.LogBase;
import java.util.Map;

/**
 * {@code confidence}: per sample the expert's weight c_e / (c_g + c_e), c the top-class probability of
 * each model's softmax(z / temperature). The T³ authors compare with "a confidence-based" coefficient
 * whose exact form is not confirmed; this is the direct analogue of DaWin with max-probability in
 * place of e^-entropy. Default temperature 1.
 */
public record ConfidenceInterpolation(double temperature) implements MergeMethod {

  public static final String NAME = "confidence";

  public ConfidenceInterpolation {
    MethodParameters.positive("temperature", temperature);
  }

  static ConfidenceInterpolation read(MethodParameters p) {
    return new ConfidenceInterpolation(p.number("temperature", 1));
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Map<String, Object> parameters() {
    return Map.of("temperature", temperature);
  }

  @Override
  public MergePlan plan(ModelOutputs outputs) {
    int n = outputs.size();
    double[] a = new double[n];
    double[] w = new double[n];
    for (int i = 0; i < n; i++) {
      double cg = Probabilities.max(outputs.generalistProbabilities(i, temperature));
      double ce = Probabilities.max(outputs.expertProbabilities(i, temperature));
      a[i] = ce / (cg + ce);
      w[i] = 1 - a[i];
    }
    // c lies in [1/C, 1], so a lies in [(1/C) / (1 + 1/C), 1 / (1 + 1/C)]
    double low = 1.0 / outputs.generalistLogits()[0].length;
    return new MergePlan(NAME, parameters(), MergeSpace.PARAMETERS_PER_SAMPLE, w, a, LambdaSide.EXPERT,
        MergeMethod.jsPerSample(outputs, LogBase.NATS), "nats", new LambdaRange(low / (1 + low), 1 / (1 + low)));
  }
}
