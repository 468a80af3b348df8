package dev.divergence.training.trainer.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.divergence.math.logits.TopKTeacher;

/**
 * (1 - w) * distillation + w * cross-entropy to the data's labels (at temperature 1), both
 * averaged over the kept rows: the usual "soft + hard target" mix of KD recipes.
 */
public final class CrossEntropyMix implements DistillationLoss {

  private final DistillationLoss distillation;
  private final double ceWeight;

  public CrossEntropyMix(DistillationLoss distillation, double ceWeight) {
    if (!(ceWeight >= 0 && ceWeight <= 1)) {
      throw new IllegalArgumentException("ceWeight must be in [0, 1], got " + ceWeight);
    }
    this.distillation = distillation;
    this.ceWeight = ceWeight;
  }

  @Override
  public String name() {
    return distillation.name();
  }

  public DistillationLoss distillation() {
    return distillation;
  }

  @Override
  public NDArray compute(NDArray teacherLogits, NDArray studentLogits, boolean[] rowMask, long[] labels) {
    NDArray kd = distillation.compute(teacherLogits, studentLogits, rowMask, labels);
    if (ceWeight == 0) {
      return kd;
    }
    return kd.mul((float) (1 - ceWeight)).add(crossEntropy(studentLogits, rowMask, labels).mul((float) ceWeight));
  }

  @Override
  public NDArray computeTopK(TopKTeacher teacher, NDArray studentLogits, boolean[] rowMask, long[] labels) {
    NDArray kd = distillation.computeTopK(teacher, studentLogits, rowMask, labels);
    if (ceWeight == 0) {
      return kd;
    }
    return kd.mul((float) (1 - ceWeight)).add(crossEntropy(studentLogits, rowMask, labels).mul((float) ceWeight));
  }

  @Override
  public boolean chunked() {
    return distillation.chunked();
  }

  @Override
  public ChunkValue chunk(float[] teacherLogits, TopKTeacher topK, float[] studentLogits, int rows, int vocab, boolean[] keep,
      long[] labels, double weight, float[] gradient) {
    ChunkValue kd = distillation.chunk(teacherLogits, topK, studentLogits, rows, vocab, keep, labels, weight, gradient);
    if (ceWeight == 0) {
      return kd;
    }
    float kdShare = (float) (1 - ceWeight);
    for (int i = 0; i < gradient.length; i++) {
      gradient[i] *= kdShare;
    }
    double ce = crossEntropyChunk(studentLogits, rows, vocab, keep, labels, weight * ceWeight, gradient);
    return new ChunkValue((1 - ceWeight) * kd.loss() + ce, kd.term());
  }

  /**
   * Adds {@code scale} x the cross-entropy of the kept rows of a chunk (host arrays) and its
   * gradient, {@code scale} x (softmax - onehot), into {@code gradient}; returns the scaled value.
   */
  public static double crossEntropyChunk(float[] logits, int rows, int vocab, boolean[] keep, long[] labels, double scale,
      float[] gradient) {
    if (labels == null) {
      throw new IllegalArgumentException("the cross-entropy mix needs labels");
    }
    double total = 0;
    for (int r = 0; r < rows; r++) {
      if (keep != null && !keep[r]) {
        continue;
      }
      int base = r * vocab;
      double max = Double.NEGATIVE_INFINITY;
      for (int v = 0; v < vocab; v++) {
        max = Math.max(max, logits[base + v]);
      }
      double sum = 0;
      for (int v = 0; v < vocab; v++) {
        sum += Math.exp(logits[base + v] - max);
      }
      double logZ = max + Math.log(sum);
      int label = Math.toIntExact(labels[r]);
      total += logZ - logits[base + label];
      for (int v = 0; v < vocab; v++) {
        gradient[base + v] += (float) (scale * Math.exp(logits[base + v] - logZ));
      }
      gradient[base + label] -= (float) scale;
    }
    return total * scale;
  }

  /** Mean over kept rows of -log softmax(logits)[label]. */
  public static NDArray crossEntropy(NDArray logits, boolean[] rowMask, long[] labels) {
    if (labels == null) {
      throw new IllegalArgumentException("the cross-entropy mix needs labels");
    }
    int rows = Surrogates.rows(logits);
    boolean[] mask = Surrogates.allRows(rowMask, rows);
    float[] keep = new float[rows];
    int kept = 0;
    for (int r = 0; r < rows; r++) {
      keep[r] = mask[r] ? 1f : 0f;
      kept += mask[r] ? 1 : 0;
    }
    NDArray target = logits.getManager().create(labels, new Shape(rows, 1)).toType(DataType.INT64, false);
    NDArray nll = logits.logSoftmax(-1).gather(target, 1).squeeze(1).neg();
    return nll.mul(logits.getManager().create(keep)).sum().div((float) Math.max(kept, 1));
  }
}
