package dev.divergence.math.dependence;

import dev.divergence.math.Checks;

/**
 * Distance covariance and correlation (Szekely, Rizzo and Bakirov), biased (V-statistic, double
 * centring) and unbiased (U-statistic, U-centring; needs n > 3), with dcor's {@code exponent} on the
 * Euclidean distances, and the joint distance covariance JdCov of Chakraborty and Zhang for d
 * variables. Rows are observations, columns the dimensions of one variable. Values are the squared
 * statistics, as dcor's {@code distance_covariance_sqr} returns them.
 */
public final class DistanceCovariance {

    /** Which estimator. */
    public enum Estimator { BIASED_V, UNBIASED_U }

    private DistanceCovariance() {
    }

    public static double covarianceSquared(double[][] x, double[][] y, Estimator estimator, double exponent) {
        int n = observations(x, "x");
        Checks.sameLength(n, observations(y, "y"), "y");
        return product(centred(distances(x, exponent, "x"), estimator), centred(distances(y, exponent, "y"), estimator),
                estimator);
    }

    public static double covarianceSquared(double[][] x, double[][] y, Estimator estimator) {
        return covarianceSquared(x, y, estimator, 1.0);
    }

    /** dCor^2 = dCov^2(x, y) / sqrt(dCov^2(x, x) dCov^2(y, y)), 0 when a variable is constant. */
    public static double correlationSquared(double[][] x, double[][] y, Estimator estimator, double exponent) {
        int n = observations(x, "x");
        Checks.sameLength(n, observations(y, "y"), "y");
        double[] a = centred(distances(x, exponent, "x"), estimator);
        double[] b = centred(distances(y, exponent, "y"), estimator);
        double xy = product(a, b, estimator);
        double xx = product(a, a, estimator);
        double yy = product(b, b, estimator);
        double denominator = Math.sqrt(xx * yy);
        return denominator > 0 ? xy / denominator : 0.0;
    }

    /**
     * JdCov^2(X_1..X_d; c) = mean over pairs (k, l) of prod_i (U_i[k, l] + c) - c^d, where U_i is
     * the negated centred distance matrix (the sign of the jdcov R package: for d = 2 it cancels and
     * JdCov^2 = dCov^2, for odd d it matters). The U version averages over k != l with n(n-3).
     */
    public static double jointCovarianceSquared(double[][][] variables, double c, Estimator estimator) {
        Checks.notNull(variables, "variables");
        if (variables.length < 2) {
            throw Checks.bad("variables", "needs at least 2 variables but has " + variables.length);
        }
        Checks.finiteParameter(c, "c");
        if (c < 0) {
            throw Checks.bad("c", "must be >= 0 but is " + c);
        }
        int n = observations(variables[0], "variables[0]");
        double[][] u = new double[variables.length][];
        for (int i = 0; i < variables.length; i++) {
            Checks.sameLength(n, observations(variables[i], "variables[" + i + "]"), "variables[" + i + "]");
            u[i] = centred(distances(variables[i], 1.0, "variables[" + i + "]"), estimator);
            for (int k = 0; k < u[i].length; k++) {
                u[i][k] = -u[i][k];
            }
        }
        double cd = Math.pow(c, variables.length);
        double total = 0;
        for (int k = 0; k < n; k++) {
            for (int l = 0; l < n; l++) {
                if (estimator == Estimator.UNBIASED_U && k == l) {
                    continue;
                }
                double prod = 1;
                for (double[] ui : u) {
                    prod *= ui[k * n + l] + c;
                }
                total += prod - cd;
            }
        }
        return estimator == Estimator.BIASED_V ? total / ((double) n * n) : total / ((double) n * (n - 3));
    }

    private static int observations(double[][] x, String argument) {
        Checks.notNull(x, argument);
        if (x.length == 0) {
            throw Checks.bad(argument, "must not be empty");
        }
        return x.length;
    }

    /** |x_k - x_l|^exponent, row-major [n, n]. */
    static double[] distances(double[][] x, double exponent, String argument) {
        if (!(exponent > 0 && exponent < 2)) {
            throw Checks.bad("exponent", "must be in (0, 2) but is " + exponent);
        }
        int n = x.length;
        int dims = -1;
        for (int k = 0; k < n; k++) {
            Checks.notNull(x[k], argument + "[" + k + "]");
            if (dims < 0) {
                dims = x[k].length;
            }
            Checks.sameLength(dims, x[k].length, argument + "[" + k + "]");
            Checks.finite(x[k], argument + "[" + k + "]");
        }
        double[] d = new double[n * n];
        for (int k = 0; k < n; k++) {
            for (int l = k + 1; l < n; l++) {
                double s = 0;
                for (int j = 0; j < dims; j++) {
                    double diff = x[k][j] - x[l][j];
                    s += diff * diff;
                }
                double dist = Math.sqrt(s);
                double v = exponent == 1.0 ? dist : Math.pow(dist, exponent);
                d[k * n + l] = v;
                d[l * n + k] = v;
            }
        }
        return d;
    }

    /** Double centring (V) or U-centring (U, zero diagonal) of a distance matrix. */
    static double[] centred(double[] d, Estimator estimator) {
        int n = (int) Math.round(Math.sqrt(d.length));
        if (estimator == Estimator.UNBIASED_U && n <= 3) {
            throw Checks.bad("x", "the unbiased estimator needs more than 3 observations but has " + n);
        }
        double[] rowSums = new double[n];
        double total = 0;
        for (int k = 0; k < n; k++) {
            for (int l = 0; l < n; l++) {
                rowSums[k] += d[k * n + l];
            }
            total += rowSums[k];
        }
        double[] out = new double[n * n];
        for (int k = 0; k < n; k++) {
            for (int l = 0; l < n; l++) {
                if (estimator == Estimator.BIASED_V) {
                    out[k * n + l] = d[k * n + l] - rowSums[k] / n - rowSums[l] / n + total / ((double) n * n);
                } else if (k != l) {
                    out[k * n + l] = d[k * n + l] - rowSums[k] / (n - 2) - rowSums[l] / (n - 2)
                            + total / ((double) (n - 1) * (n - 2));
                }
            }
        }
        return out;
    }

    private static double product(double[] a, double[] b, Estimator estimator) {
        int n = (int) Math.round(Math.sqrt(a.length));
        double s = 0;
        for (int k = 0; k < a.length; k++) {
            s += a[k] * b[k];
        }
        return estimator == Estimator.BIASED_V ? s / ((double) n * n) : s / ((double) n * (n - 3));
    }
}
