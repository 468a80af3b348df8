package dev.divergence.math.divergence;

/**
 * Generator of an f-divergence D_f(P||Q) = sum_x Q(x) f(P(x)/Q(x)) with f convex on [0, inf) and
 * f(1) = 0. P is the target (teacher, reference), Q the model (student, policy): this is the
 * orientation of the platform vocabulary, where {@code kl} means KL(target || model).
 *
 * <p>Cells where Q is 0 contribute P(x) times {@link #slopeAtInfinity()} (the limit of f(t)/t), cells
 * where P is 0 contribute Q(x) f(0), and 0/0 cells contribute nothing, which reproduces the scipy
 * zero conventions for every named divergence.
 */
public interface FGenerator {

    /** f(t) for t > 0. */
    double f(double t);

    /** f'(t) for t > 0. */
    double derivative(double t);

    /** f(0) = lim f(t) as t -> 0+ (may be +inf). */
    double atZero();

    /** lim f(t)/t as t -> inf (may be +inf): the cost per unit of P-mass where Q has none. */
    double slopeAtInfinity();

    /**
     * (f')^-1(s) for s strictly inside the range of f'. The default inverts the monotone f' by
     * bisection on log t; generators with a closed form override it.
     */
    default double inverseDerivative(double s) {
        double lo = -745;
        double hi = 709;
        for (int i = 0; i < 200 && hi - lo > 1e-15 * Math.max(1, Math.abs(lo)); i++) {
            double mid = (lo + hi) / 2;
            if (derivative(Math.exp(mid)) < s) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return Math.exp((lo + hi) / 2);
    }

    /**
     * Convex conjugate f*(s) = sup_{t >= 0} (s t - f(t)), used by variational (f-GAN style) estimators.
     * Below f'(0+) the supremum sits at t = 0; above the supremum of f' it is +inf.
     */
    default double conjugate(double s) {
        if (s <= derivative(0.0)) {
            return -atZero();
        }
        if (s >= slopeAtInfinity()) {
            return Double.POSITIVE_INFINITY;
        }
        double t = inverseDerivative(s);
        return s * t - f(t);
    }

    /** One cell's contribution q f(p/q) with the zero conventions above. */
    default double term(double p, double q) {
        if (q > 0) {
            return p > 0 ? q * f(p / q) : q * atZero();
        }
        return p > 0 ? p * slopeAtInfinity() : 0.0;
    }

    /**
     * d/dq of {@link #term}: f(t) - t f'(t) with t = p/q. Together with the softmax Jacobian this is
     * the gradient of any f-divergence with respect to the model's logits.
     */
    default double termDerivativeWrtQ(double p, double q) {
        if (p == 0) {
            return atZero();
        }
        double t = p / q;
        return f(t) - t * derivative(t);
    }

    /** D_f(p||q) summed over checked probability vectors. */
    default double divergence(double[] p, double[] q) {
        double d = 0;
        for (int i = 0; i < p.length; i++) {
            d += term(p[i], q[i]);
        }
        return d;
    }
}
