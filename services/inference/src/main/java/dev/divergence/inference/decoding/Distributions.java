package dev.divergence.inference.decoding;

/** Softmax in double precision, stable for any finite or -inf scores. */
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
            p[i] = Math.exp((scores[i] - max) / temperature);
            total += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= total;
        }
        return p;
    }
}
