package dev.divergence.math.logits;

import dev.divergence.math.Checks;

/**
 * A row-major [rows, vocab] buffer of raw logits, float32 or float64, used without copying.
 * One row is one token position (or one example for classifiers).
 */
public final class LogitsBatch {

    private final float[] floats;
    private final double[] doubles;
    private final int rows;
    private final int vocab;

    private LogitsBatch(float[] floats, double[] doubles, int rows, int vocab) {
        this.floats = floats;
        this.doubles = doubles;
        this.rows = rows;
        this.vocab = vocab;
    }

    public static LogitsBatch ofFloats(float[] data, int rows, int vocab) {
        Checks.notNull(data, "logits");
        checkShape(data.length, rows, vocab);
        return new LogitsBatch(data, null, rows, vocab);
    }

    public static LogitsBatch ofDoubles(double[] data, int rows, int vocab) {
        Checks.notNull(data, "logits");
        checkShape(data.length, rows, vocab);
        return new LogitsBatch(null, data, rows, vocab);
    }

    private static void checkShape(int length, int rows, int vocab) {
        Checks.positive(rows, "rows");
        Checks.positive(vocab, "vocab");
        if ((long) rows * vocab != length) {
            throw Checks.bad("logits", "has " + length + " values but rows * vocab = " + rows + " * " + vocab
                    + " = " + (long) rows * vocab);
        }
    }

    public int rows() {
        return rows;
    }

    public int vocab() {
        return vocab;
    }

    public boolean isFloat() {
        return floats != null;
    }

    /** The float32 buffer (null for a float64 batch). */
    public float[] floats() {
        return floats;
    }

    /** The float64 buffer (null for a float32 batch). */
    public double[] doubles() {
        return doubles;
    }

    double get(int index) {
        return floats != null ? floats[index] : doubles[index];
    }
}
