package dev.divergence.math.logits;

import dev.divergence.math.Checks;

/**
 * A teacher cached as its top-k tokens per row: {@code indices} [rows, k] into the vocabulary and
 * their log-probabilities {@code logProbs} [rows, k], normalised over the full vocabulary at the
 * distillation temperature. The remaining mass 1 - sum exp(logProbs) is kept as one "tail" bin, so
 * divergences are computed exactly on the (k+1)-bin coarsening of both distributions (teacher and
 * student are merged over the same tail tokens); nothing is renormalised away.
 */
public record TopKTeacher(int rows, int k, int[] indices, float[] logProbs) {

    /** How far the top-k mass may exceed one (float32 rounding of cached log-probabilities). */
    private static final double MASS_SLACK = 1e-4;

    public TopKTeacher {
        Checks.positive(rows, "rows");
        Checks.positive(k, "k");
        Checks.notNull(indices, "indices");
        Checks.notNull(logProbs, "logProbs");
        Checks.sameLength(rows * k, indices.length, "indices");
        Checks.sameLength(rows * k, logProbs.length, "logProbs");
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
        }
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
