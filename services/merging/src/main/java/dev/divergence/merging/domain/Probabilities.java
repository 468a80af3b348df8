package dev.divergence.merging.domain;

import dev.divergence.math.LogBase;
import dev.divergence.math.divergence.ClosedForms;

/** Host-side float64 helpers shared by the methods. */
public final class Probabilities {

  private Probabilities() {
  }

  /** softmax(z / temperature), shifted by the maximum so that no exponent overflows. */
  public static double[] softmax(double[] logits, double temperature) {
    double max = Double.NEGATIVE_INFINITY;
    for (double z : logits) {
      max = Math.max(max, z / temperature);
    }
    double[] p = new double[logits.length];
    double total = 0;
    for (int i = 0; i < logits.length; i++) {
      p[i] = Math.exp(logits[i] / temperature - max);
      total += p[i];
    }
    for (int i = 0; i < p.length; i++) {
      p[i] /= total;
    }
    return p;
  }

  /** JS(p || q) = (KL(p||m) + KL(q||m)) / 2 with m = (p + q) / 2, in {@code base} (libs/divergence). */
  public static double js(double[] p, double[] q, LogBase base) {
    return base.fromNats(ClosedForms.js(p, q));
  }

  /** Shannon entropy in nats. */
  public static double entropy(double[] p) {
    return ClosedForms.entropy(p);
  }

  public static double sigmoid(double x) {
    return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
  }

  public static double max(double[] p) {
    double m = Double.NEGATIVE_INFINITY;
    for (double v : p) {
      m = Math.max(m, v);
    }
    return m;
  }
}
