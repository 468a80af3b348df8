package dev.divergence.merging.domain;

import dev.divergence.math.LogBase;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code dawin} (Oh et al., naver-ai/dawin): per sample the expert's weight
 * a = (e^-H_e + offset / offset_divisor) / (e^-H_g + e^-H_e + offset), H the natural-log entropy of
 * softmax(z / T) with each model's own temperature. Defaults as DaWin without offset adjustment:
 * temperatures 1, offset 0, offset_divisor 2, so that a = sigmoid(H_g - H_e): the more confident
 * (lower-entropy) model weighs more. The Beta-mixture clustering of DaWin's fast variant is not
 * implemented: every sample gets its own exact merge instead.
 */
public record DaWin(double temperatureGeneralist, double temperatureExpert, double offset, double offsetDivisor) implements MergeMethod {

  public static final String NAME = "dawin";

  public DaWin {
    MethodParameters.positive("temperature_generalist", temperatureGeneralist);
    MethodParameters.positive("temperature_expert", temperatureExpert);
    if (!(offset >= 0)) {
      throw new dev.divergence.platform.errors.InvalidArgumentException(MethodParameters.field("offset"), "must be >= 0, got " + offset);
    }
    MethodParameters.positive("offset_divisor", offsetDivisor);
  }

  static DaWin read(MethodParameters p) {
    return new DaWin(p.number("temperature_generalist", 1), p.number("temperature_expert", 1), p.number("offset", 0),
        p.number("offset_divisor", 2));
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Map<String, Object> parameters() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("temperature_generalist", temperatureGeneralist);
    m.put("temperature_expert", temperatureExpert);
    m.put("offset", offset);
    m.put("offset_divisor", offsetDivisor);
    return m;
  }

  @Override
  public MergePlan plan(ModelOutputs outputs) {
    int n = outputs.size();
    double[] a = new double[n];
    double[] w = new double[n];
    for (int i = 0; i < n; i++) {
      double confidenceG = Math.exp(-Probabilities.entropy(outputs.generalistProbabilities(i, temperatureGeneralist)));
      double confidenceE = Math.exp(-Probabilities.entropy(outputs.expertProbabilities(i, temperatureExpert)));
      a[i] = (confidenceE + offset / offsetDivisor) / (confidenceG + confidenceE + offset);
      w[i] = 1 - a[i];
    }
    // e^-H lies in [1/C, 1]; the range below is the whole interval a can take over all inputs
    return new MergePlan(NAME, parameters(), MergeSpace.PARAMETERS_PER_SAMPLE, w, a, LambdaSide.EXPERT,
        MergeMethod.jsPerSample(outputs, LogBase.NATS), "nats", range(outputs.generalistLogits()[0].length));
  }

  private LambdaRange range(int classes) {
    double low = 1.0 / classes;
    return new LambdaRange((low + offset / offsetDivisor) / (1 + low + offset), (1 + offset / offsetDivisor) / (1 + low + offset));
  }
}
