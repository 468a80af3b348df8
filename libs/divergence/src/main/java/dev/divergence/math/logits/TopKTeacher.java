package dev.divergence.math.logits;

import dev.divergence.math.Checks;

/**
 * A teacher cached as its top-k tokens per row: {@code indices} [rows, k] into the vocabulary and
 * their log-probabilities {@code logProbs} [rows, k], normalised over the full vocabulary at the
 * distillation temperature, and {@code tailMass} [rows], the teacher's mass on every other token.
 * The tail is kept as one bin, so divergences are computed exactly on the (k+1)-bin coarsening of
 * both distributions (teacher and student are merged over the same tail tokens); nothing is
 * renormalised away.
 *
 * <p>The tail is stored, not derived as 1 - sum exp(logProbs): when the top-k holds all but 1e-8 of
 * the mass that difference is below the float32 rounding of the log-probabilities and comes out 0
 * (or noise), while the tail summed over its own tokens keeps its value (e.g. 1e-30). A student with
 * mass on those tokens then has a finite reverse KL instead of +inf.
 */
public record TopKTeacher(int rows, int k, int[] indices, float[] logProbs, double[] tailMass) {

    /** How far the top-k mass may exceed one (float32 rounding of cached log-probabilities). */
    private static final double MASS_SLACK = 1e-4;

    public TopKTeacher {
        Checks.positive(rows, "rows");
        Checks.positive(k, "k");
        Checks.notNull(indices, "indices");
        Checks.notNull(logProbs, "logProbs");
        Checks.sameLength(rows * k, indices.length, "indices");
        Checks.sameLength(rows * k, logProbs.length, "logProbs");
        Checks.notNull(tailMass, "tailMass");
        Checks.sameLength(rows, tailMass.length, "tailMass");
        for (int r = 0; r < rows; r++) {
            double mass = 0;
            for (int j = 0; j < k; j++) {
                float lp = logProbs[r * k + j];
                if (Float.isNaN(lp) || lp > MASS_SLACK || lp == Float.POSITIVE_INFINITY) {
                    throw Checks.badAt("logProbs", r * k + j, "must be a log-probability (<= 0) but is " + lp);
                }
                mass += Math.exp(lp);
            }
            if (mass > 1 + MASS_SLACK) {
                throw Checks.badAt("logProbs", r * k, "row " + r + " has top-k mass " + mass + " > 1");
            }
            double tail = tailMass[r];
            if (!(tail >= 0 && tail <= 1 + MASS_SLACK)) {
                throw Checks.badAt("tailMass", r, "must be a probability mass in [0, 1] but is " + tail);
            }
        }
    }

    /**
     * A teacher given by its top-k alone, the tail taken as max(0, 1 - top-k mass): exact only when
     * the tail is well above the float32 rounding of the log-probabilities (about 1e-7); teachers
     * built from full logits or read from a cache carry the stored tail instead.
     */
    public TopKTeacher(int rows, int k, int[] indices, float[] logProbs) {
        this(rows, k, indices, logProbs, tailsOf(rows, k, logProbs));
    }

    private static double[] tailsOf(int rows, int k, float[] logProbs) {
        Checks.notNull(logProbs, "logProbs");
        Checks.sameLength(rows * k, logProbs.length, "logProbs");
        double[] tails = new double[Math.max(rows, 0)];
        for (int r = 0; r < rows; r++) {
            double mass = 0;
            for (int j = 0; j < k; j++) {
                mass += Math.exp(logProbs[r * k + j]);
            }
            tails[r] = Math.max(0.0, 1.0 - mass);
        }
        return tails;
    }

    /** Checks the indices against the student's vocabulary: in range and distinct within a row. */
    void checkIndices(int vocab, boolean[] seen) {
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < k; j++) {
                int index = indices[r * k + j];
                if (index < 0 || index >= vocab) {
                    throw Checks.badAt("indices", r * k + j, "must be a token id in [0, " + vocab + ") but is " + index);
                }
                if (seen[index]) {
                    throw Checks.badAt("indices", r * k + j, "repeats token " + index + " within row " + r);
                }
                seen[index] = true;
            }
            for (int j = 0; j < k; j++) {
                seen[indices[r * k + j]] = false;
            }
        }
    }
}
