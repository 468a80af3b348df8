package dev.divergence.training.trainer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.divergence.model.io.Checkpoints;
import java.nio.file.Path;
import java.util.Map;

/** Compares the weights of two model folders. */
public final class Weights {

  private Weights() {
  }

  public static double maxAbsDifference(Path a, Path b) {
    try (NDManager m = Djl.manager()) {
      Map<String, NDArray> left = Checkpoints.load(m, a);
      Map<String, NDArray> right = Checkpoints.load(m, b);
      if (!left.keySet().equals(right.keySet())) {
        throw new AssertionError("different tensors: " + left.keySet() + " vs " + right.keySet());
      }
      double max = 0;
      for (String name : left.keySet()) {
        max = Math.max(max, left.get(name).sub(right.get(name)).abs().max().getFloat());
      }
      return max;
    }
  }
}
