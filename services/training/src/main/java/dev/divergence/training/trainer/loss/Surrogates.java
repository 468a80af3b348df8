package dev.divergence.training.trainer.loss;

import ai.djl.ndarray.NDArray;

/**
 * Hands a loss computed outside the autograd graph (exactly, by libs/divergence) back to DJL: the
 * surrogate {@code sum(logits * stop_grad(g)) - stop_grad(same) + value} has the loss's value and,
 * w.r.t. the logits, exactly the gradient {@code g}, so back-propagation continues into the model.
 */
final class Surrogates {

  private Surrogates() {
  }

  static NDArray of(NDArray logits, float[] gradient, double value) {
    NDArray g = logits.getManager().create(gradient, logits.getShape());
    NDArray linear = logits.mul(g).sum();
    return linear.sub(linear.stopGradient()).add((float) value);
  }

  /** Rows of {@code logits} [N, V] as a flat float array (a host copy; the graph is untouched). */
  static float[] host(NDArray logits) {
    return logits.stopGradient().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
  }

  static int rows(NDArray logits) {
    return Math.toIntExact(logits.getShape().get(0));
  }

  static int vocab(NDArray logits) {
    return Math.toIntExact(logits.getShape().get(1));
  }

  static boolean[] allRows(boolean[] mask, int rows) {
    if (mask != null) {
      if (mask.length != rows) {
        throw new IllegalArgumentException("rowMask has " + mask.length + " entries for " + rows + " rows");
      }
      return mask;
    }
    boolean[] all = new boolean[rows];
    java.util.Arrays.fill(all, true);
    return all;
  }
}
