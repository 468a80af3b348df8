package dev.divergence.math;

/**
 * Worst-case error bounds for the float32 logits kernels, computed in float64 from the row's values
 * (never from the result under test), so that a float32 comparison holds on every CPU (AVX-512, AVX2,
 * the scalar fallback) instead of on the one that a fitted tolerance was measured on.
 *
 * <p>How the float32 kernel computes a row (VectorFloatRowKernel): scaled logits z = x / T and offsets
 * (maximum, log of the sum of exponentials) are rounded to float32; exponentials exp((x - max) / T) carry
 * the rounding of their argument; each element's term is a product of a probability with a difference of
 * logits or log-probabilities; terms are summed in float32 lanes over blocks of at most
 * {@value #BLOCK} elements whose sums are added in float64. With eps = 2^-23 (float32 epsilon), for
 * element i:
 * <ul>
 *   <li>A_i = |z_t,i| + |z_s,i| + |log p_i| + |log q_i| + 3 bounds every quantity its term is built from
 *       (the mixtures' log M lies within |log beta| <= 2.3 of log p or log q for the mixture weights of at
 *       least 0.1 used here; +3 covers it), so the term's own rounding (about 8 float32 operations) is at
 *       most 8 eps A_i times its weight;</li>
 *   <li>a float32 lane accumulating k terms adds at most k eps times the sum of |terms|; with L lanes a lane
 *       holds at most ceil(min(n, BLOCK) / L) of them, and the lane reduction adds log2(L) more roundings:
 *       K = ceil(min(n, BLOCK) / L) + log2 L. L is the length of the preferred float species in this JVM, the
 *       one the kernel uses (16 with AVX-512, 8 with AVX2 or -XX:UseAVX=2); without the Vector API the
 *       float64 kernel runs instead and L = 1 keeps the bound valid;</li>
 *   <li>the argument of each exponential is rounded at magnitude E_i = |z_t,i - max_t| + |z_s,i - max_s|, and
 *       the sums of exponentials (positive terms) are accumulated like the above, so p_i and q_i carry a
 *       relative error of at most eps (E_i + K + 4) (the +4 covers exp's own ulps and the scaling by
 *       1 / sum), which multiplies a term of magnitude at most A_i.</li>
 * </ul>
 * Every term's weight is at most p_i + q_i (KL, reverse KL, the mixtures of js/jsd/skews, tv), which gives
 * bound = eps sum_i (p_i + q_i) A_i [(K + 16) + (E_i + K + 4)], the 16 covering the term's own roundings (8)
 * and the final float64 combination with the offsets (8).
 */
public final class Float32Bounds {

    public static final double EPS = Math.ulp(1.0f); // 2^-23 = 1.19e-7
    static final int BLOCK = 1024;
    static final int LANES = lanes();

    private Float32Bounds() {
    }

    /** The bound above for teacher row t[from, to) and student row s[from, to) at temperature T. */
    public static double logitsDivergence(double[] t, double[] s, int from, int to, double temperature) {
        Row row = new Row(t, s, from, to, temperature);
        int n = to - from;
        double k = accumulation(n);
        double bound = 0;
        for (int i = 0; i < n; i++) {
            double a = row.magnitude(i);
            double e = Math.abs(row.zt[i] - row.maxT) + Math.abs(row.zs[i] - row.maxS);
            bound += (row.p[i] + row.q[i]) * a * ((k + 16) + (e + k + 4));
        }
        return EPS * bound;
    }

    /**
     * Per-element bound for the float32 gradient with respect to the student's raw logits (kl, reverse_kl, jsd:
     * the kinds with a float32 gradient kernel), times {@code scale} (the reduction weight over T). The kernel
     * writes scale q_i (g_i - dot) with g_i a difference of log-probabilities (|g_i| <= A_i, rounding <= 8 eps A_i)
     * and dot = sum_k q_k g_k accumulated like a divergence (|dot| <= W = sum_k (p_k + q_k) A_k, rounding <=
     * eps [(K + 16) W + sum_k q_k (E_k + K + 4) A_k + 8 W], K as above); kl writes scale (q_i - p_i). With the
     * probabilities' relative error eps (E_i + K + 4) and three more roundings (subtraction, two products):
     * bound_i = scale eps [(p_i + q_i)(E_i + K + 7)(A_i + W) + q_i (8 A_i + (K + 24) W + sum_k q_k (E_k + K + 4) A_k)].
     */
    public static double[] logitsGradient(double[] t, double[] s, int from, int to, double temperature, double scale) {
        Row row = new Row(t, s, from, to, temperature);
        int n = to - from;
        double k = accumulation(n);
        double[] a = new double[n];
        double[] e = new double[n];
        double w = 0;
        double dotRounding = 0;
        for (int i = 0; i < n; i++) {
            a[i] = row.magnitude(i);
            e[i] = Math.abs(row.zt[i] - row.maxT) + Math.abs(row.zs[i] - row.maxS);
            w += (row.p[i] + row.q[i]) * a[i];
            dotRounding += row.q[i] * (e[i] + k + 4) * a[i];
        }
        double[] bound = new double[n];
        for (int i = 0; i < n; i++) {
            bound[i] = Math.abs(scale) * EPS * ((row.p[i] + row.q[i]) * (e[i] + k + 7) * (a[i] + w)
                    + row.q[i] * (8 * a[i] + (k + 24) * w + dotRounding));
        }
        return bound;
    }

