package dev.divergence.inference.decoding;

import dev.divergence.math.logits.LogitsBatch;
import dev.divergence.math.logits.LogitsDivergence;
import dev.divergence.math.logits.LogitsOptions;

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
     */
    static AlphaRule jensenShannon(double floor) {
        LogitsDivergence js = LogitsDivergence.of("js");
        return (withContext, withoutContext) -> {
            int vocab = withContext.length;
            double divergence = js.perRow(LogitsBatch.ofFloats(withContext, 1, vocab), LogitsBatch.ofFloats(withoutContext, 1, vocab),
                    LogitsOptions.defaults())[0];
            return Math.max(floor, Math.max(0.0, divergence));
        };
    }
}
