package dev.divergence.training.trainer.loss;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import dev.divergence.model.DjlRuntime;
import dev.divergence.training.trainer.Float32Tolerance;
import dev.divergence.training.trainer.TestRun;
import dev.divergence.training.trainer.common.GradientRecording;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.assertj.core.data.Offset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Chunked next-token cross-entropy equals the full-logits one: value 1e-6, gradients w.r.t. hidden states and head 1e-5. */
class ChunkedHeadLossTest {

  @ParameterizedTest
  @ValueSource(ints = {1, 7, 40, 1024})
  void chunkedCrossEntropyEqualsTheFullLogitsOne(int chunkRows) {
    TestRun.builtIns();
    int rows = 40;
    int hiddenSize = 16;
    int vocab = 50;
    SplittableRandom random = new SplittableRandom(chunkRows);
    float[] h = new float[rows * hiddenSize];
    float[] w = new float[vocab * hiddenSize];
    for (int i = 0; i < h.length; i++) {
      h[i] = (float) random.nextGaussian();
    }
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (0.5 * random.nextGaussian());
    }
    long[] labels = new long[rows];
    boolean[] mask = new boolean[rows];
    for (int r = 0; r < rows; r++) {
      labels[r] = random.nextInt(vocab);
      mask[r] = r % 5 != 2;
    }
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
         GradientRecording recording = new GradientRecording()) {
      NDArray hidden = m.create(h, new Shape(rows, hiddenSize));
      NDArray head = m.create(w, new Shape(vocab, hiddenSize));
      hidden.setRequiresGradient(true);
      head.setRequiresGradient(true);
      double full = backward(recording, () ->
          CrossEntropyMix.crossEntropy(Linear.linear(hidden, head).singletonOrThrow(), mask, labels));
      float[][] fullGradients = {hidden.getGradient().toFloatArray(), head.getGradient().toFloatArray()};
      hidden.getGradient().subi(hidden.getGradient());
      head.getGradient().subi(head.getGradient());
      double chunked = backward(recording, () -> ChunkedHeadLoss.crossEntropy(hidden, head, mask, labels, chunkRows));
      float[][] chunkedGradients = {hidden.getGradient().toFloatArray(), head.getGradient().toFloatArray()};

      // Tolerances from the computation (Float32Tolerance): in float64, the logits z = h W^T, their
      // magnitudes A_rv = sum_j |h_rj w_vj| and the gradient g = (softmax(z) - onehot) / kept. The two sides
      // differ by float32 rounding: of the logits (H terms, |error| <= H eps32 A), which moves softmax by up
      // to 2 H eps32 max A relative; of the log-sum-exp and the softmax (V terms); and of the contraction
      // itself (dh = g W: V terms, dW = g^T h: N terms). S is the contraction's sum of |terms|.
      int kept = 0;
      for (boolean k : mask) {
        kept += k ? 1 : 0;
      }
      double maxA = 0;
      double[] g = new double[rows * vocab];
      for (int r = 0; r < rows; r++) {
        double[] z = new double[vocab];
        double zMax = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
          double a = 0;
          for (int j = 0; j < hiddenSize; j++) {
            z[v] += (double) h[r * hiddenSize + j] * w[v * hiddenSize + j];
            a += Math.abs((double) h[r * hiddenSize + j] * w[v * hiddenSize + j]);
          }
          maxA = Math.max(maxA, a);
          zMax = Math.max(zMax, z[v]);
        }
        double sum = 0;
        for (int v = 0; v < vocab; v++) {
          sum += Math.exp(z[v] - zMax);
        }
        for (int v = 0; v < vocab && mask[r]; v++) {
          g[r * vocab + v] = (Math.exp(z[v] - zMax) / sum - (v == labels[r] ? 1 : 0)) / kept;
        }
      }
      double[] hiddenMagnitude = new double[rows * hiddenSize];
      double[] headMagnitude = new double[vocab * hiddenSize];
      for (int r = 0; r < rows; r++) {
        for (int v = 0; v < vocab; v++) {
          for (int j = 0; j < hiddenSize; j++) {
            hiddenMagnitude[r * hiddenSize + j] += Math.abs(g[r * vocab + v] * w[v * hiddenSize + j]);
            headMagnitude[v * hiddenSize + j] += Math.abs(g[r * vocab + v] * h[r * hiddenSize + j]);
          }
        }
      }
      long reductions = rows + vocab + (long) Math.ceil(2 * hiddenSize * maxA);
      // the loss: a mean of non-negative cross-entropies, so its terms' magnitudes sum to the loss itself
      assertThat(chunked).isCloseTo(full, Offset.offset(2 * Float32Tolerance.EPS32 * reductions * full));
      assertThat(full).isGreaterThan(1.0);
      Float32Tolerance.assertGradientsClose(
          Map.of("hidden", fullGradients[0], "head", fullGradients[1]),
          Map.of("hidden", chunkedGradients[0], "head", chunkedGradients[1]),
          Map.of("hidden", hiddenMagnitude, "head", headMagnitude), reductions, null);
      // masked rows get no gradient
      assertThat(chunkedGradients[0][2 * hiddenSize]).isZero();
      assertThat(fullGradients[0][hiddenSize + 1]).isNotZero();
    }
  }

  private static double backward(GradientRecording recording, Supplier<NDArray> loss) {
    return recording.backward(loss);
  }
}
