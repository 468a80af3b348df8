package dev.divergence.training.trainer.fdpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.training.trainer.data.LmEncoding;
import dev.divergence.training.trainer.data.PreferenceExample;
import dev.divergence.training.trainer.data.SequenceBatch;
import dev.divergence.training.trainer.loss.ChunkedHeadLoss;
import java.util.ArrayList;
import java.util.List;

/**
 * B preference pairs as one batch of 2B sequences (the B chosen, then the B rejected), each
 * prompt + answer + EOS; only the answer tokens count in the sequence log-probs.
 */
record PreferenceBatch(SequenceBatch sequences, int pairs) {

  static PreferenceBatch of(List<PreferenceExample> data, int[] rows, LmEncoding encoding, int context) {
    List<long[]> sequences = new ArrayList<>();
    int[] starts = new int[2 * rows.length];
    for (int half = 0; half < 2; half++) {
      for (int i = 0; i < rows.length; i++) {
        PreferenceExample example = data.get(rows[i]);
        sequences.add(encoding.full(example.prompt(), half == 0 ? example.chosen() : example.rejected()));
        starts[half * rows.length + i] = encoding.prompt(example.prompt()).length;
      }
    }
    return new PreferenceBatch(SequenceBatch.of(sequences, starts, context), rows.length);
  }

  /** What the policy's forward pass gives: sequence log-probs [2B] (differentiable) and the answers' mean token entropy. */
  record Scores(NDArray logProbs, double entropy) {}

  Scores score(LlamaModel model, NDManager manager) {
    SequenceBatch s = sequences;
    NDArray ids = s.idsArray(manager);
    // the head only on the rows that predict a token: slicing [B, T, V] logits instead would copy
    // them forward and back (a zero-filled [B, T, V] gradient)
    NDArray logits = model.lmHead(s.predictionRows(model.hiddenStates(ids, s.maskArray(manager))));
    NDArray logSoftmax = logits.logSoftmax(-1);
    NDArray targets = manager.create(s.targets(), new Shape(s.targets().length, 1));
    NDArray tokenLogProbs = logSoftmax.gather(targets, 1).squeeze(1);
    NDArray counted = manager.create(asFloats(s.targetMask()));
    NDArray perSequence = tokenLogProbs.mul(counted).reshape(s.batch(), s.length() - 1).sum(new int[] {1});
    NDArray frozen = logSoftmax.stopGradient();
    NDArray entropy = frozen.exp().mul(frozen).sum(new int[] {1}).neg();
    double meanEntropy = entropy.mul(counted).sum().getFloat() / Math.max(1, s.countedTokens());
    return new Scores(perSequence, meanEntropy);
  }

  /**
   * Sequence log-probs of the answers without gradient (reference scores, evaluation), computed
   * chunk by chunk over positions from the model's final hidden states like the training loss: at
   * most {@code chunkRows} (capped by {@link ChunkedHeadLoss#chunkRows}) rows of logits at a time,
   * never [2B*(T-1), V].
   */
  double[] logProbs(LlamaModel model, NDManager manager, int chunkRows) {
    SequenceBatch s = sequences;
    NDArray head = ChunkedHeadLoss.headWeight(model);
    int vocab = Math.toIntExact(head.getShape().get(0));
    int chunk = ChunkedHeadLoss.chunkRows(chunkRows, vocab);
    int perSequence = s.length() - 1;
    boolean[] counted = s.targetMask();
    long[] targets = s.targets();
    double[] out = new double[s.batch()];
    try (NDManager m = manager.newSubManager()) {
      NDArray hidden = s.predictionRows(model.hiddenStates(s.idsArray(m), s.maskArray(m))).stopGradient();
      int rows = counted.length;
      for (int from = 0; from < rows; from += chunk) {
        int n = Math.min(chunk, rows - from);
        float[] logits = ChunkedHeadLoss.logits(n == rows ? hidden : hidden.get(from + ":" + (from + n)), head);
        for (int i = 0; i < n; i++) {
          int row = from + i;
          if (counted[row]) {
            out[row / perSequence] += logits[i * vocab + (int) targets[row]] - logSumExp(logits, i * vocab, vocab);
          }
        }
      }
    }
    return out;
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

  private static float[] asFloats(boolean[] mask) {
    float[] out = new float[mask.length];
    for (int i = 0; i < mask.length; i++) {
      out[i] = mask[i] ? 1f : 0f;
    }
    return out;
  }
}
