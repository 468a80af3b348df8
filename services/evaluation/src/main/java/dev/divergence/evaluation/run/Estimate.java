package dev.divergence.evaluation.run;

import dev.divergence.math.stats.RunningStatistics;

/**
 * A mean over {@code n} units (prompts, tokens, samples: each metric says which) with a two-sided
 * Student-t confidence interval; the bounds are null below two units, the mean null without any
 * (JSON and the results column hold no NaN).
 */
public record Estimate(Double mean, Double lower, Double upper, long n) {

  public static Estimate of(RunningStatistics statistics, double level) {
    if (statistics.count() == 0) {
      return new Estimate(null, null, null, 0);
    }
    if (statistics.count() < 2) {
      return new Estimate(statistics.mean(), null, null, statistics.count());
    }
    RunningStatistics.Interval interval = statistics.confidenceInterval(level);
    return new Estimate(statistics.mean(), interval.lower(), interval.upper(), statistics.count());
  }

  public static Estimate of(double[] values, double level) {
    RunningStatistics statistics = new RunningStatistics();
    for (double value : values) {
      statistics.add(value);
    }
    return of(statistics, level);
  }

  /**
   * The same estimate with its interval cut to the range the quantity can take (a rate in [0, 1]: a
   * Student-t interval over 0/1 outcomes can reach below 0 or above 1).
   */
  public Estimate within(double min, double max) {
    return new Estimate(mean, lower == null ? null : Math.max(min, lower), upper == null ? null : Math.min(max, upper), n);
  }

  /** A value without sampling error (e.g. a corpus-level count ratio). */
  public static Estimate exact(double value, long n) {
    return new Estimate(value, null, null, n);
  }
}
