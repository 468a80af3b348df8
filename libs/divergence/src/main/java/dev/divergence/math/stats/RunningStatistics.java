package dev.divergence.math.stats;

import dev.divergence.math.Checks;
import org.apache.commons.statistics.distribution.TDistribution;

/**
 * Streaming mean and variance of per-row values (per-token losses, per-example divergences) over
 * any number of batches, with Welford's update and Chan et al.'s merge so that partial results from
 * several threads or workers combine exactly. Not thread-safe: give each thread its own and
 * {@link #merge} them.
 */
public final class RunningStatistics {

    private long count;
    private double mean;
    private double m2; // sum of squared deviations from the mean
    private double min = Double.POSITIVE_INFINITY;
    private double max = Double.NEGATIVE_INFINITY;

    /** Adds one value; non-finite values are rejected (an evaluation must not average an inf away). */
    public RunningStatistics add(double value) {
        if (!Double.isFinite(value)) {
            throw Checks.badAt("value", count, "must be finite but is " + value);
        }
        count++;
        double delta = value - mean;
        mean += delta / count;
        m2 += delta * (value - mean);
        min = Math.min(min, value);
        max = Math.max(max, value);
        return this;
    }

    /** Adds every value of a batch; the index in the message is the position within the batch. */
    public RunningStatistics addAll(double[] values) {
        Checks.notNull(values, "values");
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw Checks.badAt("values", i, "must be finite but is " + values[i]);
            }
        }
        for (double v : values) {
            add(v);
        }
        return this;
    }

    /** Combines another accumulator into this one (order-independent up to round-off). */
    public RunningStatistics merge(RunningStatistics other) {
        Checks.notNull(other, "other");
        if (other.count == 0) {
            return this;
        }
        if (count == 0) {
            count = other.count;
            mean = other.mean;
            m2 = other.m2;
            min = other.min;
            max = other.max;
            return this;
        }
        long total = count + other.count;
        double delta = other.mean - mean;
        mean += delta * other.count / total;
        m2 += other.m2 + delta * delta * ((double) count * other.count / total);
        count = total;
        min = Math.min(min, other.min);
        max = Math.max(max, other.max);
        return this;
    }

    public long count() {
        return count;
    }

    public double mean() {
        return count == 0 ? Double.NaN : mean;
    }

    /** Unbiased sample variance (n - 1); NaN below two values. */
    public double variance() {
        return count < 2 ? Double.NaN : m2 / (count - 1);
    }

    public double standardDeviation() {
        return Math.sqrt(variance());
    }

    /** Standard error of the mean, s / sqrt(n). */
    public double standardError() {
        return Math.sqrt(variance() / count);
    }

    public double min() {
        return min;
    }

    public double max() {
        return max;
    }

    /** A two-sided interval for the mean. */
    public record Interval(double lower, double upper, double level) {
    }

    /**
     * Student-t confidence interval for the mean (exact for normal data, asymptotically valid otherwise); the
     * t quantile comes from Apache Commons Statistics.
     */
    public Interval confidenceInterval(double level) {
        if (!(level > 0 && level < 1)) {
            throw Checks.bad("level", "must be in (0, 1) but is " + level);
        }
        if (count < 2) {
            throw Checks.bad("count", "a confidence interval needs at least 2 values but has " + count);
        }
        // upper (1 + level) / 2 quantile as the survival function's inverse at (1 - level) / 2: exact in
        // double for levels near 1, where 0.5 + level / 2 would round away the tail probability
        double t = TDistribution.of(count - 1).inverseSurvivalProbability((1 - level) / 2);
        double half = t * standardError();
        return new Interval(mean - half, mean + half, level);
    }
}
