package dev.divergence.merging.domain;

/**
 * Float64 transcriptions of the formulas, written from the published formulas independently of the code
 * under test (no shared helpers): softmax, JS with explicit logs, entropy, sigmoid.
 */
final class Reference {

  private Reference() {
  }

  static double[] softmax(double[] z, double t) {
    double[] e = new double[z.length];
    double max = Double.NEGATIVE_INFINITY;
    for (double v : z) {
      max = Math.max(max, v / t);
    }
    double s = 0;
    for (int i = 0; i < z.length; i++) {
      e[i] = Math.exp(z[i] / t - max);
      s += e[i];
    }
    for (int i = 0; i < z.length; i++) {
      e[i] /= s;
    }
    return e;
  }

  /** JS in nats: 1/2 sum p log(p/m) + 1/2 sum q log(q/m), terms with a zero numerator dropped. */
  static double jsNats(double[] p, double[] q) {
    double s = 0;
    for (int i = 0; i < p.length; i++) {
      double m = 0.5 * (p[i] + q[i]);
      if (p[i] > 0) {
        s += 0.5 * p[i] * Math.log(p[i] / m);
      }
      if (q[i] > 0) {
        s += 0.5 * q[i] * Math.log(q[i] / m);
      }
    }
    return s;
  }

  static double entropyNats(double[] p) {
    double h = 0;
    for (double v : p) {
      if (v > 0) {
        h -= v * Math.log(v);
      }
    }
    return h;
  }

  static double sigmoid(double x) {
    return 1.0 / (1.0 + Math.exp(-x));
  }
}
