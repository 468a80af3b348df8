package dev.divergence.training.claims;

import dev.divergence.math.stats.RunningStatistics;
import dev.divergence.training.trainer.fdpg.BatchSampler;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** What the language-model claims benches report per seed and over seeds. */
final class ClaimStatistics {

  static final double LEVEL = 0.95;

  private ClaimStatistics() {
  }

  /** Distinct n-grams over all n-grams of one prompt's samples (end token excluded). */
  static double distinct(BatchSampler.Samples samples, int order) {
    Set<List<Long>> seen = new HashSet<>();
    int total = 0;
    for (int i = 0; i < samples.size(); i++) {
      long[] t = samples.tokens().get(i);
      for (int j = 0; j + order <= samples.lengths()[i]; j++) {
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

  /** Mean with its Student-t interval over seeds (the mean alone for one seed) and the per-seed values. */
  static Map<String, Object> summary(double[] values) {
    RunningStatistics stats = new RunningStatistics().addAll(values);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("mean", stats.mean());
    if (stats.count() >= 2) {
      RunningStatistics.Interval ci = stats.confidenceInterval(LEVEL);
      out.put("lower", ci.lower());
      out.put("upper", ci.upper());
    } else {
      out.put("lower", stats.mean());
      out.put("upper", stats.mean());
    }
    out.put("per_seed", values);
    return out;
  }
}
