package dev.divergence.training.trainer.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * Token sequences right-padded into one batch [B, T], with the next-token targets flattened to
 * B*(T-1) rows: row (b, t) predicts token t+1 of sequence b and counts ({@link #targetMask()}) when
 * that token is real and at or after the sequence's loss start (prompt tokens are context only).
 */
public record SequenceBatch(int batch, int length, long[] ids, long[] mask, long[] targets, boolean[] targetMask, int countedTokens) {

  /**
   * @param sequences token ids, each starting with BOS
   * @param lossStarts per sequence, the index of the first token whose prediction counts (>= 1)
   * @param maxLength longer sequences are cut (the model's context)
   */
  public static SequenceBatch of(List<long[]> sequences, int[] lossStarts, int maxLength) {
    int batch = sequences.size();
    int length = 2;
    for (long[] s : sequences) {
      length = Math.max(length, Math.min(s.length, maxLength));
    }
    long[] ids = new long[batch * length];
    long[] mask = new long[batch * length];
    long[] targets = new long[batch * (length - 1)];
    boolean[] counted = new boolean[batch * (length - 1)];
    int tokens = 0;
    for (int b = 0; b < batch; b++) {
      long[] s = sequences.get(b);
      int n = Math.min(s.length, length);
      for (int t = 0; t < length; t++) {
        ids[b * length + t] = t < n ? s[t] : 0; // any valid id: padding is masked
        mask[b * length + t] = t < n ? 1 : 0;
      }
      for (int t = 0; t < length - 1; t++) {
        targets[b * (length - 1) + t] = ids[b * length + t + 1];
        boolean count = t + 1 < n && t + 1 >= Math.max(1, lossStarts[b]);
        counted[b * (length - 1) + t] = count;
        tokens += count ? 1 : 0;
      }
    }
    return new SequenceBatch(batch, length, ids, mask, targets, counted, tokens);
  }

  public NDArray idsArray(NDManager manager) {
    return manager.create(ids, new Shape(batch, length));
  }

  public NDArray maskArray(NDManager manager) {
    return manager.create(mask, new Shape(batch, length));
  }

  /** Logits [B, T, V] → the rows that predict the next token, [B*(T-1), V]. */
  public NDArray predictionRows(NDArray logits) {
    long vocab = logits.getShape().get(2);
    return logits.get(":, :-1, :").reshape(batch * (long) (length - 1), vocab);
  }

  /** Number of non-padding tokens (what tokens_per_second counts). */
  public long realTokens() {
    long n = 0;
    for (long m : mask) {
      n += m;
    }
    return n;
  }
}
