package dev.divergence.training.trainer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.divergence.model.DjlRuntime;
import java.nio.file.Path;
import java.util.function.Function;

/** DJL for tests: offline libtorch unpacked under target/, managers, autograd and finite differences. */
public final class Djl {

  private Djl() {
  }

  public static NDManager manager() {
    DjlRuntime.configure(Path.of("target", "djl-cache"));
    return NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
  }

  /** The value of {@code f} at {@code x} [rows, cols]. */
  public static double value(NDManager m, Function<NDArray, NDArray> f, float[] x, int rows, int cols) {
    try (NDManager sub = m.newSubManager()) {
      return f.apply(sub.create(x, new Shape(rows, cols))).getFloat();
    }
  }

  /** d f / d x by DJL autograd. */
  public static float[] gradient(NDManager m, Function<NDArray, NDArray> f, float[] x, int rows, int cols) {
    try (NDManager sub = m.newSubManager()) {
      NDArray input = sub.create(x, new Shape(rows, cols));
      input.setRequiresGradient(true);
      try (GradientCollector collector = DjlRuntime.engine().newGradientCollector()) {
        collector.backward(f.apply(input));
      }
      return input.getGradient().toFloatArray();
    }
  }

  /** Central differences of {@code f} (evaluated in float32 by DJL). */
  public static double[] finiteDifferences(NDManager m, Function<NDArray, NDArray> f, float[] x, int rows, int cols, float h) {
    double[] out = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      float[] plus = x.clone();
      float[] minus = x.clone();
      plus[i] += h;
      minus[i] -= h;
      out[i] = (value(m, f, plus, rows, cols) - value(m, f, minus, rows, cols)) / (2 * h);
    }
    return out;
  }
}
