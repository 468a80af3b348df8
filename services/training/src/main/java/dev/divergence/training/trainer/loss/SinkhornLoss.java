package dev.divergence.training.trainer.loss;

import ai.djl.ndarray.NDArray;

/**
 * SinKD (Cui et al. 2024), batch-wise: P_s = softmax(z_s/T), P_t = softmax(z_t/T) over the kept
 * rows; cost W_ij = ||P_s[i] - P_t[j]||_1 (B x B); K = exp(-W/eps); {@code iterations} alternating
 * row then column normalisations of K give the plan P; loss = scale * sum_ij P_ij W_ij, as the
 * paper's reference code computes it (not divided by B: after the last column normalisation the plan
 * has total mass B). The gradient flows through the cost and through every normalisation, as in the
 * reference implementation's autograd.
 *
 * <p>Computed on the host in double precision with its backward pass written out: the B x B
 * problem's unrolled normalisations are differentiated step by step, and the cost's gradient
 * dL/dP_s[i, k] = sum_j dL/dW_ij sign(P_s[i, k] - P_t[j, k]) is accumulated row pair by row pair, so
 * nothing of size B x B x V is ever built (an autograd [B, B, V] |P_s[i] - P_t[j]| tensor is 0.5 GB
 * per block of 64 rows at a 32k vocabulary, kept until backward).
 *
 * <p>Language models have many rows per batch: they are taken in blocks of at most {@code block} rows
 * (each block its own B x B problem), and the block losses are averaged weighted by their row counts
 * (sum_b B_b L_b / sum_b B_b), which is the formula above when the kept rows fit one block.
 */
public final class SinkhornLoss implements DistillationLoss {

  public static final double DEFAULT_TEMPERATURE = 2.0;
  public static final double DEFAULT_EPSILON = 0.1;
  public static final int DEFAULT_ITERATIONS = 20;
  public static final int DEFAULT_BLOCK = 64;
  private final double temperature;
  private final double epsilon;
  private final int iterations;
  private final double scale;
  private final int block;

  public SinkhornLoss(double temperature, double epsilon, int iterations, double scale, int block) {
    if (!(temperature > 0)) {
      throw new IllegalArgumentException("temperature must be positive, got " + temperature);
    }
    if (!(epsilon > 0)) {
      throw new IllegalArgumentException("epsilon must be positive, got " + epsilon);
    }
    if (iterations < 0 || block < 1) {
      throw new IllegalArgumentException("iterations must be >= 0 and block >= 1, got " + iterations + " and " + block);
    }
    this.temperature = temperature;
    this.epsilon = epsilon;
    this.iterations = iterations;
    this.scale = scale;
    this.block = block;
  }

  /** SinKD's settings of ALGORITHMS.md: T = 2, eps = 0.1, 20 iterations, scale 1, blocks of 64. */
  public static SinkhornLoss standard() {
    return withTemperature(DEFAULT_TEMPERATURE);
  }

  /** SinKD's settings at another temperature. */
  public static SinkhornLoss withTemperature(double temperature) {
    return new SinkhornLoss(temperature, DEFAULT_EPSILON, DEFAULT_ITERATIONS, 1.0, DEFAULT_BLOCK);
  }

  public double temperature() {
    return temperature;
  }

  @Override
  public String name() {
    return "sinkhorn";
  }

  @Override
  public NDArray compute(NDArray teacherLogits, NDArray studentLogits, boolean[] rowMask, long[] labels) {
    int rows = Surrogates.rows(studentLogits);
    int vocab = Surrogates.vocab(studentLogits);
    boolean[] mask = Surrogates.allRows(rowMask, rows);
    int[] kept = java.util.stream.IntStream.range(0, rows).filter(r -> mask[r]).toArray();
    float[] gradient = new float[rows * vocab];
    if (kept.length == 0) {
      return Surrogates.of(studentLogits, gradient, 0.0);
    }
    float[] teacher = Surrogates.host(teacherLogits);
    float[] student = Surrogates.host(studentLogits);
    double total = 0;
    for (int from = 0; from < kept.length; from += block) {
      int[] index = java.util.Arrays.copyOfRange(kept, from, Math.min(kept.length, from + block));
      double weight = (double) index.length / kept.length;
      total += weight * blockLoss(teacher, student, vocab, index, weight, gradient);
    }
    return Surrogates.of(studentLogits, gradient, total);
  }

