package dev.divergence.math.divergence;

import dev.divergence.math.Checks;
import dev.divergence.math.Normalisation;

import java.util.Map;
import java.util.Optional;

/**
 * A divergence D(p || q) between a target distribution p (teacher, reference, data) and a model
 * distribution q (student, policy), both over the same finite support. Obtain instances from
 * {@link DivergenceRegistry} by their vocabulary name.
 */
public interface Divergence {

    /** The vocabulary name (ARCHITECTURE.md, "Conventions"), e.g. {@code kl}, {@code jsd}. */
    String name();

    /** The parameters this instance was created with (e.g. {@code beta} for jsd), possibly empty. */
    Map<String, Double> parameters();

    /** D(p||q) for inputs the caller has already checked (same length, non-negative, sum one). */
    double unchecked(double[] p, double[] q);

    /** The f-divergence generator, for divergences of the f family. */
    Optional<FGenerator> generator();

    /**
     * Writes dD/dq_i (partial derivatives treating every q_i as free) into {@code out}. Composed with
     * the softmax Jacobian this gives the gradient with respect to the model's logits.
     */
    void gradientWrtModelUnchecked(double[] p, double[] q, double[] out);

    /** D(p||q) for probability vectors that must already sum to one. */
    default double between(double[] p, double[] q) {
        return between(p, q, Normalisation.REQUIRE_NORMALISED);
    }

    /** D(p||q) after checking both vectors, normalising them first when asked. */
    default double between(double[] p, double[] q, Normalisation normalisation) {
        double[] checkedP = Checks.distribution(p, "p", normalisation);
        double[] checkedQ = Checks.distribution(q, "q", normalisation);
        Checks.sameLength(p.length, q.length, "q");
        return unchecked(checkedP, checkedQ);
    }
}
