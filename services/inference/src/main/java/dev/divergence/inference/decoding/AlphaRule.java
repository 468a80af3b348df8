package dev.divergence.inference.decoding;

import dev.divergence.math.divergence.Divergence;
import dev.divergence.math.divergence.DivergenceRegistry;

/** The contrast weight of one context-aware step, from the logits with and without the context. */
@FunctionalInterface
public interface AlphaRule {

    double alpha(float[] withContext, float[] withoutContext);

    /** CAD: the same weight at every step. */
    static AlphaRule constant(double alpha) {
        return (withContext, withoutContext) -> alpha;
    }

    /**
     * AdaCAD: the Jensen-Shannon divergence (natural log) of the two unfiltered next-token
     * distributions, so in [0, ln 2], raised to {@code floor} when below it.
     *
     * <p>Both distributions are float64 softmaxes, in which a masked token (logit -inf) has
     * probability exactly 0, and the registry's js counts 0 log 0 as 0: a token masked in both
     * streams adds nothing, one masked in a single stream adds its mass in the other times ln(2)/2.
     * (libs/divergence's fused logits kernels reject non-finite logits, so they cannot take masks.)
     */
    static AlphaRule jensenShannon(double floor) {
        Divergence js = DivergenceRegistry.create("js");
        return (withContext, withoutContext) -> {
            double divergence = js.unchecked(Distributions.softmax(withContext), Distributions.softmax(withoutContext));
            return Math.max(floor, Math.max(0.0, divergence));
        };
    }
}
