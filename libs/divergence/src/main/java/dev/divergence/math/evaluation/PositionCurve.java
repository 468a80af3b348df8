package dev.divergence.math.evaluation;

import dev.divergence.math.Checks;
import dev.divergence.math.stats.RunningStatistics;

import java.util.ArrayList;
import java.util.List;

/**
 * Per-position curve of a per-token quantity (a divergence between two models at each generated position, a
 * loss) over a batch of sequences: at each position t, the mean over the sequences that reach t and a Student-t
 * confidence interval for it ({@link RunningStatistics#confidenceInterval}). Sequences may have different
 * lengths; position t aggregates only those longer than t, and its point says how many.
 */
public final class PositionCurve {

    private PositionCurve() {
    }

    /**
     * One position of the curve.
     *
     * @param position 0-based
     * @param count    sequences that reach this position
     * @param mean     their mean value
     * @param interval the confidence interval of the mean, or null where fewer than two sequences reach it
     */
    public record Point(int position, long count, double mean, RunningStatistics.Interval interval) {
    }

    /**
     * @param values one array per sequence of its per-position values (finite); at least one non-empty
     * @param level  the confidence level, in (0, 1)
     * @return one point per position, up to the longest sequence
     */
    public static List<Point> of(List<double[]> values, double level) {
        Checks.notNull(values, "values");
        if (!(level > 0 && level < 1)) {
            throw Checks.bad("level", "must be in (0, 1) but is " + level);
        }
        int longest = 0;
        for (int s = 0; s < values.size(); s++) {
            double[] row = values.get(s);
            if (row == null) {
                throw Checks.badAt("values", s, "must not be null");
            }
            for (int t = 0; t < row.length; t++) {
                if (!Double.isFinite(row[t])) {
                    throw Checks.bad("values[" + s + "][" + t + "]", "must be finite but is " + row[t]);
                }
            }
            longest = Math.max(longest, row.length);
        }
        if (longest == 0) {
            throw Checks.bad("values", "must hold at least one value");
        }
        List<RunningStatistics> perPosition = new ArrayList<>(longest);
        for (int t = 0; t < longest; t++) {
            perPosition.add(new RunningStatistics());
        }
        for (double[] row : values) {
            for (int t = 0; t < row.length; t++) {
                perPosition.get(t).add(row[t]);
            }
        }
        List<Point> curve = new ArrayList<>(longest);
        for (int t = 0; t < longest; t++) {
            RunningStatistics stats = perPosition.get(t);
            RunningStatistics.Interval interval = stats.count() >= 2 ? stats.confidenceInterval(level) : null;
            curve.add(new Point(t, stats.count(), stats.mean(), interval));
        }
        return List.copyOf(curve);
    }
}
