package dev.divergence.training.trainer.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * PLD (Plackett-Luce distillation, classifiers): per example the permutation pi* puts the true label
 * first, then the other classes by descending teacher probability; with student scores
 * s = logits / T, loss = sum_k w_k (logsumexp_{j>=k} s_{pi*_j} - s_{pi*_k}), w_k the teacher's
 * probability (at T) of class pi*_k. Mean over kept rows. Built from NDArray ops (autograd); the suffix
 * log-sum-exps are computed in log space (no underflow to log 0 for any finite scores).
 * The weights follow ALGORITHMS.md, which marks them [check] against the paper.
 */
public final class ListwiseDistillationLoss implements DistillationLoss {

  private final double temperature;

  public ListwiseDistillationLoss(double temperature) {
    this.temperature = temperature;
  }

  @Override
  public String name() {
    return "pld";
  }

  @Override
  public NDArray compute(NDArray teacherLogits, NDArray studentLogits, boolean[] rowMask, long[] labels) {
    if (labels == null) {
      throw new IllegalArgumentException("pld needs the true labels");
    }
    int rows = Surrogates.rows(studentLogits);
    int classes = Surrogates.vocab(studentLogits);
    boolean[] mask = Surrogates.allRows(rowMask, rows);
    float[] teacher = Surrogates.host(teacherLogits);
    long[] order = new long[rows * classes];
    float[] weights = new float[rows * classes];
    int kept = 0;
    for (int r = 0; r < rows; r++) {
      double[] p = AdaptiveKlLoss.softmax(teacher, r * classes, classes, temperature);
      int label = Math.toIntExact(labels[r]);
      Integer[] rest = java.util.stream.IntStream.range(0, classes).filter(c -> c != label).boxed().toArray(Integer[]::new);
      java.util.Arrays.sort(rest, (a, b) -> Double.compare(p[b], p[a]));
      order[r * classes] = label;
      for (int j = 0; j < rest.length; j++) {
        order[r * classes + 1 + j] = rest[j];
      }
      for (int j = 0; j < classes; j++) {
        weights[r * classes + j] = mask[r] ? (float) p[(int) order[r * classes + j]] : 0f;
      }
      kept += mask[r] ? 1 : 0;
    }
    NDManager m = studentLogits.getManager();
    NDArray scores = studentLogits.div((float) temperature).gather(m.create(order, new Shape(rows, classes)), 1);
    // suffix log-sum-exp lse_k = log sum_{j >= k} exp(s_j), by the recurrence lse_k = logaddexp(s_k, lse_{k+1})
    // with each step shifted by its own (constant) maximum, so one of the two exponentials is exactly 1. One shift
    // per row is not enough: once a trained student's scores spread by more than about 104 (breast-cancer at rate
    // 3e-3), exp(s_j - rowmax) of a whole suffix underflows to 0 in float32, log gives -Infinity and so did the loss.
    NDArray[] suffix = new NDArray[classes];
    NDArray running = null;
    for (int k = classes - 1; k >= 0; k--) {
      NDArray column = scores.get(":, " + k + ":" + (k + 1));
      if (running == null) {
        running = column;
      } else {
        NDArray shift = column.maximum(running).stopGradient();
        running = column.sub(shift).exp().add(running.sub(shift).exp()).log().add(shift);
      }
      suffix[k] = running;
    }
    NDArray lse = ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(suffix), 1);
    NDArray terms = lse.sub(scores).mul(m.create(weights, new Shape(rows, classes)));
    return terms.sum().div((float) Math.max(kept, 1));
  }

}
