package dev.divergence.model.assets.variants;

/**
 * The measurement shifts of the breast-cancer variants, as pure functions of one row of raw features
 * and of the random draws they need, so that each can be checked against an independent computation.
 * Arithmetic is in double; the result is rounded to float once.
 */
public final class TabularShifts {

    private TabularShifts() {
    }

    /** Per-feature mean and population standard deviation (divisor n) of a training set. */
    public record FeatureStatistics(double[] mean, double[] std) {

        public static FeatureStatistics of(float[][] rows) {
            if (rows.length == 0) {
                throw new IllegalArgumentException("statistics of no rows");
            }
            int d = rows[0].length;
            double[] mean = new double[d];
            for (float[] row : rows) {
                for (int j = 0; j < d; j++) {
                    mean[j] += row[j];
                }
            }
            for (int j = 0; j < d; j++) {
                mean[j] /= rows.length;
            }
            // two passes: the centred sum of squares does not cancel catastrophically for large features (area ~ 10^3)
            double[] std = new double[d];
            for (float[] row : rows) {
                for (int j = 0; j < d; j++) {
                    double centred = row[j] - mean[j];
                    std[j] += centred * centred;
                }
            }
            for (int j = 0; j < d; j++) {
                std[j] = Math.sqrt(std[j] / rows.length);
            }
            return new FeatureStatistics(mean, std);
        }
    }

    /** x_j + factor * std_j * z_j: Gaussian noise in units of each feature's training-set spread. */
    public static float[] noise(float[] row, double factor, double[] std, double[] z) {
        requireWidth(row, std.length, z.length);
        float[] out = new float[row.length];
        for (int j = 0; j < row.length; j++) {
            out[j] = (float) (row[j] + factor * std[j] * z[j]);
        }
        return out;
    }

    /** x_j * factors_j: every row of a variant is read by the same drifted instrument. */
    public static float[] scale(float[] row, double[] factors) {
        requireWidth(row, factors.length, factors.length);
        float[] out = new float[row.length];
        for (int j = 0; j < row.length; j++) {
            out[j] = (float) (row[j] * factors[j]);
        }
        return out;
    }

    /** Features with {@code missing[j]} replaced by the training-set mean (mean imputation). */
    public static float[] impute(float[] row, boolean[] missing, double[] mean) {
        requireWidth(row, missing.length, mean.length);
        float[] out = row.clone();
        for (int j = 0; j < row.length; j++) {
            if (missing[j]) {
                out[j] = (float) mean[j];
            }
        }
        return out;
    }

    private static void requireWidth(float[] row, int a, int b) {
        if (row.length != a || row.length != b) {
            throw new IllegalArgumentException("row of " + row.length + " features, parameters of " + a + " and " + b);
        }
    }
}
