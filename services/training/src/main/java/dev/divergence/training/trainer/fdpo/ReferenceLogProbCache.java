package dev.divergence.training.trainer.fdpo;

import ai.djl.ndarray.NDManager;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.model.lm.LogProbs;
import dev.divergence.training.trainer.data.LmEncoding;
import dev.divergence.training.trainer.data.PreferenceExample;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The frozen reference's sequence log-probs log pi_ref(y|x) of chosen and rejected answers, computed
 * once per example and kept (TRL's precompute_ref_log_probs, done lazily: an example is scored the
 * first time a batch holds it, so short runs never score the whole dataset).
 */
final class ReferenceLogProbCache {

  private final LlamaModel reference;
  private final LmEncoding encoding;
  private final Map<Integer, double[]> cache = new HashMap<>();
  private long hits;
  private long misses;

  ReferenceLogProbCache(LlamaModel reference, LmEncoding encoding) {
    this.reference = reference;
    this.encoding = encoding;
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
      List<long[]> prompts = new ArrayList<>();
      List<long[]> continuations = new ArrayList<>();
      for (int row : missing) {
        PreferenceExample example = data.get(row);
        long[] prompt = encoding.prompt(example.prompt());
        prompts.add(prompt);
        prompts.add(prompt);
        continuations.add(completion(prompt, example.prompt(), example.chosen()));
        continuations.add(completion(prompt, example.prompt(), example.rejected()));
      }
      List<float[]> scores = LogProbs.continuations(reference, manager, prompts, continuations);
      for (int i = 0; i < missing.size(); i++) {
        cache.put(missing.get(i), new double[] {sum(scores.get(2 * i)), sum(scores.get(2 * i + 1))});
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

  private long[] completion(long[] promptTokens, String prompt, String answer) {
    long[] full = encoding.full(prompt, answer);
    return java.util.Arrays.copyOfRange(full, promptTokens.length, full.length);
  }

  double hitRate() {
    return hits + misses == 0 ? 0 : (double) hits / (hits + misses);
  }

  private static double sum(float[] values) {
    double s = 0;
    for (float v : values) {
      s += v;
    }
    return s;
  }
}
