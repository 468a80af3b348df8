package dev.divergence.training.trainer.loss;

import ai.djl.ndarray.NDArray;
import dev.divergence.math.divergence.Divergence;
import dev.divergence.math.logits.LogitsBatch;
import dev.divergence.math.logits.LogitsDivergence;
import dev.divergence.math.logits.LogitsOptions;
import dev.divergence.math.logits.Reduction;
import dev.divergence.math.logits.TopKTeacher;

/**
 * Per-token divergences between softmax(teacher/T) and softmax(student/T), token-mean over the kept
 * rows: kl = KL(p||q), reverse_kl = KL(q||p), js, jsd(beta) (GKD; beta 0 and 1 are KL(p||q) and
 * KL(q||p), special-cased as TRL does), tv, skew_kl KL(p || a p + (1-a) q) and skew_reverse_kl
 * KL(q || (1-a) p + a q). Values and gradients come from libs/divergence (exact, log-space); no T^2
 * rescaling is applied (TRL's GKD does not either).
 *
 * <p>With {@code topK > 0} the teacher is reduced to its k most likely tokens plus one bin holding
 * the rest of its mass, and both distributions are compared on those k+1 bins (the student's tail
 * summed over the same tokens): what a cached top-k teacher allows, with nothing renormalised away.
 */
public final class DivergenceLogitsLoss implements DistillationLoss {

  private final String name;
  private final LogitsDivergence divergence;
  private final double temperature;
  private final int topK;

