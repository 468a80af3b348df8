package dev.divergence.math.logits;

import dev.divergence.math.Checks;
import dev.divergence.math.Normalisation;
import dev.divergence.math.divergence.Divergence;

import java.util.stream.IntStream;

/**
 * Row-major [rows, vocab] batches given as probabilities or log-probabilities rather than logits
 * (cached teacher outputs, evaluation inputs). Every registry divergence applies row by row; the
 * first bad value is reported with its flat index (e.g. {@code p[37]}). Raw logits belong in
 * {@link LogitsDivergence}, which is fused and faster.
 */
public final class ProbabilityRows {

    private static final long PARALLEL_THRESHOLD = 1 << 15;

    private ProbabilityRows() {
    }

    /**
     * D(p_r || q_r) per row for probability rows; rows the mask drops are 0 and not read. With
     * {@link Normalisation#REQUIRE_NORMALISED} a row whose sum is off by more than
     * {@link Checks#SUM_TOLERANCE} is rejected; {@link Normalisation#NORMALISE} rescales each row.
     */
    public static double[] perRow(Divergence divergence, double[] p, double[] q, int rows, int vocab,
                                  boolean[] mask, Normalisation normalisation) {
        checkShape(divergence, p, q, rows, vocab, mask, "p", "q");
        Checks.notNull(normalisation, "normalisation");
        double[] out = new double[rows];
        rows(rows, vocab, mask).forEach(r -> {
            double[] pr = row(p, r, vocab, "p", normalisation);
            double[] qr = row(q, r, vocab, "q", normalisation);
            out[r] = divergence.unchecked(pr, qr);
        });
        return out;
    }

    /**
     * D(p_r || q_r) per row for natural-log probabilities; {@code -Infinity} is a probability of 0
     * (NaN and +Infinity are rejected). Each row must exponentiate to a sum of one.
     */
    public static double[] perRowFromLogProbabilities(Divergence divergence, double[] logP, double[] logQ, int rows,
                                                      int vocab, boolean[] mask) {
        checkShape(divergence, logP, logQ, rows, vocab, mask, "logP", "logQ");
        double[] out = new double[rows];
        rows(rows, vocab, mask).forEach(r -> {
            double[] pr = exponentiated(logP, r, vocab, "logP");
            double[] qr = exponentiated(logQ, r, vocab, "logQ");
            out[r] = divergence.unchecked(pr, qr);
        });
        return out;
    }

    private static IntStream rows(int rows, int vocab, boolean[] mask) {
        IntStream range = IntStream.range(0, rows).filter(r -> mask == null || mask[r]);
        return (long) rows * vocab >= PARALLEL_THRESHOLD && rows > 1 ? range.parallel() : range;
    }

    private static void checkShape(Divergence divergence, double[] a, double[] b, int rows, int vocab, boolean[] mask,
                                   String nameA, String nameB) {
        Checks.notNull(divergence, "divergence");
        Checks.notNull(a, nameA);
        Checks.notNull(b, nameB);
        Checks.positive(rows, "rows");
        Checks.positive(vocab, "vocab");
        Checks.sameLength(rows * vocab, a.length, nameA);
        Checks.sameLength(rows * vocab, b.length, nameB);
        if (mask != null) {
            Checks.sameLength(rows, mask.length, "rowMask");
        }
    }

    private static double[] row(double[] data, int r, int vocab, String argument, Normalisation normalisation) {
        int base = r * vocab;
        double[] out = new double[vocab];
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            double v = data[base + i];
            if (!Double.isFinite(v)) {
                throw Checks.badAt(argument, base + i, "must be finite but is " + v);
            }
            if (v < 0) {
                throw Checks.badAt(argument, base + i, "must not be negative but is " + v);
            }
            out[i] = v;
            sum += v;
        }
        if (normalisation == Normalisation.NORMALISE) {
            if (!(sum > 0)) {
                throw Checks.badAt(argument, base, "row " + r + " sums to 0 and cannot be normalised");
            }
            for (int i = 0; i < vocab; i++) {
                out[i] /= sum;
            }
        } else if (Math.abs(sum - 1) > Checks.SUM_TOLERANCE) {
            throw Checks.badAt(argument, base, "row " + r + " sums to " + sum + ", not 1 (pass Normalisation.NORMALISE to rescale)");
        }
        return out;
    }

    private static double[] exponentiated(double[] logs, int r, int vocab, String argument) {
        int base = r * vocab;
        double[] out = new double[vocab];
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            double v = logs[base + i];
            if (Double.isNaN(v) || v == Double.POSITIVE_INFINITY) {
                throw Checks.badAt(argument, base + i, "must be a log-probability (finite or -Infinity) but is " + v);
            }
            out[i] = Math.exp(v);
            sum += out[i];
        }
        if (Math.abs(sum - 1) > Checks.SUM_TOLERANCE) {
            throw Checks.badAt(argument, base, "row " + r + " exponentiates to a sum of " + sum + ", not 1");
        }
        return out;
    }
}
