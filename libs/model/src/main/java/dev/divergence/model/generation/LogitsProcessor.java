package dev.divergence.model.generation;

/**
 * Hook between the model's next-token logits and the sampler: contrastive decoding (CAD,
 * AdaCAD, USCD) and constraints plug in here. Processors may keep state (e.g. their own
 * decoding session on a second context) and see everything generated so far.
 */
@FunctionalInterface
public interface LogitsProcessor {

    LogitsProcessor NONE = (step, logits) -> logits;

    /**
     * Returns the scores to sample from (the same array modified in place, or a new one of the
     * same length). Use {@code Float.NEGATIVE_INFINITY} to forbid a token.
     */
    float[] process(DecodingStep step, float[] logits);

    default LogitsProcessor andThen(LogitsProcessor next) {
        return (step, logits) -> next.process(step, process(step, logits));
    }
}
