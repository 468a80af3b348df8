package dev.divergence.training.trainer.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * SinKD (Cui et al. 2024), batch-wise: P_s = softmax(z_s/T), P_t = softmax(z_t/T) over the kept
 * rows; cost W_ij = ||P_s[i] - P_t[j]||_1 (B x B); K = exp(-W/eps); {@code iterations} alternating
 * row then column normalisations of K give the plan P; loss = scale * sum P_ij W_ij / B (the plan
 * divided by B has total mass 1, uniform marginals). Built from NDArray ops, so the gradient flows
 * through the cost and through every normalisation, as in the reference implementation.
 * Language models have many rows per batch: they are taken in blocks of at most {@code block} rows
 * (each block its own B x B problem), and the block losses are averaged weighted by their size.
 */
public final class SinkhornLoss implements DistillationLoss {

  public static final double DEFAULT_TEMPERATURE = 2.0;
  public static final double DEFAULT_EPSILON = 0.1;
  public static final int DEFAULT_ITERATIONS = 20;
  private final double temperature;
  private final double epsilon;
  private final int iterations;
  private final double scale;
  private final int block;

  public SinkhornLoss(double temperature, double epsilon, int iterations, double scale, int block) {
    this.temperature = temperature;
    this.epsilon = epsilon;
    this.iterations = iterations;
    this.scale = scale;
    this.block = block;
  }

  /** SinKD's settings of ALGORITHMS.md: T = 2, eps = 0.1, 20 iterations, scale 1, blocks of 64. */
  public static SinkhornLoss standard() {
    return new SinkhornLoss(DEFAULT_TEMPERATURE, DEFAULT_EPSILON, DEFAULT_ITERATIONS, 1.0, 64);
  }

  @Override
  public String name() {
    return "sinkhorn";
  }

  @Override
  public NDArray compute(NDArray teacherLogits, NDArray studentLogits, boolean[] rowMask, long[] labels) {
    int rows = Surrogates.rows(studentLogits);
    boolean[] mask = Surrogates.allRows(rowMask, rows);
    int[] kept = java.util.stream.IntStream.range(0, rows).filter(r -> mask[r]).toArray();
    NDManager m = studentLogits.getManager();
    if (kept.length == 0) {
      return studentLogits.sum().mul(0f);
    }
    NDArray total = null;
    for (int from = 0; from < kept.length; from += block) {
      int to = Math.min(kept.length, from + block);
      long[] index = new long[to - from];
      for (int i = from; i < to; i++) {
        index[i - from] = kept[i];
      }
      NDArray idx = m.create(index, new Shape(index.length));
      NDArray part = blockLoss(teacherLogits.stopGradient().get(idx), studentLogits.get(idx)).mul((float) index.length);
      total = total == null ? part : total.add(part);
    }
    return total.div((float) kept.length);
  }

  /** The loss of one block of B rows: teacher and student logits [B, V]. */
  NDArray blockLoss(NDArray teacher, NDArray student) {
    long b = student.getShape().get(0);
    NDArray ps = student.div((float) temperature).softmax(-1);
    NDArray pt = teacher.div((float) temperature).softmax(-1);
    NDArray cost = ps.expandDims(1).sub(pt.expandDims(0)).abs().sum(new int[] {2});
    NDArray plan = cost.div((float) -epsilon).exp();
    for (int i = 0; i < iterations; i++) {
      plan = plan.div(plan.sum(new int[] {1}, true));
      plan = plan.div(plan.sum(new int[] {0}, true));
    }
    return plan.mul(cost).sum().mul((float) (scale / b));
  }
}