  /**
   * The loss of one block: the rows {@code index} of teacher and student logits [rows, V]; adds
   * {@code weight} times its gradient w.r.t. those student rows into {@code gradient}.
   */
  double blockLoss(float[] teacher, float[] student, int vocab, int[] index, double weight, float[] gradient) {
    int b = index.length;
    double[][] ps = new double[b][];
    double[][] pt = new double[b][];
    for (int i = 0; i < b; i++) {
      ps[i] = softmax(student, index[i] * vocab, vocab, temperature);
      pt[i] = softmax(teacher, index[i] * vocab, vocab, temperature);
    }
    // pairwise L1 cost, one row pair at a time
    double[][] cost = new double[b][b];
    java.util.stream.IntStream.range(0, b).parallel().forEach(i -> {
      for (int j = 0; j < b; j++) {
        double sum = 0;
        double[] x = ps[i];
        double[] y = pt[j];
        for (int k = 0; k < vocab; k++) {
          sum += Math.abs(x[k] - y[k]);
        }
        cost[i][j] = sum;
      }
    });
    // forward: K = exp(-W/eps), then row and column normalisations, each step kept for backward
    double[][] kernel = new double[b][b];
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < b; j++) {
        kernel[i][j] = Math.exp(-cost[i][j] / epsilon);
      }
    }
    double[][][] afterRows = new double[iterations][][];
    double[][] rowSums = new double[iterations][];
    double[][][] afterColumns = new double[iterations][][];
    double[][] columnSums = new double[iterations][];
    double[][] plan = kernel;
    for (int t = 0; t < iterations; t++) {
      double[] r = new double[b];
      double[][] x = new double[b][b];
      for (int i = 0; i < b; i++) {
        for (int j = 0; j < b; j++) {
          r[i] += plan[i][j];
        }
        for (int j = 0; j < b; j++) {
          x[i][j] = plan[i][j] / r[i];
        }
      }
      double[] c = new double[b];
      double[][] y = new double[b][b];
      for (int i = 0; i < b; i++) {
        for (int j = 0; j < b; j++) {
          c[j] += x[i][j];
        }
      }
      for (int i = 0; i < b; i++) {
        for (int j = 0; j < b; j++) {
          y[i][j] = x[i][j] / c[j];
        }
      }
      afterRows[t] = x;
      rowSums[t] = r;
      afterColumns[t] = y;
      columnSums[t] = c;
      plan = y;
    }
    double value = 0;
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < b; j++) {
        value += plan[i][j] * cost[i][j];
      }
    }
    value *= scale;
    // backward: dL/dplan = scale W and the direct dL/dW = scale plan, then through the normalisations
    double[][] dPlan = new double[b][b];
    double[][] dCost = new double[b][b];
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < b; j++) {
        dPlan[i][j] = scale * cost[i][j];
        dCost[i][j] = scale * plan[i][j];
      }
    }
    for (int t = iterations - 1; t >= 0; t--) {
      // y = x / c (columns): dx_ij = (dy_ij - sum_i' dy_i'j y_i'j) / c_j
      double[][] y = afterColumns[t];
      double[] c = columnSums[t];
      double[] columnDot = new double[b];
      for (int i = 0; i < b; i++) {
        for (int j = 0; j < b; j++) {
          columnDot[j] += dPlan[i][j] * y[i][j];
        }
      }
      double[][] dx = new double[b][b];
      for (int i = 0; i < b; i++) {
        for (int j = 0; j < b; j++) {
          dx[i][j] = (dPlan[i][j] - columnDot[j]) / c[j];
        }
      }
      // x = k / r (rows): dk_ij = (dx_ij - sum_j' dx_ij' x_ij') / r_i
      double[][] x = afterRows[t];
      double[] r = rowSums[t];
      for (int i = 0; i < b; i++) {
        double rowDot = 0;
        for (int j = 0; j < b; j++) {
          rowDot += dx[i][j] * x[i][j];
        }
        for (int j = 0; j < b; j++) {
          dPlan[i][j] = (dx[i][j] - rowDot) / r[i];
        }
      }
    }
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < b; j++) {
        dCost[i][j] -= dPlan[i][j] * kernel[i][j] / epsilon;
      }
    }
    // dL/dP_s[i, k] = sum_j dL/dW_ij sign(P_s[i, k] - P_t[j, k]), then through softmax(z / T)
    java.util.stream.IntStream.range(0, b).parallel().forEach(i -> {
      double[] g = new double[vocab];
      double[] x = ps[i];
      for (int j = 0; j < b; j++) {
        double d = dCost[i][j];
        double[] y = pt[j];
        for (int k = 0; k < vocab; k++) {
          g[k] += d * Math.signum(x[k] - y[k]);
        }
      }
      double dot = 0;
      for (int k = 0; k < vocab; k++) {
        dot += x[k] * g[k];
      }
      int base = index[i] * vocab;
      double factor = weight / temperature;
      for (int k = 0; k < vocab; k++) {
        gradient[base + k] += (float) (factor * x[k] * (g[k] - dot));
      }
    });
    return value;
  }

  private static double[] softmax(float[] logits, int base, int vocab, double temperature) {
    double max = Double.NEGATIVE_INFINITY;
    for (int k = 0; k < vocab; k++) {
      max = Math.max(max, logits[base + k] / temperature);
    }
    double[] out = new double[vocab];
    double sum = 0;
    for (int k = 0; k < vocab; k++) {
      out[k] = Math.exp(logits[base + k] / temperature - max);
      sum += out[k];
    }
    for (int k = 0; k < vocab; k++) {
      out[k] /= sum;
    }
    return out;
  }
}
