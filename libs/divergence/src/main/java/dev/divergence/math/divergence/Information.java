package dev.divergence.math.divergence;

import dev.divergence.math.Checks;
import dev.divergence.math.LogBase;
import dev.divergence.math.Normalisation;

/** Entropy, cross-entropy and perplexity of checked probability vectors (scipy.stats.entropy semantics). */
public final class Information {

    private Information() {
    }

    public static double entropy(double[] p, Normalisation normalisation, LogBase base) {
        return base.fromNats(ClosedForms.entropy(Checks.distribution(p, "p", normalisation)));
    }

    public static double entropy(double[] p) {
        return entropy(p, Normalisation.REQUIRE_NORMALISED, LogBase.NATS);
    }

    /** H(p, q) = H(p) + KL(p||q); +inf when q has no mass where p has some. */
    public static double crossEntropy(double[] p, double[] q, Normalisation normalisation, LogBase base) {
        double[] cp = Checks.distribution(p, "p", normalisation);
        double[] cq = Checks.distribution(q, "q", normalisation);
        Checks.sameLength(p.length, q.length, "q");
        return base.fromNats(ClosedForms.crossEntropy(cp, cq));
    }

    public static double crossEntropy(double[] p, double[] q) {
        return crossEntropy(p, q, Normalisation.REQUIRE_NORMALISED, LogBase.NATS);
    }

    /** Perplexity exp(H) of an entropy or mean token cross-entropy given in nats. */
    public static double perplexityFromNats(double meanNats) {
        if (Double.isNaN(meanNats) || meanNats < 0) {
            throw Checks.bad("meanNats", "must be a non-negative number but is " + meanNats);
        }
        return Math.exp(meanNats);
    }

    /** Perplexity of a distribution, exp(H(p)): the effective number of equally likely outcomes. */
    public static double perplexity(double[] p) {
        return Math.exp(entropy(p));
    }
}
