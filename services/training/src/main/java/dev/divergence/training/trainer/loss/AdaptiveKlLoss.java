package dev.divergence.training.trainer.loss;

import ai.djl.ndarray.NDArray;
import dev.divergence.math.logits.LogitsBatch;
import dev.divergence.math.logits.LogitsDivergence;
import dev.divergence.math.logits.LogitsOptions;
import dev.divergence.math.logits.Reduction;

/**
 * AKL (Wu et al. 2024, adaptive forward/reverse balance): per token, sort the teacher's
 * probabilities, call the tokens up to cumulative teacher mass {@code headMass} the head (the most
 * likely token always is), the rest the tail; g_head and g_tail are the summed |p - q| on each part
 * (treated as constants, no gradient), and the token's loss is
 * (g_head KL(p||q) + g_tail KL(q||p)) / (g_head + g_tail). Token-mean over kept rows; temperature on
 * both distributions.
 */
public final class AdaptiveKlLoss implements DistillationLoss {

  private static final LogitsDivergence FORWARD = LogitsDivergence.of("kl");
  private static final LogitsDivergence REVERSE = LogitsDivergence.of("reverse_kl");
  private final double temperature;
  private final double headMass;

  public AdaptiveKlLoss(double temperature, double headMass) {
    if (!(headMass >= 0 && headMass <= 1)) {
      throw new IllegalArgumentException("akl head mass (alpha) must be in [0, 1], got " + headMass);
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
    LogitsBatch t = LogitsBatch.ofFloats(teacher, rows, vocab);
    LogitsBatch s = LogitsBatch.ofFloats(student, rows, vocab);
    LogitsOptions perRow = new LogitsOptions(temperature, mask, Reduction.NONE);
    float[] forwardGrad = new float[rows * vocab];
    float[] reverseGrad = new float[rows * vocab];
    double[] forward = FORWARD.perRow(t, s, perRow);
    double[] reverse = REVERSE.perRow(t, s, perRow);
    FORWARD.lossAndGradient(t, s, perRow, forwardGrad);
    REVERSE.lossAndGradient(t, s, perRow, reverseGrad);
    int kept = 0;
    for (boolean k : mask) {
      kept += k ? 1 : 0;
    }
    float[] gradient = new float[rows * vocab];
    double total = 0;
    for (int r = 0; r < rows; r++) {
      if (!mask[r]) {
        continue;
      }
      double[] w = headTailWeights(teacher, student, r * vocab, vocab, temperature, headMass);
      total += w[0] * forward[r] + w[1] * reverse[r];
      for (int i = r * vocab; i < (r + 1) * vocab; i++) {
        gradient[i] = (float) ((w[0] * forwardGrad[i] + w[1] * reverseGrad[i]) / kept);
      }
    }
    return Surrogates.of(studentLogits, gradient, kept == 0 ? 0 : total / kept);
  }

  /** {g_head, g_tail} / (g_head + g_tail) of one row (equal weights when both are 0). */
  static double[] headTailWeights(float[] teacher, float[] student, int base, int vocab, double temperature, double headMass) {
    double[] p = softmax(teacher, base, vocab, temperature);
    double[] q = softmax(student, base, vocab, temperature);
    Integer[] order = new Integer[vocab];
    for (int i = 0; i < vocab; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
    double cumulative = 0;
    double head = 0;
    double tail = 0;
    for (int j = 0; j < vocab; j++) {
      int i = order[j];
      cumulative += p[i];
      double error = Math.abs(p[i] - q[i]);
      if (j == 0 || cumulative <= headMass) {
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
}
