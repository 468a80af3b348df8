package dev.divergence.inference.decoding;

/**
 * A strategy's combined scores for one step (logits, or log-probabilities; -inf forbids a token)
 * and what it decided along the way.
 *
 * @param alpha the contrast weight of cad/adacad, null for other strategies
 * @param confident uscd's choice (true: standard distribution as is), null for other strategies
 */
public record StepScores(float[] scores, Double alpha, Boolean confident) {

    public static StepScores plain(float[] scores) {
        return new StepScores(scores, null, null);
    }
}
