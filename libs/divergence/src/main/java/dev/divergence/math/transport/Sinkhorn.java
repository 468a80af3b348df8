package dev.divergence.math.transport;

import dev.divergence.math.Checks;

import java.util.stream.IntStream;

/**
 * Entropic optimal transport by Sinkhorn iterations on the dual potentials in the log domain, so that
 * small epsilons do not underflow the Gibbs kernel exp(-M/epsilon). Returns POT's sinkhorn2 value
 * <P, M> (entropy excluded) and optionally the plan. The vocabulary name of this divergence is
 * {@code sinkhorn}.
 */
public final class Sinkhorn {

    private static final double MASS_TOLERANCE = 1e-6;
    /** Marginal errors are measured every this many iterations (each check costs one full update). */
    private static final int CHECK_EVERY = 10;
    /**
     * Epsilon scaling only pays off when epsilon is small against the largest cost; for larger
     * epsilons plain iterations converge in a few dozen sweeps and the extra stages would cost more.
     */
    private static final double SCALING_BELOW = 20;
    /** Range the scalings u, v may reach before they are absorbed into the log potentials. */
    private static final double SAFE_LOW = 1e-30;
    private static final double SAFE_HIGH = 1e30;

    private Sinkhorn() {
    }

    /** Convenience overload with the cost as a matrix. */
    public static SinkhornResult solve(double[] a, double[] b, double[][] cost, SinkhornOptions options) {
        Checks.notNull(cost, "cost");
        Checks.notNull(a, "a");
        Checks.notNull(b, "b");
        Checks.sameLength(a.length, cost.length, "cost");
        double[] flat = new double[a.length * b.length];
        for (int i = 0; i < cost.length; i++) {
            Checks.notNull(cost[i], "cost[" + i + "]");
            Checks.sameLength(b.length, cost[i].length, "cost[" + i + "]");
            System.arraycopy(cost[i], 0, flat, i * b.length, b.length);
        }
        return solve(a, b, flat, options);
    }

    /** Solves one problem; the cost is row-major [a.length, b.length]. */
    public static SinkhornResult solve(double[] a, double[] b, double[] cost, SinkhornOptions options) {
        Checks.notNull(options, "options");
        double massA = Checks.nonNegative(a, "a");
        double massB = Checks.nonNegative(b, "b");
        if (Math.abs(massA - massB) > MASS_TOLERANCE * Math.max(massA, massB)) {
            throw Checks.bad("b", "has total mass " + massB + " but a has " + massA + " (balanced OT needs equal masses)");
        }
        Checks.notNull(cost, "cost");
        Checks.sameLength(a.length * b.length, cost.length, "cost");
        Checks.finite(cost, "cost");
        return new Solver(a, b, cost, options).run();
    }

    /** Independent problems solved in parallel (e.g. one per example of a batch). */
    public static SinkhornResult[] solveAll(double[][] a, double[][] b, double[][] costs, SinkhornOptions options) {
        Checks.notNull(a, "a");
        Checks.notNull(b, "b");
        Checks.notNull(costs, "costs");
        Checks.sameLength(a.length, b.length, "b");
        Checks.sameLength(a.length, costs.length, "costs");
        SinkhornResult[] results = new SinkhornResult[a.length];
        IntStream.range(0, a.length).parallel().forEach(k -> results[k] = solve(a[k], b[k], costs[k], options));
        return results;
    }

    /** The iteration state of one problem. */
    private static final class Solver {
        private final int n;
        private final int m;
        private final double[] logA;
        private final double[] logB;
        private final double[] cost;
        private final double[] costT; // transposed copy so that column updates read memory in order
        private final double[] f;
        private final double[] g;
        private final double[] work;
        private final double[] a;
        private final double[] b;
        private final double[] u;
        private final double[] v;
        private final double[] kernel;
        private final double[] kernelT;
        private final double[] accN;
        private final double[] accM;
        private final SinkhornOptions options;

