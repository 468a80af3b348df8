package dev.divergence.training.claims;

import dev.divergence.math.stats.RunningStatistics;
import dev.divergence.training.trainer.fdpg.BatchSampler;
import java.util.LinkedHashMap;
import java.util.Map;

/** What the language-model claims benches report per seed and over seeds. */
final class ClaimStatistics {

  static final double LEVEL = 0.95;

  private ClaimStatistics() {
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
