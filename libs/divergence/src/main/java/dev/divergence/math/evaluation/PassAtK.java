package dev.divergence.math.evaluation;

import dev.divergence.math.Checks;

/**
 * Unbiased pass@k of Chen et al. (human-eval) in its numerically stable product form:
 * pass@k = 1 - prod_{i = n-c+1}^{n} (1 - k / i), and 1 whenever n - c < k <= n. n samples per problem,
 * c of them correct. k > n is rejected: k draws without replacement from n samples are not defined
 * there, and human-eval's answer of 1.0 would report a pass even when no sample is correct.
 */
public final class PassAtK {

    private PassAtK() {
    }

    public static double estimate(int n, int c, int k) {
        check(n, c);
        Checks.positive(k, "k");
        if (k > n) {
            throw Checks.bad("k", "must be at most n = " + n + " but is " + k);
        }
        if (n - c < k) {
            return 1.0;
        }
        double product = 1.0;
        for (int i = n - c + 1; i <= n; i++) {
            product *= 1.0 - (double) k / i;
        }
        return 1.0 - product;
    }

    /** pass@k for every k = 1..n at once: element k-1 holds pass@k. */
    public static double[] allK(int n, int c) {
        check(n, c);
        double[] out = new double[n];
        for (int k = 1; k <= n; k++) {
            out[k - 1] = estimate(n, c, k);
        }
        return out;
    }

    /** Mean pass@k over problems (each with its own n and c). */
    public static double mean(int[] n, int[] c, int k) {
        Checks.notNull(n, "n");
        Checks.notNull(c, "c");
        Checks.sameLength(n.length, c.length, "c");
        if (n.length == 0) {
            throw Checks.bad("n", "must not be empty");
        }
        double total = 0;
        for (int p = 0; p < n.length; p++) {
            try {
                total += estimate(n[p], c[p], k);
            } catch (IllegalArgumentException e) {
                throw Checks.badAt("problems", p, e.getMessage());
            }
        }
        return total / n.length;
    }

    private static void check(int n, int c) {
        Checks.positive(n, "n");
        if (c < 0 || c > n) {
            throw Checks.bad("c", "must be in [0, n = " + n + "] but is " + c);
        }
    }
}
