package dev.divergence.training.trainer.distillation;

import ai.djl.ndarray.NDArray;
import dev.divergence.math.logits.LogitsBatch;
import dev.divergence.math.logits.LogitsDivergence;
import dev.divergence.math.logits.LogitsOptions;
import dev.divergence.math.logits.Reduction;
import dev.divergence.math.logits.TopKTeacher;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.training.trainer.data.SequenceBatch;
import dev.divergence.training.trainer.loss.ChunkedHeadLoss;
import dev.divergence.training.trainer.loss.DistillationLoss;
import dev.divergence.training.trainer.loss.DivergenceLogitsLoss;
import java.util.Arrays;
import java.util.Map;

/**
 * One micro-batch of token-level distillation computed chunk by chunk over positions from the
 * student's (and the teacher's) final hidden states, never holding [B*T, V] logits
 * ({@link ChunkedHeadLoss}). The step's divergence metrics come from the same pass:
 * {@code divergence/<name>} (the loss's distillation term) and {@code divergence/kl} (KL at
 * temperature 1) against a live teacher, or {@code divergence/kl_topk} against a cached one.
 */
public final class ChunkedDistillation {

  private static final LogitsDivergence KL = LogitsDivergence.of("kl");

  /** The teacher of the batch's rows: live hidden states through its head, or a cached top-k. */
  public sealed interface Teacher {
    /** @param hidden [N, H_teacher], no gradient; @param head [V, H_teacher] */
    record Live(NDArray hidden, NDArray head) implements Teacher {}

    /** @param temperature the cache's temperature (for the kl_topk metric) */
    record Cached(TopKTeacher rows, double temperature) implements Teacher {}
  }

  private ChunkedDistillation() {
  }

  /** The model's head weight [V, H]: lm_head, or the token embedding when tied. */
  public static NDArray headWeight(LlamaModel model) {
    return ChunkedHeadLoss.headWeight(model);
  }

  /**
   * @param studentHidden [N, H] prediction rows of the student's final hidden states, differentiable
   * @param metrics receives the step's divergence metrics
   */
  public static NDArray loss(DistillationLoss loss, NDArray studentHidden, NDArray studentHead, Teacher teacher, SequenceBatch batch,
      int chunkRows, Map<String, Double> metrics) {
    boolean[] mask = batch.targetMask();
    long[] labels = batch.targets();
    int vocab = Math.toIntExact(studentHead.getShape().get(0));
    int kept = batch.countedTokens();
    double weight = kept == 0 ? 0 : 1.0 / kept;
    int rowsPerChunk = ChunkedHeadLoss.chunkRows(chunkRows, vocab);
    boolean commonKl = loss instanceof DivergenceLogitsLoss d && d.isCommonKl();
    double[] term = new double[1];
    double[] kl = new double[1];
    NDArray value = ChunkedHeadLoss.compute(studentHidden, studentHead, rowsPerChunk, (from, n, student, gradient) -> {
      boolean[] keep = Arrays.copyOfRange(mask, from, from + n);
      long[] chunkLabels = Arrays.copyOfRange(labels, from, from + n);
      DistillationLoss.ChunkValue v;
      if (teacher instanceof Teacher.Cached cached) {
        TopKTeacher top = slice(cached.rows(), from, n);
        v = loss.chunk(null, top, student, n, vocab, keep, chunkLabels, weight, gradient);
        kl[0] += sum(KL.perRowTopK(top, LogitsBatch.ofFloats(student, n, vocab), new LogitsOptions(cached.temperature(), keep, Reduction.SUM)));
      } else {
        Teacher.Live live = (Teacher.Live) teacher;
        NDArray rows = n == batch.targetMask().length ? live.hidden() : live.hidden().get(from + ":" + (from + n));
        float[] t = ChunkedHeadLoss.logits(rows, live.head());
        v = loss.chunk(t, null, student, n, vocab, keep, chunkLabels, weight, gradient);
        // a kl loss at temperature 1 is the yardstick itself: no second pass over the chunk
        kl[0] += commonKl ? v.term() / Math.max(weight, Double.MIN_VALUE) : sum(KL.perRow(LogitsBatch.ofFloats(t, n, vocab),
            LogitsBatch.ofFloats(student, n, vocab), new LogitsOptions(1.0, keep, Reduction.SUM)));
      }
      term[0] += v.term();
      return v.loss();
    });
    metrics.put("divergence/" + loss.name(), term[0]);
    metrics.put(teacher instanceof Teacher.Cached ? "divergence/kl_topk" : "divergence/kl", kl[0] * weight);
    return value;
  }

  static TopKTeacher slice(TopKTeacher all, int from, int n) {
    int k = all.k();
    return new TopKTeacher(n, k, Arrays.copyOfRange(all.indices(), from * k, (from + n) * k),
        Arrays.copyOfRange(all.logProbs(), from * k, (from + n) * k), Arrays.copyOfRange(all.tailMass(), from, from + n));
  }

  private static double sum(double[] values) {
    double s = 0;
    for (double v : values) {
      s += v;
    }
    return s;
  }
}
