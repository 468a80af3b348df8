package dev.divergence.inference.scoring;

/** Numerically stable log-softmax in double precision over one row of a logits array. */
final class Softmax {

  private Softmax() {}

  static double[] logSoftmax(float[] logits, int offset, int length) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < length; i++) {
      max = Math.max(max, logits[offset + i]);
    }
    double sum = 0;
    for (int i = 0; i < length; i++) {
      sum += Math.exp(logits[offset + i] - max);
    }
    double logZ = max + Math.log(sum);
    double[] out = new double[length];
    for (int i = 0; i < length; i++) {
      out[i] = logits[offset + i] - logZ;
    }
    return out;
  }
}
