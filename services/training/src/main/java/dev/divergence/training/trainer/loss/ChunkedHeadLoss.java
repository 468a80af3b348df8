package dev.divergence.training.trainer.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import dev.divergence.model.lm.LlamaModel;

/**
 * A loss over the rows of a language model's logits computed chunk by chunk from the final hidden
 * states, so that the [N, V] logits (and the teacher's) never exist at once.
 *
 * <p>Each chunk of rows is projected through the head outside the autograd graph, its loss and
 * exact gradient {@code g} w.r.t. those logits come from the host (libs/divergence), and the
 * chain rule through the head is applied right away: {@code dL/dh = g W} and {@code dL/dW += g^T h}.
 * The graph only receives the surrogate {@code sum(h * stop(dL/dh)) + sum(W * stop(dL/dW))} (value
 * replaced by the loss), whose gradients w.r.t. the hidden states and the head weight are exactly
 * those of the unchunked loss, so back-propagation continues into the body of the model. Nothing of
 * a chunk is kept after it is done: peak memory for the loss is one chunk of student logits plus
 * its gradient (and the teacher's chunk), about {@code 3 * chunk * V * 4} bytes on each of the
 * native and Java heaps, plus {@code dL/dh} [N, H] and {@code dL/dW} [V, H] (the size of the head's
 * own gradient). No recomputation in backward is needed because the gradient w.r.t. the logits is
 * known in closed form when the chunk is computed.
 */
public final class ChunkedHeadLoss {

  /** Rows per chunk unless configured otherwise. */
  public static final int DEFAULT_CHUNK_ROWS = 1024;
  /** Upper bound of logits floats per chunk (16 MiB of float32), whatever the configured rows. */
  static final long MAX_CHUNK_FLOATS = 4L << 20;

  /** The loss of one chunk of rows. */
  @FunctionalInterface
  public interface ChunkLoss {
    /**
     * @param from first row of the chunk
     * @param rows rows in the chunk
     * @param studentLogits [rows, V], row-major
     * @param gradient [rows, V] to fill with d(total loss)/d(studentLogits) for these rows
     * @return this chunk's contribution to the total loss
     */
    double compute(int from, int rows, float[] studentLogits, float[] gradient);
  }

  private ChunkedHeadLoss() {
  }

  /** Rows per chunk: the configured count, fewer when chunk x V floats would pass {@link #MAX_CHUNK_FLOATS}. */
  public static int chunkRows(int configured, int vocab) {
    return (int) Math.max(1, Math.min(configured, MAX_CHUNK_FLOATS / vocab));
  }

  /** A language model's head weight [V, H]: lm_head, or the token embedding when tied. */
  public static NDArray headWeight(LlamaModel model) {
    return model.parameters().get(model.config().tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight");
  }

  /**
   * Mean next-token cross-entropy over the kept rows, chunked: what {@link CrossEntropyMix#crossEntropy}
   * computes on full logits, from hidden states [N, H] and the head [V, H].
   */
  public static NDArray crossEntropy(NDArray hidden, NDArray head, boolean[] rowMask, long[] labels, int chunkRows) {
    int rows = Math.toIntExact(hidden.getShape().get(0));
    int vocab = Math.toIntExact(head.getShape().get(0));
    boolean[] mask = Surrogates.allRows(rowMask, rows);
    int kept = 0;
    for (boolean k : mask) {
      kept += k ? 1 : 0;
    }
    double weight = 1.0 / Math.max(kept, 1);
    return compute(hidden, head, chunkRows(chunkRows, vocab), (from, n, logits, gradient) ->
        CrossEntropyMix.crossEntropyChunk(logits, n, vocab, java.util.Arrays.copyOfRange(mask, from, from + n),
            java.util.Arrays.copyOfRange(labels, from, from + n), weight, gradient));
  }

  /** Logits of {@code hidden} [n, H] through {@code head} [V, H] as a host array, outside any graph. */
  public static float[] logits(NDArray hidden, NDArray head) {
    try (NDArray out = Linear.linear(hidden.stopGradient(), head.stopGradient()).singletonOrThrow()) {
      return out.toFloatArray();
    }
  }

  /**
   * @param hidden [N, H] hidden states of the rows, differentiable
   * @param head [V, H] the LM head weight (the embedding when tied), differentiable
   * @param chunkRows rows per chunk (see {@link #chunkRows})
   * @return a scalar with the summed chunk losses as value and their exact gradients
   */
  public static NDArray compute(NDArray hidden, NDArray head, int chunkRows, ChunkLoss loss) {
    NDManager manager = hidden.getManager();
    int rows = Math.toIntExact(hidden.getShape().get(0));
    int vocab = Math.toIntExact(head.getShape().get(0));
    NDArray h = hidden.stopGradient();
    NDArray w = head.stopGradient();
    NDList hiddenGradients = new NDList();
    NDArray headGradient = null;
    double value = 0;
    for (int from = 0; from < rows; from += chunkRows) {
      int n = Math.min(chunkRows, rows - from);
      try (NDManager chunk = manager.newSubManager()) {
        NDArray hc = h;
        if (n < rows) {
          hc = h.get(from + ":" + (from + n));
          hc.attach(chunk);
        }
        float[] studentLogits = logits(hc, w);
        float[] g = new float[n * vocab];
        value += loss.compute(from, n, studentLogits, g);
        NDArray gc = chunk.create(g, new Shape(n, vocab));
        NDArray dh = gc.matMul(w);
        dh.attach(manager);
        hiddenGradients.add(dh);
        NDArray dw = gc.transpose().matMul(hc);
        if (headGradient == null) {
          dw.attach(manager);
          headGradient = dw;
        } else {
          headGradient.addi(dw);
        }
      }
    }
    if (headGradient == null) {
      return hidden.sum().mul(0f);
    }
    NDArray dHidden = hiddenGradients.size() == 1 ? hiddenGradients.head() : NDArrays.concat(hiddenGradients);
    NDArray linear = hidden.mul(dHidden).sum().add(head.mul(headGradient).sum());
    return linear.sub(linear.stopGradient()).add((float) value);
  }
}
