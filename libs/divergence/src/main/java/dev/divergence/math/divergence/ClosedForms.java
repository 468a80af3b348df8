package dev.divergence.math.divergence;

/**
 * Closed forms on probability vectors that are already checked (same length, non-negative,
 * summing to one). Natural log. Zero handling follows scipy: {@code 0 log 0 = 0}, {@code 0 log(0/y) = 0},
 * and {@code x log(x/0) = +inf} for {@code x > 0}; no result is ever NaN for valid input.
 *
 * <p>The arithmetic deliberately mirrors the reference implementations (scipy's {@code rel_entr},
 * {@code jensenshannon}, numpy power forms) so that results agree with them to ~1e-15, including
 * the round-off residue they report for identical inputs.
 */
public final class ClosedForms {

    static final double LN2 = Math.log(2.0);

    private ClosedForms() {
    }

    /** scipy.special.rel_entr: x log(x/y), 0 when x = 0, +inf when x > 0 and y = 0. */
    public static double relEntr(double x, double y) {
        if (x > 0 && y > 0) {
            return x * Math.log(x / y);
        }
        if (x == 0 && y >= 0) {
            return 0.0;
        }
        return Double.POSITIVE_INFINITY;
    }

    /** scipy.special.kl_div: x log(x/y) - x + y (the unnormalised, always non-negative form). */
    public static double klDiv(double x, double y) {
        if (x > 0 && y > 0) {
            return x * Math.log(x / y) - x + y;
        }
        if (x == 0 && y >= 0) {
            return y;
        }
        return Double.POSITIVE_INFINITY;
    }

    /** scipy.special.entr: -x log x, 0 at 0. */
    public static double entr(double x) {
        return x > 0 ? -x * Math.log(x) : 0.0;
    }

    public static double entropy(double[] p) {
        double h = 0;
        for (double v : p) {
            h += entr(v);
        }
        return h;
    }

