package dev.divergence.math.divergence;

import java.util.function.DoubleUnaryOperator;

/**
 * The generators of the named f-divergences (ALGORITHMS.md table). Each closed form in
 * {@link ClosedForms} equals {@code generator.divergence(p, q)}; the property tests check it.
 */
public final class Generators {

    private static final double LN2 = Math.log(2.0);

    private Generators() {
    }

    /** A generator given by lambdas; inverse may be null (then bisection is used). */
    record Simple(String name, DoubleUnaryOperator f, DoubleUnaryOperator derivative, DoubleUnaryOperator inverse,
                  double atZero, double slopeAtInfinity) implements FGenerator {
        @Override public double f(double t) { return f.applyAsDouble(t); }
        @Override public double derivative(double t) { return derivative.applyAsDouble(t); }
        @Override public double atZero() { return atZero; }
        @Override public double slopeAtInfinity() { return slopeAtInfinity; }
        @Override public double inverseDerivative(double s) {
            return inverse == null ? FGenerator.super.inverseDerivative(s) : inverse.applyAsDouble(s);
        }
        @Override public String toString() { return "f-generator " + name; }
    }

    /** kl = KL(P||Q): f(t) = t log t. */
    public static FGenerator kl() {
        return new Simple("kl", t -> t * Math.log(t), t -> Math.log(t) + 1, s -> Math.exp(s - 1),
                0.0, Double.POSITIVE_INFINITY);
    }

    /** reverse_kl = KL(Q||P): f(t) = -log t. */
    public static FGenerator reverseKl() {
        return new Simple("reverse_kl", t -> -Math.log(t), t -> -1 / t, s -> -1 / s,
                Double.POSITIVE_INFINITY, 0.0);
    }

    /** js with the 1/2 (bounded by log 2): f(t) = (t log t - (t+1) log((t+1)/2)) / 2. */
    public static FGenerator js() {
        return new Simple("js",
                t -> 0.5 * (t * Math.log(2 * t / (1 + t)) + Math.log(2 / (1 + t))),
                t -> 0.5 * Math.log(2 * t / (1 + t)),
                s -> Math.exp(2 * s) / (2 - Math.exp(2 * s)),
                0.5 * LN2, 0.5 * LN2);
    }

    /**
     * jsd(beta) of GKD: f(t) = beta t log t - (beta t + 1 - beta) log(beta t + 1 - beta); beta = 0 and
     * 1 are the forward and reverse KL generators (TRL's special cases).
     */
    public static FGenerator jsd(double beta) {
        if (beta == 0.0) {
            return kl();
        }
        if (beta == 1.0) {
            return reverseKl();
        }
        return new Simple("jsd(" + beta + ")",
                t -> {
                    double m = beta * t + 1 - beta;
                    return beta * t * Math.log(t / m) - (1 - beta) * Math.log(m);
                },
                t -> beta * Math.log(t / (beta * t + 1 - beta)),
                s -> {
                    double e = Math.exp(s / beta);
                    return e * (1 - beta) / (1 - beta * e);
                },
                -(1 - beta) * Math.log(1 - beta), -beta * Math.log(beta));
    }

    /** skew_kl(a) = KL(P || aP + (1-a)Q): f(t) = t log(t / (a t + 1 - a)). */
    public static FGenerator skewKl(double a) {
        if (a == 0.0) {
            return kl();
        }
        return new Simple("skew_kl(" + a + ")",
                t -> t * Math.log(t / (a * t + 1 - a)),
                t -> {
                    double m = a * t + 1 - a;
                    return Math.log(t / m) + (1 - a) / m;
                },
                null, 0.0, -Math.log(a));
    }

    /** skew_reverse_kl(a) = KL(Q || (1-a)P + aQ): f(t) = -log((1-a) t + a). */
    public static FGenerator skewReverseKl(double a) {
        if (a == 0.0) {
            return reverseKl();
        }
        return new Simple("skew_reverse_kl(" + a + ")",
                t -> -Math.log((1 - a) * t + a),
                t -> -(1 - a) / ((1 - a) * t + a),
                s -> (-(1 - a) / s - a) / (1 - a),
                -Math.log(a), 0.0);
    }

    /** tv: f(t) = |t - 1| / 2. f' is a step, so the conjugate is given directly. */
    public static FGenerator totalVariation() {
        return new TotalVariationGenerator();
    }

    /** tv needs its own conjugate: f' is a step with no inverse, the supremum sits at t = 1 or t = 0. */
    record TotalVariationGenerator() implements FGenerator {
        @Override public double f(double t) { return Math.abs(t - 1) / 2; }
        @Override public double derivative(double t) { return Math.signum(t - 1) / 2; }
        @Override public double atZero() { return 0.5; }
        @Override public double slopeAtInfinity() { return 0.5; }
        @Override public double conjugate(double s) {
            if (s > 0.5) {
                return Double.POSITIVE_INFINITY;
            }
            return Math.max(s, -0.5);
        }
    }

    /** Squared Hellinger: f(t) = (sqrt t - 1)^2, halved in the HALF convention. */
    public static FGenerator hellinger(HellingerConvention convention) {
        double c = convention == HellingerConvention.HALF ? 0.5 : 1.0;
        return new Simple("hellinger_" + convention,
                t -> c * (Math.sqrt(t) - 1) * (Math.sqrt(t) - 1),
                t -> c * (1 - 1 / Math.sqrt(t)),
                s -> 1 / ((1 - s / c) * (1 - s / c)),
                c, c);
    }

    /** Pearson chi-square: f(t) = (t - 1)^2. */
    public static FGenerator chi2Pearson() {
        return new Simple("chi2", t -> (t - 1) * (t - 1), t -> 2 * (t - 1), s -> s / 2 + 1,
                1.0, Double.POSITIVE_INFINITY);
    }

    /** Neyman chi-square: f(t) = (1 - t)^2 / t. */
    public static FGenerator chi2Neyman() {
        return new Simple("chi2_neyman", t -> (1 - t) * (1 - t) / t, t -> 1 - 1 / (t * t),
                s -> 1 / Math.sqrt(1 - s), Double.POSITIVE_INFINITY, 1.0);
    }

    /**
     * Amari alpha: f(t) = (t^(1-a) - (1-a) t - a) / (a (a-1)); a = 0 is kl, a = 1 is reverse_kl
     * (in this orientation, P the target).
     */
    public static FGenerator alpha(double a) {
        if (a == 0.0) {
            return kl();
        }
        if (a == 1.0) {
            return reverseKl();
        }
        return new Simple("alpha(" + a + ")",
                t -> (Math.pow(t, 1 - a) - (1 - a) * t - a) / (a * (a - 1)),
                t -> (1 - Math.pow(t, -a)) / a,
                s -> Math.pow(1 - a * s, -1 / a),
                a < 1 ? 1 / (1 - a) : Double.POSITIVE_INFINITY,
                a > 0 ? 1 / a : Double.POSITIVE_INFINITY);
    }

    /** Jeffreys = KL(P||Q) + KL(Q||P): f(t) = (t - 1) log t. */
    public static FGenerator jeffreys() {
        return new Simple("jeffreys", t -> (t - 1) * Math.log(t), t -> Math.log(t) + 1 - 1 / t, null,
                Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY);
    }
}
