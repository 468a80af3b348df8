package dev.divergence.training.trainer.fdpg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.generation.GenerationConfig;
import dev.divergence.model.generation.Sampler;
import dev.divergence.model.lm.KvCache;
import dev.divergence.model.lm.LlamaModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Draws n samples continuing one prompt with libs/model's KV cache holding all n rows: one prefill
 * of the prompt repeated n times, then one forward of [n, 1] tokens per position for every row at
 * once (rows that have ended keep stepping with their end token, which is ignored), so a step of n
 * samples costs as many forwards as one sample. Each row picks its tokens with libs/model's
 * {@link Sampler}, seeded per row, and records the log-probability of each pick under the
 * distribution it was drawn from (temperature applied): the proposal's density for importance
 * weights.
 */
public final class BatchSampler {

  private BatchSampler() {
  }

  /**
   * @param tokens per sample, the generated tokens, the end token included when the sample ended with it
   * @param lengths per sample, the token count without the end token
   * @param logProposal per sample, the summed log-probabilities of its picks under the sampled distribution
   */
  public record Samples(List<long[]> tokens, int[] lengths, double[] logProposal) {

    public int size() {
      return tokens.size();
    }

    /** distinct-n: distinct n-grams over all n-grams of the samples (end token excluded); 0 when there are none. */
    public double distinct(int order) {
      Set<List<Long>> seen = new HashSet<>();
      int total = 0;
      for (int i = 0; i < size(); i++) {
        long[] t = tokens.get(i);
        for (int j = 0; j + order <= lengths[i]; j++) {
          List<Long> gram = new ArrayList<>(order);
          for (int k = 0; k < order; k++) {
            gram.add(t[j + k]);
          }
          seen.add(gram);
          total++;
        }
      }
      return total == 0 ? 0 : (double) seen.size() / total;
    }
  }

  /**
   * @param seeds one sampler seed per sample (its count is the number of samples)
   * @param maxNewTokens at most this many tokens per sample; fewer when the context ends first
   */
  public static Samples sample(LlamaModel model, NDManager parent, long[] prompt, long[] seeds, int maxNewTokens,
      double temperature) {
    int n = seeds.length;
    int vocab = model.config().vocabSize();
    int room = Math.max(0, Math.min(maxNewTokens, model.config().maxPositionEmbeddings() - prompt.length));
    Set<Long> stop = new HashSet<>();
    model.config().eosTokenIds().forEach(id -> stop.add(id.longValue()));
    Sampler[] samplers = new Sampler[n];
    for (int i = 0; i < n; i++) {
      samplers[i] = new Sampler(GenerationConfig.sampling(Math.max(room, 1), temperature, 0, 1.0, seeds[i]));
    }
    long[][] out = new long[n][room];
    int[] produced = new int[n];
    boolean[] ended = new boolean[n];
    double[] logProposal = new double[n];
    try (NDManager m = parent.newSubManager(); KvCache cache = new KvCache(m, model.config().numLayers(), n)) {
      float[] logits = null;
      if (room > 0) {
        long[] ids = new long[n * prompt.length];
        for (int i = 0; i < n; i++) {
          System.arraycopy(prompt, 0, ids, i * prompt.length, prompt.length);
        }
        try (NDManager step = m.newSubManager()) {
          NDArray all = model.forward(step.create(ids, new Shape(n, prompt.length)), null, cache);
          logits = all.get(":, -1, :").toFloatArray();
        }
      }
      for (int position = 0; position < room; position++) {
        long[] next = new long[n];
        boolean anyLive = false;
        for (int i = 0; i < n; i++) {
          if (ended[i]) {
            next[i] = out[i][produced[i] - 1];
            continue;
          }
          Sampler.Choice choice = samplers[i].choose(Arrays.copyOfRange(logits, i * vocab, (i + 1) * vocab));
          out[i][produced[i]++] = choice.token();
          logProposal[i] += choice.logProb();
          next[i] = choice.token();
          ended[i] = stop.contains(choice.token());
          anyLive |= !ended[i];
        }
        if (!anyLive || position == room - 1) {
          break;
        }
        try (NDManager step = m.newSubManager()) {
          logits = model.forward(step.create(next, new Shape(n, 1)), null, cache).toFloatArray();
        }
      }
    }
    List<long[]> tokens = new ArrayList<>(n);
    int[] lengths = new int[n];
    for (int i = 0; i < n; i++) {
      tokens.add(Arrays.copyOf(out[i], produced[i]));
      lengths[i] = ended[i] ? produced[i] - 1 : produced[i];
    }
    return new Samples(tokens, lengths, logProposal);
  }
}