    /** H(p, q) = -sum p log q; +inf when q misses mass of p. */
    public static double crossEntropy(double[] p, double[] q) {
        double h = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0) {
                h -= p[i] * Math.log(q[i]); // log 0 = -inf gives +inf, as wanted
            }
        }
        return h;
    }

    /** KL(p || q) = sum rel_entr(p, q). */
    public static double kl(double[] p, double[] q) {
        double d = 0;
        for (int i = 0; i < p.length; i++) {
            d += relEntr(p[i], q[i]);
        }
        return d;
    }

    /** Jensen-Shannon divergence with the 1/2: (KL(p||m) + KL(q||m)) / 2, m = (p+q)/2; in [0, log 2]. */
    public static double js(double[] p, double[] q) {
        double left = 0;
        double right = 0;
        for (int i = 0; i < p.length; i++) {
            double m = (p[i] + q[i]) / 2.0;
            left += relEntr(p[i], m);
            right += relEntr(q[i], m);
        }
        return (left + right) / 2.0;
    }

    /**
     * Generalised JSD of GKD: beta KL(p||M) + (1-beta) KL(q||M), M = beta p + (1-beta) q. As in TRL,
     * beta = 0 is special-cased to KL(p||q) and beta = 1 to KL(q||p) (the formula itself tends to 0
     * at both ends, so the family is discontinuous there by design).
     */
    public static double jsd(double[] p, double[] q, double beta) {
        if (beta == 0.0) {
            return kl(p, q);
        }
        if (beta == 1.0) {
            return kl(q, p);
        }
        double teacher = 0;
        double student = 0;
        for (int i = 0; i < p.length; i++) {
            double m = beta * p[i] + (1 - beta) * q[i];
            teacher += relEntr(p[i], m);
            student += relEntr(q[i], m);
        }
        return beta * teacher + (1 - beta) * student;
    }

    /** Skew KL of DistiLLM: KL(p || a p + (1-a) q). */
    public static double skewKl(double[] p, double[] q, double alpha) {
        double d = 0;
        for (int i = 0; i < p.length; i++) {
            d += relEntr(p[i], alpha * p[i] + (1 - alpha) * q[i]);
        }
        return d;
    }

    /** Skew reverse KL of DistiLLM: KL(q || (1-a) p + a q). */
    public static double skewReverseKl(double[] p, double[] q, double alpha) {
        double d = 0;
        for (int i = 0; i < p.length; i++) {
            d += relEntr(q[i], (1 - alpha) * p[i] + alpha * q[i]);
        }
        return d;
    }

    public static double totalVariation(double[] p, double[] q) {
        double d = 0;
        for (int i = 0; i < p.length; i++) {
            d += Math.abs(p[i] - q[i]);
        }
        return d / 2.0;
    }

    public static double bhattacharyyaCoefficient(double[] p, double[] q) {
        double bc = 0;
        for (int i = 0; i < p.length; i++) {
            bc += Math.sqrt(p[i] * q[i]);
        }
        return bc;
    }

    /** -log BC; +inf for disjoint supports. */
    public static double bhattacharyyaDistance(double[] p, double[] q) {
        return -Math.log(bhattacharyyaCoefficient(p, q));
    }

    /** sum (sqrt p - sqrt q)^2, the sum form, which is exactly 0 for identical inputs. */
    static double sumSquaredRootDifferences(double[] p, double[] q) {
        double s = 0;
        for (int i = 0; i < p.length; i++) {
            double d = Math.sqrt(p[i]) - Math.sqrt(q[i]);
            s += d * d;
        }
        return s;
    }

    public static double hellingerSquared(double[] p, double[] q, HellingerConvention convention) {
        double full = sumSquaredRootDifferences(p, q);
        return convention == HellingerConvention.HALF ? full / 2.0 : full;
    }

    /** Hellinger distance sqrt(1/2 sum (sqrt p - sqrt q)^2), in [0, 1]. */
    public static double hellingerDistance(double[] p, double[] q) {
        return Math.sqrt(sumSquaredRootDifferences(p, q) / 2.0);
    }

    /** Pearson chi-square sum (p-q)^2 / q; 0/0 terms are 0, x/0 is +inf. */
    public static double chi2Pearson(double[] p, double[] q) {
        return chi2(p, q);
    }

    /** Neyman chi-square sum (p-q)^2 / p, i.e. Pearson with the arguments swapped. */
    public static double chi2Neyman(double[] p, double[] q) {
        return chi2(q, p);
    }

    private static double chi2(double[] p, double[] q) {
        double s = 0;
        for (int i = 0; i < p.length; i++) {
            double d = p[i] - q[i];
            if (q[i] > 0) {
                s += d * d / q[i];
            } else if (p[i] > 0) {
                return Double.POSITIVE_INFINITY;
            }
        }
        return s;
    }

    /**
     * sum p^a q^(1-a), skipping 0/0 cells (which would give 0 * inf = NaN for a outside [0, 1]). At a = 0
     * the cells outside p's support are skipped too: their term 0^a q^(1-a) is 0 for every a > 0, and the
     * sum must be continuous there (Math.pow(0, 0) = 1 would add q's mass off p's support).
     */
    static double powerSum(double[] p, double[] q, double a) {
        double s = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] == 0 && (q[i] == 0 || a == 0)) {
                continue;
            }
            s += Math.pow(p[i], a) * Math.pow(q[i], 1 - a);
        }
        return s;
    }

    /**
     * Alpha-divergence in the Cichocki-Amari convention for normalised inputs:
     * (sum p^a q^(1-a) - 1) / (a (a - 1)). a = 0.5 gives 4 (1 - BC), a = 2 gives chi2 Pearson / 2;
     * a -> 1 is KL(p||q), a -> 0 is KL(q||p) (returned exactly at a = 1 and a = 0).
     */
    public static double alphaCichocki(double[] p, double[] q, double a) {
        if (a == 1.0) {
            return kl(p, q);
        }
        if (a == 0.0) {
            return kl(q, p);
        }
        return (powerSum(p, q, a) - 1) / (a * (a - 1));
    }

    /**
     * The other alpha convention of the reference file ("tzhang"): (sum p^a q^(1-a) - 1) / (a - 1),
     * i.e. a times the Cichocki form (Tsallis relative entropy); a = 0.5 gives the full-convention
     * squared Hellinger 2 (1 - BC), a = 2 gives chi2 Pearson.
     */
    public static double alphaTsallis(double[] p, double[] q, double a) {
        if (a == 1.0) {
            return kl(p, q);
        }
        return (powerSum(p, q, a) - 1) / (a - 1);
    }

    /**
     * Amari alpha-divergence with the generator of ALGORITHMS.md, f(t) = (t^(1-a) - (1-a) t - a) / (a (a-1)),
     * D = sum q f(p/q). Equals {@link #alphaCichocki} at 1 - a. In this platform's vocabulary (p the
     * target, q the model) a -> 0 is kl = KL(p||q) and a -> 1 is reverse_kl = KL(q||p).
     *
     * <p>Mapping to f-DPO (Wang et al.) and TRL: the paper's alpha-divergence is D_f(policy || reference)
     * = sum ref f_a'(policy/ref) with paper alpha a'. Since t f_a'(1/t) = f_(1-a')(t), that is this
     * method with p = reference, q = policy and a = 1 - a', which is exactly TRL's alpha (TRL's
     * f'(t) = (t^(alpha-1) - 1)/(alpha-1) uses alpha = 1 - paper alpha). The two agree at 0.5.
     */
    public static double alphaAmari(double[] p, double[] q, double a) {
        return alphaCichocki(p, q, 1 - a);
    }

    /**
     * Renyi divergence of order a: log(sum p^a q^(1-a)) / (a - 1); a = 1 is KL(p||q), a = 0 is
     * -log(sum of q over the support of p) (the a -> 0+ limit).
     */
    public static double renyi(double[] p, double[] q, double a) {
        if (a == 1.0) {
            return kl(p, q);
        }
        return Math.log(powerSum(p, q, a)) / (a - 1);
    }

    /**
     * Cauchy-Schwarz divergence. {@link CauchySchwarzForm#SQUARED}: -log((sum pq)^2 / (sum p^2 sum q^2));
     * {@link CauchySchwarzForm#HALF}: -log(sum pq / sqrt(sum p^2 sum q^2)), half of it.
     */
    public static double cauchySchwarz(double[] p, double[] q, CauchySchwarzForm form) {
        double pq = 0;
        double pp = 0;
        double qq = 0;
        for (int i = 0; i < p.length; i++) {
            pq += p[i] * q[i];
            pp += p[i] * p[i];
            qq += q[i] * q[i];
        }
        return form == CauchySchwarzForm.SQUARED
                ? -Math.log(pq * pq / (pp * qq))
                : -Math.log(pq / Math.sqrt(pp * qq));
    }

    /** Jeffreys divergence KL(p||q) + KL(q||p). */
    public static double jeffreys(double[] p, double[] q) {
        return kl(p, q) + kl(q, p);
    }
}
