package dev.divergence.training.trainer.fdpo;

import ai.djl.ndarray.NDManager;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.training.trainer.data.LmEncoding;
import dev.divergence.training.trainer.data.PreferenceExample;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The frozen reference's sequence log-probs log pi_ref(y|x) of chosen and rejected answers, computed
 * once per example and kept (TRL's precompute_ref_log_probs, done lazily: an example is scored the
 * first time a batch holds it, so short runs never score the whole dataset). The sequences are
 * built and cut to the context exactly as the policy's ({@link PreferenceBatch}), so the log-ratio
 * compares the same tokens.
 */
final class ReferenceLogProbCache {

  private final LlamaModel reference;
  private final LmEncoding encoding;
  private final int context;
  private final int chunkRows;
  private final Map<Integer, double[]> cache = new HashMap<>();
  private long hits;
  private long misses;

  /**
   * @param context the length the policy's sequences are cut to (the shorter context of policy and reference)
   * @param chunkRows positions per chunk of the reference's head (the loss-chunk-rows setting)
   */
  ReferenceLogProbCache(LlamaModel reference, LmEncoding encoding, int context, int chunkRows) {
    this.reference = reference;
    this.encoding = encoding;
    this.context = context;
    this.chunkRows = chunkRows;
  }

  /** {chosen[], rejected[]} for the examples {@code rows} of {@code data}. */
  double[][] get(List<PreferenceExample> data, int[] rows, NDManager manager) {
    List<Integer> missing = new ArrayList<>();
    for (int row : rows) {
      if (!cache.containsKey(row) && !missing.contains(row)) {
        missing.add(row);
      }
    }
    hits += rows.length - missing.size();
    misses += missing.size();
    if (!missing.isEmpty()) {
      int[] missingRows = missing.stream().mapToInt(Integer::intValue).toArray();
      double[] scores = PreferenceBatch.of(data, missingRows, encoding, context).logProbs(reference, manager, chunkRows);
      for (int i = 0; i < missingRows.length; i++) {
        cache.put(missingRows[i], new double[] {scores[i], scores[missingRows.length + i]});
      }
    }
    double[][] out = new double[2][rows.length];
    for (int i = 0; i < rows.length; i++) {
      double[] pair = cache.get(rows[i]);
      out[0][i] = pair[0];
      out[1][i] = pair[1];
    }
    return out;
  }

  double hitRate() {
    return hits + misses == 0 ? 0 : (double) hits / (hits + misses);
  }
}
