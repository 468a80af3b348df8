package dev.divergence.training.trainer.loss;

import ai.djl.ndarray.NDArray;
import dev.divergence.math.logits.TopKTeacher;

/**
 * A teacher → student distillation loss over rows of logits (one row per token of a language model,
 * one per example of a classifier). Pure function of its inputs; no Spring, no state.
 */
public interface DistillationLoss {

  /** The platform name of the divergence (what the metric {@code divergence/<name>} is called). */
  String name();

  /**
   * @param teacherLogits [N, V]; treated as a constant (no gradient flows into the teacher)
   * @param studentLogits [N, V], differentiable
   * @param rowMask which rows count (padding and prompt tokens are false); null keeps every row
   * @param labels the data's target per row (next token or class), used by pld and the CE mix; may
   *     be null for losses that do not need it
   * @return a scalar whose value is the loss averaged over the kept rows and whose gradient with
   *     respect to {@code studentLogits} is the exact gradient of that loss
   */
  NDArray compute(NDArray teacherLogits, NDArray studentLogits, boolean[] rowMask, long[] labels);

  /**
   * The same loss against a teacher given as its top-k per row (a teacher-logit cache), for the
   * losses that compare on the k most likely tokens plus a tail bin.
   *
   * @throws UnsupportedOperationException for losses that need the teacher's full distribution
   */
  default NDArray computeTopK(TopKTeacher teacher, NDArray studentLogits, boolean[] rowMask, long[] labels) {
    throw new UnsupportedOperationException(name() + " needs the teacher's full logits, not a top-k cache");
  }

  /** A chunk's share of the loss, and of its distillation term alone (without a CE mix). */
  record ChunkValue(double loss, double term) {}

  /** Whether {@link #chunk} is available: per-token losses; the others need every row at once. */
  default boolean chunked() {
    return false;
  }

  /**
   * The loss over a chunk of rows, on host arrays, as its share of the loss over the whole batch:
   * each kept row's value times {@code weight} (1 / kept rows of the batch), and the gradient of
   * that share w.r.t. the student's logits written into {@code gradient} [rows, V].
   *
   * @param teacherLogits [rows, V], or null when {@code topK} is given
   * @param topK the teacher's top-k for these rows (a cache), or null
   * @param keep which rows count
   * @param labels the data's next token per row (CE mix), may be null otherwise
   */
  default ChunkValue chunk(float[] teacherLogits, TopKTeacher topK, float[] studentLogits, int rows, int vocab, boolean[] keep,
      long[] labels, double weight, float[] gradient) {
    throw new UnsupportedOperationException(name() + " is not computed per row chunk");
  }
}
