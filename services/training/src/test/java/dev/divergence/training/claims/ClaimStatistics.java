package dev.divergence.training.claims;

import dev.divergence.math.stats.RunningStatistics;
import dev.divergence.training.trainer.fdpg.BatchSampler;
import java.util.LinkedHashMap;
import java.util.Locale;
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

  /** A {@link #summary} as a table cell: mean [lower, upper] with {@code digits} decimals; a dash when not measured. */
  @SuppressWarnings("unchecked")
  static String cell(Object summary, int digits) {
    Map<String, Object> s = (Map<String, Object>) summary;
    if (!Double.isFinite((Double) s.get("mean"))) {
      return "—";
    }
    String f = "%." + digits + "f";
    return String.format(Locale.ROOT, f + " [" + f + ", " + f + "]", s.get("mean"), s.get("lower"), s.get("upper"));
  }

  /** A row's divergence as the tables name it: Amari alpha with the order the studies use. */
  static String divergenceLabel(Map<String, Object> row) {
    return "alpha".equals(row.get("divergence")) ? "alpha (0.5)" : (String) row.get("divergence");
  }
}
