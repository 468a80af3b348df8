package dev.divergence.inference.decoding;

import dev.divergence.math.divergence.Information;
import dev.divergence.model.generation.GenerationConfig;
import dev.divergence.model.generation.TokenRanking;
import java.util.SplittableRandom;

/**
 * Chooses a token from combined scores, and knows the final distribution it chose from: for
 * temperature 0 the argmax of softmax(scores); otherwise softmax(scores / temperature) cut to the
 * top-k tokens and to the smallest set reaching top-p, sampled with a generator seeded by the
 * request, so the same request gives the same tokens. libs/model's Sampler picks the same way but
 * does not expose the distribution, which log-probs and entropy need.
 */
final class TokenSampler {

    /** A chosen token, its log-probability under the final distribution, and that distribution. */
    record Pick(long token, double logProb, double[] distribution) {

        double entropy() {
            return Information.entropy(distribution);
        }
    }

    private final GenerationConfig config;
    private final SplittableRandom random;

    TokenSampler(GenerationConfig config) {
        this.config = config;
        this.random = new SplittableRandom(config.seed());
    }

    Pick pick(float[] scores) {
        if (config.isGreedy()) {
            double[] p = Distributions.softmax(scores);
            int best = 0;
            for (int i = 1; i < scores.length; i++) {
                if (scores[i] > scores[best]) {
                    best = i;
                }
            }
            return new Pick(best, Math.log(p[best]), p);
        }
        double[] p = truncate(Distributions.softmax(scores, config.temperature()));
        double u = random.nextDouble();
        double cumulative = 0;
        int pick = -1;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0) {
                pick = i;
                cumulative += p[i];
                if (u < cumulative) {
                    break;
                }
            }
        }
        return new Pick(pick, Math.log(p[pick]), p);
    }

    /**
     * Zeroes what top-k and top-p cut, then renormalises. Only the ranks the cuts read are sorted
     * (libs/model's TokenRanking: partial selection on primitives), not the whole vocabulary.
     */
    private double[] truncate(double[] p) {
        int vocab = p.length;
        boolean topK = config.topK() > 0 && config.topK() < vocab;
        boolean topP = config.topP() < 1;
        if (!topK && !topP) {
            return p;
        }
        TokenRanking ranking = new TokenRanking(p);
        int keep = topK ? config.topK() : vocab;
        if (topP) {
            double kept = 0;
            if (topK) {
                for (int r = 0; r < keep; r++) {
                    kept += p[ranking.token(r)];
                }
            } else {
                for (double v : p) {
                    kept += v;
                }
            }
            double cumulative = 0;
            for (int r = 0; r < keep; r++) {
                cumulative += p[ranking.token(r)] / kept;
                if (cumulative >= config.topP()) {
                    keep = r + 1;
                    break;
                }
            }
        }
        double[] cut = new double[vocab];
        for (int r = 0; r < keep; r++) {
            int token = ranking.token(r);
            cut[token] = p[token];
        }
        double total = 0;
        for (double v : cut) {
            total += v;
        }
        for (int i = 0; i < vocab; i++) {
            cut[i] /= total;
        }
        return cut;
    }
}
