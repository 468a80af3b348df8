package dev.divergence.math.logits;

/**
 * How per-row (per-token) values become a loss. Rows switched off by the mask contribute 0.
 */
public enum Reduction {
    /** Keep one value per row; gradients are those of the sum (rows are independent). */
    NONE,
    /** Sum over the rows the mask keeps. */
    SUM,
    /** Sum divided by the number of rows, padding included (PyTorch "batchmean" over rows). */
    MEAN,
    /** Sum divided by the number of rows the mask keeps (per-token mean, the distillation default). */
    TOKEN_MEAN;

    /** The factor each kept row's value is multiplied by; 0 when no row is kept for TOKEN_MEAN. */
    double weight(int rows, int keptRows) {
        return switch (this) {
            case NONE, SUM -> 1.0;
            case MEAN -> 1.0 / rows;
            case TOKEN_MEAN -> keptRows == 0 ? 0.0 : 1.0 / keptRows;
        };
    }

    /** Reduces per-row values (already 0 for masked rows). NONE returns the plain sum. */
    public double apply(double[] perRow, boolean[] mask) {
        int kept = 0;
        double sum = 0;
        for (int r = 0; r < perRow.length; r++) {
            if (mask == null || mask[r]) {
                kept++;
                sum += perRow[r];
            }
        }
        return sum * weight(perRow.length, kept);
    }
}
