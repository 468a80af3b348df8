package dev.divergence.model.generation;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Turns scores into one token: greedy argmax, or temperature + top-k + top-p sampling with a
 * seeded generator. Runs on the host: one vocabulary row per step is small next to the forward.
 */
public final class Sampler {

    private final GenerationConfig config;
    private final SplittableRandom random;

    public Sampler(GenerationConfig config) {
        this.config = config;
        this.random = new SplittableRandom(config.seed());
    }

    /** A chosen token and its log-probability under the distribution actually sampled from. */
    public record Choice(long token, float logProb) {
    }

    public Choice choose(float[] scores) {
        if (config.isGreedy()) {
            int best = argmax(scores);
            if (scores[best] == Float.NEGATIVE_INFINITY || Float.isNaN(scores[best])) {
                throw new IllegalStateException("every token was forbidden by the logits processor");
            }
            return new Choice(best, 0f);
        }
        int n = scores.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(scores[b], scores[a]));
        int keep = config.topK() > 0 ? Math.min(config.topK(), n) : n;
        double max = scores[order[0]] / config.temperature();
        if (Double.isInfinite(max) || Double.isNaN(max)) {
            throw new IllegalStateException("every token was forbidden by the logits processor");
        }
        double[] probs = new double[keep];
        double total = 0;
        for (int i = 0; i < keep; i++) {
            probs[i] = Math.exp(scores[order[i]] / config.temperature() - max);
            total += probs[i];
        }
        if (config.topP() < 1) {
            // smallest prefix (by descending probability) whose mass reaches top_p; always >= 1 token
            double cumulative = 0;
            int cut = keep;
            for (int i = 0; i < keep; i++) {
                cumulative += probs[i] / total;
                if (cumulative >= config.topP()) {
                    cut = i + 1;
                    break;
                }
            }
            keep = cut;
            total = 0;
            for (int i = 0; i < keep; i++) {
                total += probs[i];
            }
        }
        double u = random.nextDouble() * total;
        int pick = keep - 1;
        double acc = 0;
        for (int i = 0; i < keep; i++) {
            acc += probs[i];
            if (u < acc) {
                pick = i;
                break;
            }
        }
        return new Choice(order[pick], (float) Math.log(probs[pick] / total));
    }

    static int argmax(float[] scores) {
        int best = 0;
        for (int i = 1; i < scores.length; i++) {
            if (scores[i] > scores[best]) {
                best = i;
            }
        }
        return best;
    }
}
