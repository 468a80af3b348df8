package dev.divergence.training.trainer.loss;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import dev.divergence.model.DjlRuntime;
import dev.divergence.training.trainer.TestRun;
import dev.divergence.training.trainer.common.GradientRecording;
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

      assertThat(chunked).isCloseTo(full, Offset.offset(1e-6));
      assertThat(full).isGreaterThan(1.0);
      for (int a = 0; a < 2; a++) {
        for (int i = 0; i < fullGradients[a].length; i++) {
          assertThat(chunkedGradients[a][i]).isCloseTo(fullGradients[a][i], Offset.offset(1e-5f));
        }
      }
      // masked rows get no gradient
      assertThat(chunkedGradients[0][2 * hiddenSize]).isZero();
      assertThat(fullGradients[0][hiddenSize + 1]).isNotZero();
    }
  }

  private static double backward(GradientRecording recording, Supplier<NDArray> loss) {
    return recording.backward(loss);
  }
}
