package dev.divergence.math.logits;

import dev.divergence.math.Checks;

/**
 * Temperature (applied to both teacher and student, as in logit distillation), the row mask
 * (true = keep; null keeps every row, padding rows are false) and the reduction.
 */
public record LogitsOptions(double temperature, boolean[] rowMask, Reduction reduction) {

    public LogitsOptions {
        Checks.positive(temperature, "temperature");
        Checks.notNull(reduction, "reduction");
    }

    public static LogitsOptions defaults() {
        return new LogitsOptions(1.0, null, Reduction.TOKEN_MEAN);
    }

    public LogitsOptions withTemperature(double t) {
        return new LogitsOptions(t, rowMask, reduction);
    }

    public LogitsOptions withMask(boolean[] mask) {
        return new LogitsOptions(temperature, mask, reduction);
    }

    public LogitsOptions withReduction(Reduction r) {
        return new LogitsOptions(temperature, rowMask, r);
    }

    boolean keeps(int row) {
        return rowMask == null || rowMask[row];
    }

    int keptRows(int rows) {
        if (rowMask == null) {
            return rows;
        }
        int kept = 0;
        for (boolean b : rowMask) {
            kept += b ? 1 : 0;
        }
        return kept;
    }
}