        Solver(double[] a, double[] b, double[] cost, SinkhornOptions options) {
            this.n = a.length;
            this.m = b.length;
            this.cost = cost;
            this.options = options;
            logA = logs(a);
            logB = logs(b);
            costT = new double[n * m];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < m; j++) {
                    costT[j * n + i] = cost[i * m + j];
                }
            }
            f = new double[n];
            g = new double[m];
            work = new double[Math.max(n, m)];
            this.a = a;
            this.b = b;
            u = new double[n];
            v = new double[m];
            kernel = new double[n * m];
            kernelT = new double[n * m];
            accN = new double[n];
            accM = new double[m];
        }

        private static double[] logs(double[] x) {
            double[] out = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                out[i] = Math.log(x[i]); // log 0 = -inf removes the point from the problem
            }
            return out;
        }

        SinkhornResult run() {
            double target = options.epsilon();
            double maxCost = 0;
            for (double c : cost) {
                maxCost = Math.max(maxCost, Math.abs(c));
            }
            int iterations = 0;
            if (options.epsilonScaling() && target < maxCost / SCALING_BELOW) {
                // halve epsilon from the cost scale down to the target, warm-starting the potentials;
                // each stage stops once its marginals are roughly right
                for (double eps = maxCost / 2; eps > 2 * target; eps /= 2) {
                    rebuildKernel(eps);
                    for (int k = 1; k <= 20 && iterations < options.maxIterations(); k++) {
                        iterate(eps);
                        iterations++;
                        if (k % 5 == 0 && scaledColumnError() < 1e-3) {
                            break;
                        }
                    }
                    absorb(eps);
                }
            }
            rebuildKernel(target);
            double error = Double.POSITIVE_INFINITY;
            while (iterations < options.maxIterations()) {
                iterate(target);
                iterations++;
                if (iterations % CHECK_EVERY == 0 || iterations == options.maxIterations()) {
                    error = scaledColumnError();
                    if (error < options.tolerance()) {
                        break;
                    }
                }
            }
            absorb(target);
            error = columnMarginalError(target);
            double transport = 0;
            double[] plan = options.returnPlan() ? new double[n * m] : null;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < m; j++) {
                    double pij = Math.exp((f[i] + g[j] - cost[i * m + j]) / target);
                    transport += pij * cost[i * m + j];
                    if (plan != null) {
                        plan[i * m + j] = pij;
                    }
                }
            }
            return new SinkhornResult(transport, plan, f.clone(), g.clone(), iterations, error,
                    error < options.tolerance());
        }

        /*
         * Iterations run in the scaling domain on the stabilised kernel K_ij = exp((f_i + g_j - M_ij)/eps):
         * v = b / (K^T u), u = a / (K v) are the same iterates as the log-domain updates of f and g
         * (f + eps log u, g + eps log v), but cost multiply-adds instead of one exp per cell. Whenever
         * the scalings leave a safe range, or a row or column of K underflows (small epsilon, early
         * iterations), u and v are absorbed into f and g and the exact log-domain sweep is used.
         */
        private void iterate(double eps) {
            if (!scalingStep()) {
                absorb(eps);
                sweep(eps);
                rebuildKernel(eps);
            }
        }

        /** One v-then-u update of the scalings; false when it would leave the safe range. */
        private boolean scalingStep() {
            java.util.Arrays.fill(accM, 0.0);
            for (int i = 0; i < n; i++) {
                double ui = u[i];
                int row = i * m;
                for (int j = 0; j < m; j++) {
                    accM[j] += ui * kernel[row + j];
                }
            }
            for (int j = 0; j < m; j++) {
                double vj = b[j] / accM[j];
                if (!(vj > SAFE_LOW && vj < SAFE_HIGH) && b[j] > 0) {
                    return false;
                }
                v[j] = b[j] > 0 ? vj : 0.0;
            }
            java.util.Arrays.fill(accN, 0.0);
            for (int j = 0; j < m; j++) {
                double vj = v[j];
                int row = j * n;
                for (int i = 0; i < n; i++) {
                    accN[i] += vj * kernelT[row + i];
                }
            }
            for (int i = 0; i < n; i++) {
                double ui = a[i] / accN[i];
                if (!(ui > SAFE_LOW && ui < SAFE_HIGH) && a[i] > 0) {
                    return false;
                }
                u[i] = a[i] > 0 ? ui : 0.0;
            }
            return true;
        }

        /** Moves the scalings into the potentials (u = v = 1 afterwards); zero-mass points keep -inf. */
        private void absorb(double eps) {
            for (int i = 0; i < n; i++) {
                f[i] = a[i] > 0 ? f[i] + eps * Math.log(u[i]) : Double.NEGATIVE_INFINITY;
                u[i] = 1.0;
            }
            for (int j = 0; j < m; j++) {
                g[j] = b[j] > 0 ? g[j] + eps * Math.log(v[j]) : Double.NEGATIVE_INFINITY;
                v[j] = 1.0;
            }
        }

        private void rebuildKernel(double eps) {
            double inv = 1 / eps;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < m; j++) {
                    double k = Math.exp((f[i] + g[j] - cost[i * m + j]) * inv);
                    kernel[i * m + j] = k;
                    kernelT[j * n + i] = k;
                }
            }
            java.util.Arrays.fill(u, 1.0);
            java.util.Arrays.fill(v, 1.0);
        }

        /** max_j |v_j (K^T u)_j - b_j|, the column marginal error of the current scalings. */
        private double scaledColumnError() {
            java.util.Arrays.fill(accM, 0.0);
            for (int i = 0; i < n; i++) {
                double ui = u[i];
                int row = i * m;
                for (int j = 0; j < m; j++) {
                    accM[j] += ui * kernel[row + j];
                }
            }
            double err = 0;
            for (int j = 0; j < m; j++) {
                err = Math.max(err, Math.abs(v[j] * accM[j] - b[j]));
            }
            return Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
        }

        /** g then f, each the exact soft-min that matches its marginal (POT's order: v then u). */
        private void sweep(double eps) {
            for (int j = 0; j < m; j++) {
                g[j] = eps * (logB[j] - logSumExp(costT, j * n, f, n, eps));
            }
            for (int i = 0; i < n; i++) {
                f[i] = eps * (logA[i] - logSumExp(cost, i * m, g, m, eps));
            }
        }

        /** log sum_k exp((potential_k - cost[offset + k]) / eps), -inf when every term is. */
        private double logSumExp(double[] c, int offset, double[] potential, int len, double eps) {
            double inv = 1 / eps;
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < len; k++) {
                double x = (potential[k] - c[offset + k]) * inv;
                work[k] = x;
                max = Math.max(max, x);
            }
            if (max == Double.NEGATIVE_INFINITY) {
                return max;
            }
            double sum = 0;
            for (int k = 0; k < len; k++) {
                sum += Math.exp(work[k] - max);
            }
            return max + Math.log(sum);
        }

        /** max_j |sum_i P_ij - b_j| for the current potentials (rows are exact after the f update). */
        private double columnMarginalError(double eps) {
            double err = 0;
            for (int j = 0; j < m; j++) {
                double col = 0;
                for (int i = 0; i < n; i++) {
                    col += Math.exp((f[i] + g[j] - costT[j * n + i]) / eps);
                }
                err = Math.max(err, Math.abs(col - Math.exp(logB[j])));
            }
            return err;
        }
    }
}
