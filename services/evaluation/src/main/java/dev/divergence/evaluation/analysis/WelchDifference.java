package dev.divergence.evaluation.analysis;

import dev.divergence.evaluation.run.Estimate;
import org.apache.commons.statistics.distribution.TDistribution;

/**
 * The difference b - a of two independent means, each known only as a stored {@link Estimate}
 * (mean, two-sided Student-t interval at its run's level, n), with Welch's interval.
 *
 * <p>Conversion: a run's interval is mean ± t(n - 1) · s / √n with t(n - 1) the upper (1 + level) / 2
 * quantile of Student's t with n - 1 degrees of freedom, so its standard error is
 * se = ((upper - lower) / 2) / t(n - 1). Welch: se_d = √(se_a² + se_b²), degrees of freedom
 * ν = (se_a² + se_b²)² / (se_a⁴ / (n_a - 1) + se_b⁴ / (n_b - 1)) (Welch–Satterthwaite; se² = s² / n),
 * interval (b - a) ± t(ν) · se_d at the requested level.
 *
 * <p>No interval when either side has n &lt; 2 or no interval of its own (an exact count ratio); when
 * both standard errors are 0 (two constant samples) the interval is the point itself.
 */
public record WelchDifference(
    double difference, Double lower, Double upper, Double standardError, Double degreesOfFreedom, Boolean excludesZero,
    String note) {

  /**
   * @param levelA the two-sided level a's interval was computed at (its run's confidence level)
   * @param levelB the same for b
   * @param level the level of the difference's interval
   */
  public static WelchDifference of(Estimate a, Estimate b, double levelA, double levelB, double level) {
    if (a.mean() == null || b.mean() == null) {
      throw new IllegalArgumentException("both estimates need a mean");
    }
    double difference = b.mean() - a.mean();
    if (a.n() < 2 || b.n() < 2) {
      return new WelchDifference(difference, null, null, null, null, null, "no interval: n < 2 on "
          + (a.n() < 2 && b.n() < 2 ? "both sides" : a.n() < 2 ? "a" : "b"));
    }
    if (a.lower() == null || a.upper() == null || b.lower() == null || b.upper() == null) {
      return new WelchDifference(difference, null, null, null, null, null,
          "no interval: an estimate without an interval of its own (an exact value)");
    }
    double varianceA = square(standardError(a, levelA));
    double varianceB = square(standardError(b, levelB));
    double variance = varianceA + varianceB;
    if (variance == 0) {
      return new WelchDifference(difference, difference, difference, 0.0, null, difference != 0,
          "both samples constant: the interval is the point");
    }
    double degrees = variance * variance
        / (varianceA * varianceA / (a.n() - 1) + varianceB * varianceB / (b.n() - 1));
    double standardError = Math.sqrt(variance);
    double half = upperQuantile(degrees, level) * standardError;
    double lower = difference - half;
    double upper = difference + half;
    return new WelchDifference(difference, lower, upper, standardError, degrees, lower > 0 || upper < 0, null);
  }

  /** The standard error behind a stored two-sided Student-t interval at {@code level} over n units. */
  static double standardError(Estimate estimate, double level) {
    return (estimate.upper() - estimate.lower()) / 2 / upperQuantile(estimate.n() - 1, level);
  }

  /** The upper (1 + level) / 2 quantile, as the survival function's inverse at (1 - level) / 2 (as RunningStatistics). */
  static double upperQuantile(double degreesOfFreedom, double level) {
    return TDistribution.of(degreesOfFreedom).inverseSurvivalProbability((1 - level) / 2);
  }

  private static double square(double value) {
    return value * value;
  }
}
