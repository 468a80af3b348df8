package dev.divergence.training.trainer.loss;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * AKL (Wu et al. 2024, adaptive forward/reverse balance): per token, sort the teacher's
 * probabilities, call the tokens up to cumulative teacher mass {@code headMass} the head (the most
 * likely token always is), the rest the tail; g_head and g_tail are the summed |p - q| on each part
 * (treated as constants, no gradient), and the token's loss is
 * (g_head KL(p||q) + g_tail KL(q||p)) / (g_head + g_tail). Token-mean over kept rows; temperature on
 * both distributions.
 *
 * <p>One float64 pass per row gives both KLs and their gradients from the two log-softmaxes
 * (d KL(p||q)/dz = (q - p)/T, d KL(q||p)/dz = q (log q - log p - KL(q||p))/T), and the head is found
 * from a primitive sort of the teacher's probabilities: the sorted values fix how many tokens the
 * head holds and the smallest head probability; ties at that probability go to the lower token ids,
 * as a stable sort of the token ids by probability would order them.
 */
public final class AdaptiveKlLoss implements DistillationLoss {

  private final double temperature;
  private final double headMass;

  public AdaptiveKlLoss(double temperature, double headMass) {
    if (!(headMass >= 0 && headMass <= 1)) {
      throw new IllegalArgumentException("akl head mass (alpha) must be in [0, 1], got " + headMass);
    }
    if (!(temperature > 0)) {
      throw new IllegalArgumentException("temperature must be positive, got " + temperature);
    }
    this.temperature = temperature;
    this.headMass = headMass;
  }

  @Override
  public String name() {
    return "akl";
  }

  @Override
  public NDArray compute(NDArray teacherLogits, NDArray studentLogits, boolean[] rowMask, long[] labels) {
    int rows = Surrogates.rows(studentLogits);
    int vocab = Surrogates.vocab(studentLogits);
    boolean[] mask = Surrogates.allRows(rowMask, rows);
    float[] teacher = Surrogates.host(teacherLogits);
    float[] student = Surrogates.host(studentLogits);
    int kept = 0;
    for (boolean k : mask) {
      kept += k ? 1 : 0;
    }
    float[] gradient = new float[rows * vocab];
    double[] values = new double[rows];
    double weight = 1.0 / Math.max(kept, 1);
    IntStream range = IntStream.range(0, rows).filter(r -> mask[r]);
    if ((long) rows * vocab >= 1 << 15) {
      range = range.parallel();
    }
    range.forEach(r -> values[r] = row(teacher, student, r * vocab, vocab, weight, gradient));
    double total = 0;
    for (int r = 0; r < rows; r++) {
      total += values[r];
    }
    return Surrogates.of(studentLogits, gradient, kept == 0 ? 0 : total / kept);
  }

  /** One row's loss; its gradient, times {@code weight}, into {@code gradient} at {@code base}. */
  private double row(float[] teacher, float[] student, int base, int vocab, double weight, float[] gradient) {
    double[] p = new double[vocab];
    double[] q = new double[vocab];
    double[] logP = new double[vocab];
    double[] logQ = new double[vocab];
    softmax(teacher, base, vocab, temperature, p, logP);
    softmax(student, base, vocab, temperature, q, logQ);
    double forward = 0;
    double reverse = 0;
    for (int i = 0; i < vocab; i++) {
      forward += p[i] * (logP[i] - logQ[i]);
      reverse += q[i] * (logQ[i] - logP[i]);
    }
    double[] w = headTailWeights(p, q, headMass);
    double scale = weight / temperature;
    for (int i = 0; i < vocab; i++) {
      double g = w[0] * (q[i] - p[i]) + w[1] * q[i] * (logQ[i] - logP[i] - reverse);
      gradient[base + i] = (float) (scale * g);
    }
    return w[0] * forward + w[1] * reverse;
  }

  /** {g_head, g_tail} / (g_head + g_tail) of one row of logits (equal weights when both are 0). */
  static double[] headTailWeights(float[] teacher, float[] student, int base, int vocab, double temperature, double headMass) {
    double[] p = softmax(teacher, base, vocab, temperature);
    double[] q = softmax(student, base, vocab, temperature);
    return headTailWeights(p, q, headMass);
  }

  /** {g_head, g_tail} / (g_head + g_tail) of teacher p and student q (equal weights when both are 0). */
  static double[] headTailWeights(double[] p, double[] q, double headMass) {
    int vocab = p.length;
    double[] sorted = p.clone();
    Arrays.sort(sorted);
    // walk the probabilities from the largest: the head is the first token and every next one while the
    // cumulative mass stays within headMass (the same sums, in the same order, as over sorted token ids)
    double cumulative = 0;
    int headSize = 0;
    for (int j = 0; j < vocab; j++) {
      cumulative += sorted[vocab - 1 - j];
      if (j == 0 || cumulative <= headMass) {
        headSize = j + 1;
      }
    }
    // the cumulative mass only grows: the head is a prefix of the sorted order, its last value the threshold
    double threshold = sorted[vocab - headSize];
    int above = 0;
    for (int i = 0; i < vocab; i++) {
      above += p[i] > threshold ? 1 : 0;
    }
    int tiesInHead = headSize - above;
    double head = 0;
    double tail = 0;
    for (int i = 0; i < vocab; i++) {
      double error = Math.abs(p[i] - q[i]);
      boolean inHead = p[i] > threshold || (p[i] == threshold && tiesInHead-- > 0);
      if (inHead) {
        head += error;
      } else {
        tail += error;
      }
    }
    double sum = head + tail;
    return sum == 0 ? new double[] {0.5, 0.5} : new double[] {head / sum, tail / sum};
  }

  static double[] softmax(float[] logits, int base, int vocab, double temperature) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < vocab; i++) {
      max = Math.max(max, logits[base + i] / temperature);
    }
    double[] out = new double[vocab];
    double sum = 0;
    for (int i = 0; i < vocab; i++) {
      out[i] = Math.exp(logits[base + i] / temperature - max);
      sum += out[i];
    }
    for (int i = 0; i < vocab; i++) {
      out[i] /= sum;
    }
    return out;
  }

  /** softmax(logits / T) of one row into {@code probs}, and its logarithm into {@code logs}. */
  private static void softmax(float[] logits, int base, int vocab, double temperature, double[] probs, double[] logs) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < vocab; i++) {
      max = Math.max(max, logits[base + i] / temperature);
    }
    double sum = 0;
    for (int i = 0; i < vocab; i++) {
      probs[i] = Math.exp(logits[base + i] / temperature - max);
      sum += probs[i];
    }
    double logSum = Math.log(sum);
    for (int i = 0; i < vocab; i++) {
      probs[i] /= sum;
      logs[i] = logits[base + i] / temperature - max - logSum;
    }
  }
}
