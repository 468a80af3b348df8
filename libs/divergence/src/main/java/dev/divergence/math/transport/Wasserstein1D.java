package dev.divergence.math.transport;

import dev.divergence.math.Checks;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Exact p-Wasserstein distance between two weighted empirical distributions on the real line,
 * through their quantile functions: W_p^p = integral over t in (0,1) of |F^-1(t) - G^-1(t)|^p.
 * For p = 1 this equals scipy.stats.wasserstein_distance (the integral of |F - G|).
 */
public final class Wasserstein1D {

    private Wasserstein1D() {
    }

    /** W_1 between two unweighted samples. */
    public static double distance(double[] u, double[] v) {
        return distance(u, null, v, null, 1.0);
    }

    /** W_p; null weights mean equal weights; weights need not be normalised. */
    public static double distance(double[] u, double[] uWeights, double[] v, double[] vWeights, double p) {
        Checks.finite(u, "u");
        Checks.finite(v, "v");
        if (!(p >= 1) || Double.isInfinite(p)) {
            throw Checks.bad("p", "must be a finite number >= 1 but is " + p);
        }
        double[][] a = sortedWithCumulative(u, uWeights, "uWeights");
        double[][] b = sortedWithCumulative(v, vWeights, "vWeights");
        double[] ux = a[0];
        double[] ucdf = a[1];
        double[] vx = b[0];
        double[] vcdf = b[1];
        // walk both step quantile functions over the merged breakpoints of their cumulative weights
        int i = 0;
        int j = 0;
        double t = 0;
        double total = 0;
        while (i < ux.length && j < vx.length) {
            double next = Math.min(ucdf[i], vcdf[j]);
            double d = Math.abs(ux[i] - vx[j]);
            total += (next - t) * (p == 1 ? d : Math.pow(d, p));
            t = next;
            if (ucdf[i] <= next) {
                i++;
            }
            if (vcdf[j] <= next) {
                j++;
            }
        }
        return p == 1 ? total : Math.pow(total, 1 / p);
    }

    /** Values sorted ascending with their normalised cumulative weights; the last cumulative is exactly 1. */
    private static double[][] sortedWithCumulative(double[] x, double[] w, String weightName) {
        double[] weights;
        if (w == null) {
            weights = new double[x.length];
            Arrays.fill(weights, 1.0);
        } else {
            Checks.sameLength(x.length, w.length, weightName);
            weights = w;
        }
        double total = Checks.nonNegative(weights, weightName);
        if (!(total > 0)) {
            throw Checks.bad(weightName, "must have a positive sum");
        }
        Integer[] order = new Integer[x.length];
        for (int k = 0; k < order.length; k++) {
            order[k] = k;
        }
        Arrays.sort(order, Comparator.comparingDouble(k -> x[k]));
        double[] xs = new double[x.length];
        double[] cdf = new double[x.length];
        double acc = 0;
        for (int k = 0; k < order.length; k++) {
            xs[k] = x[order[k]];
            acc += weights[order[k]];
            cdf[k] = acc / total;
        }
        cdf[cdf.length - 1] = 1.0;
        return new double[][]{xs, cdf};
    }
}
