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
        for (float s : scores) {
            max = Math.max(max, s);
        }
        if (max == Double.NEGATIVE_INFINITY || Double.isNaN(max)) {
            throw new IllegalStateException("every token was forbidden by the decoding strategy");
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
