package dev.divergence.merging.domain;

import java.util.Map;

/** A named merge strategy with its parameters fixed; {@link #plan} decides the merge for one batch. */
public sealed interface MergeMethod permits T3, T3Batch, SingleModel, OutputEnsemble, WeightAverage, TaskArithmetic, DaWin,
    ConfidenceInterpolation {

  String name();

  /** Every parameter's value, defaults included, under its API name. */
  Map<String, Object> parameters();

  MergePlan plan(ModelOutputs outputs);

  /** JS(p_g || p_e) per sample (softmax at temperature 1) in nats; methods that report another unit convert. */
  static double[] jsPerSample(ModelOutputs outputs, dev.divergence.math.LogBase base) {
    double[] js = new double[outputs.size()];
    for (int i = 0; i < js.length; i++) {
      js[i] = Probabilities.js(outputs.generalistProbabilities(i, 1), outputs.expertProbabilities(i, 1), base);
    }
    return js;
  }

  static String unit(dev.divergence.math.LogBase base) {
    return base == dev.divergence.math.LogBase.BITS ? "bits" : "nats";
  }

  static double[] filled(int n, double value) {
    double[] a = new double[n];
    java.util.Arrays.fill(a, value);
    return a;
  }
}
