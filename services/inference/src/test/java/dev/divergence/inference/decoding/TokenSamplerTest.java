package dev.divergence.inference.decoding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.divergence.model.generation.GenerationConfig;
import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The sampler's final distribution and choices against a plain reference written here: the
 * tempered softmax, the whole vocabulary sorted (boxed, lower id first among equals), the top k
 * kept, then the smallest prefix whose renormalised mass reaches top_p, renormalised; the token
 * drawn by walking that distribution in id order with a generator seeded like the request's.
 */
class TokenSamplerTest {

    private static final long SEED = 42_2026_1206L;

    @Test
    void randomCutsGiveTheReferencesDistributionAndTokens() {
        SplittableRandom random = new SplittableRandom(SEED);
        double[] temperatures = {0.5, 1.0, 1.7};
        double[] topPs = {1.0, 0.3, 0.9, 0.999};
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + random.nextInt(2000);
            float[] scores = new float[n];
            boolean coarse = random.nextBoolean();
            for (int i = 0; i < n; i++) {
                double v = random.nextDouble(-8, 8);
                scores[i] = (float) (coarse ? Math.rint(v * 2) / 2 + 0.0 : v);
                if (i > 0 && random.nextInt(20) == 0) {
                    scores[i] = Float.NEGATIVE_INFINITY;
                }
            }
            int[] topKs = {0, 1, 1 + random.nextInt(Math.max(1, n / 4)), n, n + 3};
            GenerationConfig config = GenerationConfig.sampling(1, temperatures[random.nextInt(3)], topKs[random.nextInt(5)],
                    topPs[random.nextInt(4)], random.nextLong());
            double[] expected = referenceDistribution(scores, config);
            TokenSampler sampler = new TokenSampler(config);
            SplittableRandom referenceRandom = new SplittableRandom(config.seed());
            for (int draw = 0; draw < 10; draw++) {
                TokenSampler.Pick pick = sampler.pick(scores);
                String why = "seed " + SEED + " trial " + trial + " draw " + draw + " n=" + n + " " + config;
                // the same kept set, and probabilities equal up to float64 sums in another order:
                // relative error <= n * 2^-53 per normalisation, two of them
                for (int i = 0; i < n; i++) {
                    if (expected[i] == 0) {
                        assertThat(pick.distribution()[i]).as(why + " token " + i).isZero();
                    } else {
                        assertThat(pick.distribution()[i]).as(why + " token " + i)
                                .isCloseTo(expected[i], within(2 * n * 0x1p-53 * expected[i]));
                    }
                }
                int token = referenceDraw(expected, referenceRandom.nextDouble());
                assertThat(pick.token()).as(why).isEqualTo(token);
                assertThat(pick.logProb()).as(why).isCloseTo(Math.log(expected[token]), within(4 * n * 0x1p-53));
            }
        }
    }

    /**
     * A positive temperature so small that (score - max) / T leaves float64's range for every
     * token but the best: the final distribution is the argmax's point mass, exactly what greedy
     * chooses, with log-probability 0 and entropy 0 (no NaN from inf / inf or 0 * log 0). Scores
     * span float32's range and include masked tokens (-inf); the best score is unique.
     */
    @Test
    void aVanishingTemperatureChoosesWhatGreedyChooses() {
        long seed = 13_2026_1206L;
        SplittableRandom random = new SplittableRandom(seed);
        double[] temperatures = {1e-30, 1e-300, Double.MIN_VALUE};
        int[] topKs = {0, 1, 3};
        double[] topPs = {1.0, 0.5};
        for (int trial = 0; trial < 300; trial++) {
            int n = 2 + random.nextInt(300);
            float[] scores = new float[n];
            double magnitude = trial % 3 == 0 ? 1e38 : trial % 3 == 1 ? 10 : 1e-3;
            for (int i = 0; i < n; i++) {
                scores[i] = random.nextInt(10) == 0 ? Float.NEGATIVE_INFINITY : (float) random.nextDouble(-magnitude, magnitude);
            }
            int best = random.nextInt(n);
            scores[best] = (float) magnitude * 1.5f;
            GenerationConfig config = GenerationConfig.sampling(1, temperatures[random.nextInt(temperatures.length)],
                    topKs[random.nextInt(topKs.length)], topPs[random.nextInt(topPs.length)], random.nextLong());
            String why = "seed " + seed + " trial " + trial + " n=" + n + " best=" + best + " " + config;
            TokenSampler.Pick greedy = new TokenSampler(GenerationConfig.greedy(1)).pick(scores);
            TokenSampler.Pick pick = new TokenSampler(config).pick(scores);
            assertThat(greedy.token()).as(why).isEqualTo(best);
            assertThat(pick.token()).as(why).isEqualTo(best);
            assertThat(pick.logProb()).as(why).isZero();
            assertThat(pick.entropy()).as(why).isZero();
            for (int i = 0; i < n; i++) {
                assertThat(pick.distribution()[i]).as(why + " token " + i).isEqualTo(i == best ? 1.0 : 0.0);
            }
        }
    }

    /**
     * A score of +inf (a float32 logit that overflowed) is the maximum: subtracting it from itself
     * would be inf - inf = NaN, so it takes the whole mass, greedy or sampled at any temperature.
     */
    @Test
    void anInfiniteScoreTakesTheWholeMassInsteadOfMakingItNaN() {
        float[] scores = {1f, Float.POSITIVE_INFINITY, 0f, Float.NEGATIVE_INFINITY};
        for (GenerationConfig config : new GenerationConfig[] {GenerationConfig.greedy(1), GenerationConfig.sampling(1, 0.7, 0, 1.0, 3),
                GenerationConfig.sampling(1, 1e-30, 2, 0.9, 4)}) {
            TokenSampler.Pick pick = new TokenSampler(config).pick(scores);
            assertThat(pick.token()).as(config.toString()).isEqualTo(1);
            assertThat(pick.logProb()).as(config.toString()).isZero();
            assertThat(pick.distribution()).as(config.toString()).containsExactly(0.0, 1.0, 0.0, 0.0);
        }
    }

    private static double[] referenceDistribution(float[] scores, GenerationConfig config) {
        int n = scores.length;
        double max = Double.NEGATIVE_INFINITY;
        for (float s : scores) {
            max = Math.max(max, s);
        }
        double[] p = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp((scores[i] - max) / config.temperature());
            sum += p[i];
        }
        for (int i = 0; i < n; i++) {
            p[i] /= sum;
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -p[i]).thenComparingInt(i -> i));
        int keep = config.topK() > 0 ? Math.min(config.topK(), n) : n;
        double keptMass = 0;
        for (int r = 0; r < keep; r++) {
            keptMass += p[order[r]];
        }
        if (config.topP() < 1) {
            double cumulative = 0;
            for (int r = 0; r < keep; r++) {
                cumulative += p[order[r]] / keptMass;
                if (cumulative >= config.topP()) {
                    keep = r + 1;
                    break;
                }
            }
        }
        double[] cut = new double[n];
        double total = 0;
        for (int r = 0; r < keep; r++) {
            cut[order[r]] = p[order[r]];
            total += p[order[r]];
        }
        for (int i = 0; i < n; i++) {
            cut[i] /= total;
        }
        return cut;
    }

    /** The first token whose cumulative probability (id order) exceeds u; the last kept token when round-off leaves u above all. */
    private static int referenceDraw(double[] p, double u) {
        double cumulative = 0;
        int last = -1;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0) {
                last = i;
                cumulative += p[i];
                if (u < cumulative) {
                    return i;
                }
            }
        }
        return last;
    }
}
