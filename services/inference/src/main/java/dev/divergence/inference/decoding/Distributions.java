package dev.divergence.inference.decoding;

/** Softmax in double precision, stable for any scores but NaN and any temperature > 0. */
final class Distributions {

    private Distributions() {
    }

    static double[] softmax(float[] scores) {
        return softmax(scores, 1.0);
    }

    static double[] softmax(float[] scores, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < scores.length; i++) {
            if (Float.isNaN(scores[i])) {
                // a backend's broken logits, not a decoding decision: say so rather than blame the strategy
                throw new IllegalStateException("the scores of this step are NaN at token " + i + " (the model's logits are not finite)");
            }
            max = Math.max(max, scores[i]);
        }
        if (max == Double.NEGATIVE_INFINITY) {
            throw new IllegalStateException("every token was forbidden by the decoding strategy (masked in the logits of a stream it uses)");
        }
        double[] p = new double[scores.length];
        double total = 0;
        for (int i = 0; i < scores.length; i++) {
            // the maximum is subtracted before dividing, so every exponent is <= 0 for any positive
            // temperature: a vanishing one (1e-30, Double.MIN_VALUE) sends the others to -inf and
            // weight 0, which is greedy. Scores equal to the maximum weigh 1 without subtracting, so a
            // +inf score (an overflowed logit) takes the mass instead of computing inf - inf = NaN;
            // masked tokens (-inf) weigh 0.
            p[i] = scores[i] == max ? 1 : Math.exp((scores[i] - max) / temperature);
            total += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= total;
        }
        return p;
    }
}
