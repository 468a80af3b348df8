package dev.divergence.inference.decoding;

import java.util.List;

/**
 * How the next-token logits of one or more streams become the scores a token is chosen from.
 * Sampling options (temperature, top-k, top-p) apply afterwards, to the combined scores.
 */
public interface DecodingStrategy {

    /** The name requests use ("greedy", "cad", ...). */
    String name();

    /** One prompt per stream, in the order {@link #combine} receives their logits. */
    List<long[]> streamPrompts(PromptTokens tokens);

    /** Combines this step's logits, one row per stream; must not modify the rows. */
    StepScores combine(float[][] logits);
}
