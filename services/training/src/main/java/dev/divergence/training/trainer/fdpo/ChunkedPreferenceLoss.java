package dev.divergence.training.trainer.fdpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.divergence.training.trainer.data.SequenceBatch;
import dev.divergence.training.trainer.loss.ChunkedHeadLoss;
import dev.divergence.training.trainer.loss.FDpoLoss;

/**
 * The f-DPO loss of a preference batch computed chunk by chunk over positions from the policy's
 * final hidden states, never holding [2B*(T-1), V] logits. Two passes over the chunks: the first
 * gives every answer token's log-probability (and the entropy metric) on the host, hence the
 * sequence log-probs and, in closed form ({@link FDpoLoss#sequenceGradient}), dLoss/d(sequence
 * log-prob) c_b; the second recomputes each chunk's logits and applies the chain rule through the
 * head, d/dz = c_b (onehot(target) - softmax(z)) on counted rows ({@link ChunkedHeadLoss}). The price
 * of the memory bound is one more head projection per chunk.
 */
final class ChunkedPreferenceLoss {

  /** The loss (value and exact gradients) and what the metrics need. */
  record Result(NDArray loss, FDpoLoss.Result constants, float[] policyChosen, float[] policyRejected, double entropy) {}

  private ChunkedPreferenceLoss() {
  }

  /**
   * @param hidden [2B*(T-1), H] prediction rows of the policy's hidden states, differentiable
   * @param head [V, H] the policy's head weight
   * @param referenceChosen [B] cached reference log-probs of the chosen answers
   */
  static Result compute(FDpoLoss loss, NDArray hidden, NDArray head, SequenceBatch s, int pairs, double[] referenceChosen,
      double[] referenceRejected, int chunkRows) {
    int rows = Math.toIntExact(hidden.getShape().get(0));
    int vocab = Math.toIntExact(head.getShape().get(0));
    int perSequence = s.length() - 1;
    boolean[] counted = s.targetMask();
    long[] targets = s.targets();
    int chunk = ChunkedHeadLoss.chunkRows(chunkRows, vocab);
    double[] sequences = new double[s.batch()];
    double entropy = 0;
    for (int from = 0; from < rows; from += chunk) {
      int n = Math.min(chunk, rows - from);
      float[] logits = ChunkedHeadLoss.logits(n == rows ? hidden : hidden.get(from + ":" + (from + n)), head);
      for (int i = 0; i < n; i++) {
        int row = from + i;
        if (!counted[row]) {
          continue;
        }
        double logZ = logSumExp(logits, i * vocab, vocab);
        sequences[row / perSequence] += logits[i * vocab + (int) targets[row]] - logZ;
        for (int v = 0; v < vocab; v++) {
          double lp = logits[i * vocab + v] - logZ;
          entropy -= Math.exp(lp) * lp;
        }
      }
    }
    double[] chosen = java.util.Arrays.copyOfRange(sequences, 0, pairs);
    double[] rejected = java.util.Arrays.copyOfRange(sequences, pairs, 2 * pairs);
    double[] perSequenceGradient = loss.sequenceGradient(chosen, rejected, referenceChosen, referenceRejected);
    NDManager m = hidden.getManager();
    float[] chosenF = floats(chosen);
    float[] rejectedF = floats(rejected);
    FDpoLoss.Result constants = loss.compute(m.create(chosenF), m.create(rejectedF), m.create(floats(referenceChosen)),
        m.create(floats(referenceRejected)));
    NDArray surrogate = ChunkedHeadLoss.compute(hidden, head, chunk, (from, n, logits, gradient) -> {
      for (int i = 0; i < n; i++) {
        int row = from + i;
        if (!counted[row]) {
          continue;
        }
        double c = perSequenceGradient[row / perSequence];
        int base = i * vocab;
        double logZ = logSumExp(logits, base, vocab);
        for (int v = 0; v < vocab; v++) {
          gradient[base + v] = (float) (-c * Math.exp(logits[base + v] - logZ));
        }
        gradient[base + (int) targets[row]] += (float) c;
      }
      return 0;
    });
    NDArray value = surrogate.add(constants.loss().getFloat());
    return new Result(value, constants, chosenF, rejectedF, entropy / Math.max(1, s.countedTokens()));
  }

  private static double logSumExp(float[] logits, int base, int vocab) {
    double max = Double.NEGATIVE_INFINITY;
    for (int v = 0; v < vocab; v++) {
      max = Math.max(max, logits[base + v]);
    }
    double sum = 0;
    for (int v = 0; v < vocab; v++) {
      sum += Math.exp(logits[base + v] - max);
    }
    return max + Math.log(sum);
  }

  private static float[] floats(double[] values) {
    float[] out = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (float) values[i];
    }
    return out;
  }
}