  /** @param divergence a registry divergence with its parameters (e.g. jsd with beta) */
  public DivergenceLogitsLoss(String name, Divergence divergence, double temperature, int topK) {
    if (!(temperature > 0)) {
      throw new IllegalArgumentException("temperature must be positive, got " + temperature);
    }
    if (topK < 0) {
      throw new IllegalArgumentException("topK must be >= 0, got " + topK);
    }
    this.name = name;
    this.divergence = LogitsDivergence.of(divergence);
    this.temperature = temperature;
    this.topK = topK;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public NDArray compute(NDArray teacherLogits, NDArray studentLogits, boolean[] rowMask, long[] labels) {
    int rows = Surrogates.rows(studentLogits);
    int vocab = Surrogates.vocab(studentLogits);
    float[] teacher = Surrogates.host(teacherLogits);
    float[] student = Surrogates.host(studentLogits);
    LogitsOptions options = new LogitsOptions(temperature, Surrogates.allRows(rowMask, rows), Reduction.TOKEN_MEAN);
    float[] gradient = new float[rows * vocab];
    double value;
    if (topK > 0 && topK < vocab) {
      double[] g = new double[rows * vocab];
      value = divergence.lossAndGradientTopK(topK(teacher, rows, vocab), LogitsBatch.ofFloats(student, rows, vocab), options, g);
      for (int i = 0; i < g.length; i++) {
        gradient[i] = (float) g[i];
      }
    } else {
      value = divergence.lossAndGradient(LogitsBatch.ofFloats(teacher, rows, vocab), LogitsBatch.ofFloats(student, rows, vocab),
          options, gradient);
    }
    return Surrogates.of(studentLogits, gradient, value);
  }

  @Override
  public NDArray computeTopK(TopKTeacher teacher, NDArray studentLogits, boolean[] rowMask, long[] labels) {
    int rows = Surrogates.rows(studentLogits);
    int vocab = Surrogates.vocab(studentLogits);
    float[] student = Surrogates.host(studentLogits);
    LogitsOptions options = new LogitsOptions(temperature, Surrogates.allRows(rowMask, rows), Reduction.TOKEN_MEAN);
    double[] g = new double[rows * vocab];
    double value = divergence.lossAndGradientTopK(teacher, LogitsBatch.ofFloats(student, rows, vocab), options, g);
    float[] gradient = new float[rows * vocab];
    for (int i = 0; i < g.length; i++) {
      gradient[i] = (float) g[i];
    }
    return Surrogates.of(studentLogits, gradient, value);
  }

  /**
   * Whether this loss is KL(teacher || student) on the full distributions at temperature 1, i.e.
   * the common yardstick metric itself (which then needs no second pass).
   */
  public boolean isCommonKl() {
    return name.equals("kl") && temperature == 1.0 && topK == 0;
  }

  @Override
  public boolean chunked() {
    return true;
  }

  @Override
  public ChunkValue chunk(float[] teacherLogits, TopKTeacher top, float[] studentLogits, int rows, int vocab, boolean[] keep,
      long[] labels, double weight, float[] gradient) {
    LogitsOptions options = new LogitsOptions(temperature, keep, Reduction.SUM);
    LogitsBatch student = LogitsBatch.ofFloats(studentLogits, rows, vocab);
    TopKTeacher teacher = top != null ? top : topK > 0 && topK < vocab ? topK(teacherLogits, rows, vocab) : null;
    double sum;
    if (teacher != null) {
      double[] g = new double[rows * vocab];
      sum = divergence.lossAndGradientTopK(teacher, student, options, g);
      for (int i = 0; i < g.length; i++) {
        gradient[i] = (float) (g[i] * weight);
      }
    } else {
      sum = divergence.lossAndGradient(LogitsBatch.ofFloats(teacherLogits, rows, vocab), student, options, gradient);
      float w = (float) weight;
      for (int i = 0; i < gradient.length; i++) {
        gradient[i] *= w;
      }
    }
    return new ChunkValue(sum * weight, sum * weight);
  }

  /** Per-row values against a top-k teacher (no gradient), masked rows 0: for metrics. */
  public double[] perRowTopK(TopKTeacher teacher, float[] student, int rows, int vocab, boolean[] rowMask) {
    LogitsOptions options = new LogitsOptions(temperature, Surrogates.allRows(rowMask, rows), Reduction.TOKEN_MEAN);
    return divergence.perRowTopK(teacher, LogitsBatch.ofFloats(student, rows, vocab), options);
  }

  /** Per-row values (no gradient), masked rows 0: for metrics. */
  public double[] perRow(float[] teacher, float[] student, int rows, int vocab, boolean[] rowMask) {
    LogitsOptions options = new LogitsOptions(temperature, Surrogates.allRows(rowMask, rows), Reduction.TOKEN_MEAN);
    return divergence.perRow(LogitsBatch.ofFloats(teacher, rows, vocab), LogitsBatch.ofFloats(student, rows, vocab), options);
  }

  /** The teacher's k best tokens per row with their log-probabilities at this loss's temperature. */
  TopKTeacher topK(float[] teacher, int rows, int vocab) {
    return topKTeacher(teacher, rows, vocab, topK, temperature);
  }

  /**
   * The k largest logits of each row (ties: lower token id first), with their log-probabilities
   * at {@code temperature}: a bounded selection, O(V log k) per row, no boxing. The tail mass is
   * summed over the other tokens in double precision, so it keeps its value when it is far below
   * the float32 rounding of the top-k mass (where 1 - top-k mass would be 0 or noise).
   */
  public static TopKTeacher topKTeacher(float[] teacher, int rows, int vocab, int k, double temperature) {
    int[] indices = new int[rows * k];
    float[] logProbs = new float[rows * k];
    double[] tailMass = new double[rows];
    boolean[] inTop = new boolean[vocab];
    int[] heap = new int[k];
    for (int r = 0; r < rows; r++) {
      int base = r * vocab;
      double max = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < vocab; i++) {
        max = Math.max(max, teacher[base + i] / temperature);
      }
      double sum = 0;
      for (int i = 0; i < vocab; i++) {
        sum += Math.exp(teacher[base + i] / temperature - max);
      }
      double logZ = max + Math.log(sum);
      // min-heap of the best k so far, its root the worst of them
      int size = 0;
      for (int i = 0; i < vocab; i++) {
        if (size < k) {
          heap[size] = i;
          siftUp(heap, size++, teacher, base);
        } else if (before(teacher, base, i, heap[0])) {
          heap[0] = i;
          siftDown(heap, k, teacher, base);
        }
      }
      // pop worst-first into the tail of the row: best first
      for (int j = k - 1; j >= 0; j--) {
        int worst = heap[0];
        heap[0] = heap[--size];
        siftDown(heap, size, teacher, base);
        indices[r * k + j] = worst;
        logProbs[r * k + j] = (float) Math.min(0.0, teacher[base + worst] / temperature - logZ);
        inTop[worst] = true;
      }
      double tail = 0;
      for (int i = 0; i < vocab; i++) {
        tail += inTop[i] ? 0.0 : Math.exp(teacher[base + i] / temperature - logZ);
      }
      tailMass[r] = Math.min(1.0, tail);
      for (int j = 0; j < k; j++) {
        inTop[indices[r * k + j]] = false;
      }
    }
    return new TopKTeacher(rows, k, indices, logProbs, tailMass);
  }

  /** Whether token a ranks before token b: larger logit, or the same logit and a lower id. */
  private static boolean before(float[] logits, int base, int a, int b) {
    int c = Float.compare(logits[base + a], logits[base + b]);
    return c > 0 || (c == 0 && a < b);
  }

  private static void siftUp(int[] heap, int at, float[] logits, int base) {
    while (at > 0) {
      int parent = (at - 1) >>> 1;
      if (!before(logits, base, heap[parent], heap[at])) {
        return;
      }
      int t = heap[parent];
      heap[parent] = heap[at];
      heap[at] = t;
      at = parent;
    }
  }

  private static void siftDown(int[] heap, int size, float[] logits, int base) {
    int at = 0;
    while (true) {
      int left = 2 * at + 1;
      if (left >= size) {
        return;
      }
      int worse = left;
      if (left + 1 < size && before(logits, base, heap[left], heap[left + 1])) {
        worse = left + 1;
      }
      if (!before(logits, base, heap[at], heap[worse])) {
        return;
      }
      int t = heap[worse];
      heap[worse] = heap[at];
      heap[at] = t;
      at = worse;
    }
  }
}
