package dev.divergence.model.generation;

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
        for (int i = 0; i < n; i++) {
            if (Float.isNaN(scores[i])) {
                throw new IllegalStateException("the score of token " + i + " is NaN");
            }
        }
        double temperature = config.temperature();
        boolean topK = config.topK() > 0 && config.topK() < n;
        boolean topP = config.topP() < 1;
        // only the ranks top-k and top-p read are sorted (partial selection on primitives); without
        // either cut the tokens are sampled in id order and nothing is ranked
        TokenRanking ranking = topK || topP ? TokenRanking.ofScores(scores) : null;
        float max = ranking != null ? scores[ranking.token(0)] : scores[argmax(scores)];
        if (max == Float.NEGATIVE_INFINITY) {
            throw new IllegalStateException("every token was forbidden by the logits processor");
        }
        int candidates = topK ? config.topK() : n;
        double total = 0;
        for (int r = 0; r < candidates; r++) {
            total += weight(scores[topK ? ranking.token(r) : r], max, temperature);
        }
        int keep = candidates;
        double keptTotal = total;
        if (topP) {
            // smallest prefix (by descending probability) whose mass reaches top_p; always >= 1 token
            double cumulative = 0;
            keptTotal = 0;
            for (int r = 0; r < candidates; r++) {
                double weight = weight(scores[ranking.token(r)], max, temperature);
                cumulative += weight / total;
                keptTotal += weight;
                if (cumulative >= config.topP()) {
                    keep = r + 1;
                    break;
                }
            }
        }
        double u = random.nextDouble() * keptTotal;
        int pick = -1;
        double pickWeight = 0;
        double acc = 0;
        for (int r = 0; r < keep; r++) {
            int token = ranking != null ? ranking.token(r) : r;
            double weight = weight(scores[token], max, temperature);
            if (weight > 0) {
                pick = token;
                pickWeight = weight;
            }
            acc += weight;
            if (u < acc) {
                break;
            }
        }
        return new Choice(pick, (float) Math.log(pickWeight / keptTotal));
    }

    /**
     * exp((score - max) / T): the best score weighs 1 and the others less. Subtracting the maximum
     * before dividing keeps every exponent <= 0 for any positive T: with a vanishing T (1e-30,
     * Double.MIN_VALUE) the others' exponents overflow to -inf and weigh 0, which is greedy, where
     * score / T - max / T would be inf - inf = NaN. Scores equal to the maximum weigh 1 without the
     * division, so an infinite maximum never computes inf - inf either; masked tokens (-inf) weigh 0.
     */
    private static double weight(float score, float max, double temperature) {
        return score == max ? 1 : Math.exp(((double) score - max) / temperature);
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
