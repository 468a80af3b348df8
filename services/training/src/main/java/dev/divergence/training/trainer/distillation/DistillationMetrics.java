package dev.divergence.training.trainer.distillation;

import ai.djl.ndarray.NDArray;
import dev.divergence.math.logits.LogitsBatch;
import dev.divergence.math.logits.LogitsDivergence;
import dev.divergence.math.logits.LogitsOptions;
import dev.divergence.math.logits.Reduction;
import dev.divergence.math.logits.TopKTeacher;
import dev.divergence.training.trainer.loss.CrossEntropyMix;
import dev.divergence.training.trainer.loss.DistillationLoss;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The teacher–student divergences a distillation step reports: {@code divergence/<job's divergence>}
 * (the distillation term of the loss, without the CE mix) and {@code divergence/kl}, KL(teacher ||
 * student) at temperature 1 over the same tokens, the fixed common yardstick that makes runs with
 * different divergences comparable.
 */
final class DistillationMetrics {

  private static final LogitsDivergence KL = LogitsDivergence.of("kl");

  private DistillationMetrics() {
  }

  static Map<String, Double> of(DistillationLoss loss, NDArray teacher, NDArray student, boolean[] rowMask, long[] labels) {
    Map<String, Double> out = new LinkedHashMap<>();
    DistillationLoss term = loss instanceof CrossEntropyMix mix ? mix.distillation() : loss;
    NDArray frozen = student.stopGradient();
    out.put("divergence/" + term.name(), (double) term.compute(teacher, frozen, rowMask, labels).getFloat());
    out.put("divergence/kl", commonKl(teacher, frozen, rowMask));
    return out;
  }

  /**
   * The same against a cached top-k teacher: {@code divergence/<name>} on the k+1 bins, and
   * {@code divergence/kl_topk}, KL(teacher || student) on those bins at the cache's temperature
   * (the full-vocabulary KL at temperature 1 needs the teacher's full logits, which the cache
   * does not hold; by the data-processing inequality the binned KL never exceeds the full one).
   */
  static Map<String, Double> ofTopK(DistillationLoss loss, TopKTeacher teacher, NDArray student, boolean[] rowMask,
      long[] labels, double temperature) {
    Map<String, Double> out = new LinkedHashMap<>();
    DistillationLoss term = loss instanceof CrossEntropyMix mix ? mix.distillation() : loss;
    NDArray frozen = student.stopGradient();
    out.put("divergence/" + term.name(), (double) term.computeTopK(teacher, frozen, rowMask, labels).getFloat());
    out.put("divergence/kl_topk", topKKl(teacher, frozen, rowMask, temperature));
    return out;
  }

  /** Token-mean KL on the k+1 bins of a top-k teacher at {@code temperature}. */
  static double topKKl(TopKTeacher teacher, NDArray student, boolean[] rowMask, double temperature) {
    int rows = Math.toIntExact(student.getShape().get(0));
    int vocab = Math.toIntExact(student.getShape().get(1));
    double[] perRow = KL.perRowTopK(teacher, LogitsBatch.ofFloats(student.stopGradient().toFloatArray(), rows, vocab),
        new LogitsOptions(temperature, rowMask, Reduction.TOKEN_MEAN));
    return Reduction.TOKEN_MEAN.apply(perRow, rowMask);
  }

  /** Token-mean KL(softmax(teacher) || softmax(student)) at temperature 1. */
  static double commonKl(NDArray teacher, NDArray student, boolean[] rowMask) {
    int rows = Math.toIntExact(student.getShape().get(0));
    int vocab = Math.toIntExact(student.getShape().get(1));
    return KL.loss(LogitsBatch.ofFloats(teacher.stopGradient().toFloatArray(), rows, vocab),
        LogitsBatch.ofFloats(student.stopGradient().toFloatArray(), rows, vocab),
        new LogitsOptions(1.0, rowMask, Reduction.TOKEN_MEAN));
  }
}