    /**
     * How far the exact divergence can move when the teacher's raw logits are rounded to float32 after
     * adding a constant of size |shift|: each moves by at most eps/2 (|x| + |shift|), i.e. a scaled logit by
     * delta = eps/2 (max|x| + |shift|) / T. The derivative of every fused divergence with respect to
     * teacher logit z_i is p_i times a difference of two terms each bounded by |log p_i| + |log q_i| + 1
     * (for KL, p_i (log(p_i / q_i) - KL)), so the change is at most 2 delta sum_i (p_i + q_i) L_i.
     */
    public static double inputRounding(double[] t, double[] s, int from, int to, double temperature, double shift) {
        Row row = new Row(t, s, from, to, temperature);
        double largest = 0;
        for (int i = from; i < to; i++) {
            largest = Math.max(largest, Math.abs(t[i]));
        }
        double delta = EPS / 2 * (largest + shift) / temperature;
        double weighted = 0;
        for (int i = 0; i < to - from; i++) {
            weighted += (row.p[i] + row.q[i]) * (Math.abs(row.logP[i]) + Math.abs(row.logQ[i]) + 1);
        }
        return 2 * delta * weighted;
    }

    /** Terms one float32 lane accumulates and the roundings of the lane reduction: ceil(min(n, BLOCK) / L) + log2 L. */
    static double accumulation(int n) {
        int lanes = LANES;
        return Math.ceil((double) Math.min(n, BLOCK) / lanes) + Integer.numberOfTrailingZeros(Integer.highestOneBit(lanes));
    }

    /** Lanes of the preferred float species, read reflectively (this class also runs without the Vector API). */
    private static int lanes() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return 1;
        }
        try {
            Object species = Class.forName("jdk.incubator.vector.FloatVector").getField("SPECIES_PREFERRED").get(null);
            return (int) Class.forName("jdk.incubator.vector.VectorSpecies").getMethod("length").invoke(species);
        } catch (ReflectiveOperationException | LinkageError e) {
            return 1;
        }
    }

    /** One row's scaled logits, log-softmax and softmax in float64. */
    private static final class Row {
        final double[] zt;
        final double[] zs;
        final double[] logP;
        final double[] logQ;
        final double[] p;
        final double[] q;
        final double maxT;
        final double maxS;

        Row(double[] t, double[] s, int from, int to, double temperature) {
            int n = to - from;
            zt = new double[n];
            zs = new double[n];
            for (int i = 0; i < n; i++) {
                zt[i] = t[from + i] / temperature;
                zs[i] = s[from + i] / temperature;
            }
            logP = new double[n];
            logQ = new double[n];
            p = new double[n];
            q = new double[n];
            maxT = logSoftmax(zt, logP, p);
            maxS = logSoftmax(zs, logQ, q);
        }

        double magnitude(int i) {
            return Math.abs(zt[i]) + Math.abs(zs[i]) + Math.abs(logP[i]) + Math.abs(logQ[i]) + 3;
        }

        private static double logSoftmax(double[] z, double[] logOut, double[] out) {
            double max = Double.NEGATIVE_INFINITY;
            for (double v : z) {
                max = Math.max(max, v);
            }
            double sum = 0;
            for (double v : z) {
                sum += Math.exp(v - max);
            }
            double lse = max + Math.log(sum);
            for (int i = 0; i < z.length; i++) {
                logOut[i] = z[i] - lse;
                out[i] = Math.exp(logOut[i]);
            }
            return max;
        }
    }
}
