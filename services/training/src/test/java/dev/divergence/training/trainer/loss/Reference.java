package dev.divergence.training.trainer.loss;

/** Straightforward double-precision restatements of ALGORITHMS.md's formulas, the tests' reference. */
final class Reference {

  private Reference() {
  }

  static double[] softmax(float[] z, int base, int v, double t) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < v; i++) {
      max = Math.max(max, z[base + i] / t);
    }
    double[] p = new double[v];
    double s = 0;
    for (int i = 0; i < v; i++) {
      p[i] = Math.exp(z[base + i] / t - max);
      s += p[i];
    }
    for (int i = 0; i < v; i++) {
      p[i] /= s;
    }
    return p;
  }

  static double[] softmax(double[] z, int base, int v, double t) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < v; i++) {
      max = Math.max(max, z[base + i] / t);
    }
    double[] p = new double[v];
    double s = 0;
    for (int i = 0; i < v; i++) {
      p[i] = Math.exp(z[base + i] / t - max);
      s += p[i];
    }
    for (int i = 0; i < v; i++) {
      p[i] /= s;
    }
    return p;
  }

  static double kl(double[] p, double[] q) {
    double s = 0;
    for (int i = 0; i < p.length; i++) {
      s += p[i] == 0 ? 0 : p[i] * Math.log(p[i] / q[i]);
    }
    return s;
  }

  static double[] mix(double a, double[] p, double[] q) {
    double[] m = new double[p.length];
    for (int i = 0; i < p.length; i++) {
      m[i] = a * p[i] + (1 - a) * q[i];
    }
    return m;
  }

  static double rowValue(String name, double parameter, double[] p, double[] q) {
    return switch (name) {
      case "kl" -> kl(p, q);
      case "reverse_kl" -> kl(q, p);
      case "js" -> 0.5 * kl(p, mix(0.5, p, q)) + 0.5 * kl(q, mix(0.5, p, q));
      case "jsd" -> parameter * kl(p, mix(parameter, p, q)) + (1 - parameter) * kl(q, mix(parameter, p, q));
      case "tv" -> {
        double s = 0;
        for (int i = 0; i < p.length; i++) {
          s += Math.abs(p[i] - q[i]);
        }
        yield s / 2;
      }
      case "skew_kl" -> kl(p, mix(parameter, p, q));
      case "skew_reverse_kl" -> kl(q, mix(1 - parameter, p, q));
      default -> throw new IllegalArgumentException(name);
    };
  }

  /** Token-mean over kept rows of a per-row divergence at temperature t. */
  static double mean(String name, double parameter, float[] teacher, float[] student, int rows, int v, boolean[] mask, double t) {
    double sum = 0;
    int kept = 0;
    for (int r = 0; r < rows; r++) {
      if (mask == null || mask[r]) {
        sum += rowValue(name, parameter, softmax(teacher, r * v, v, t), softmax(student, r * v, v, t));
        kept++;
      }
    }
    return sum / kept;
  }
}
