package dev.divergence.model.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Sampling semantics on the host, no engine needed. */
class SamplerTest {

    private static final float[] SCORES = logs(0.5, 0.3, 0.15, 0.05);

    private static float[] logs(double... p) {
        float[] out = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            out[i] = (float) Math.log(p[i]);
        }
        return out;
    }

    private static double[] frequencies(GenerationConfig config, int n) {
        Sampler sampler = new Sampler(config);
        double[] counts = new double[SCORES.length];
        for (int i = 0; i < n; i++) {
            counts[(int) sampler.choose(SCORES).token()]++;
        }
        for (int i = 0; i < counts.length; i++) {
            counts[i] /= n;
        }
        return counts;
    }

    @Test
    void temperatureOneSamplesTheSoftmax() {
        double[] f = frequencies(GenerationConfig.sampling(1, 1.0, 0, 1.0, 1), 40_000);
        assertThat(f[0]).isCloseTo(0.5, offset(0.015));
        assertThat(f[1]).isCloseTo(0.3, offset(0.015));
        assertThat(f[3]).isCloseTo(0.05, offset(0.01));
    }

    @Test
    void topPKeepsTheSmallestPrefixReachingP() {
        // 0.5 < 0.8 <= 0.5 + 0.3: tokens 0 and 1 remain, renormalised to 0.625 / 0.375
        double[] f = frequencies(GenerationConfig.sampling(1, 1.0, 0, 0.8, 2), 40_000);
        assertThat(f[0]).isCloseTo(0.625, offset(0.015));
        assertThat(f[2] + f[3]).isZero();
        Sampler.Choice c = new Sampler(GenerationConfig.sampling(1, 1.0, 0, 0.8, 3)).choose(SCORES);
        assertThat(c.logProb()).isCloseTo((float) Math.log(c.token() == 0 ? 0.625 : 0.375), offset(1e-5f));
    }

    @Test
    void topKAndTemperatureReshapeTheDistribution() {
        double[] k2 = frequencies(GenerationConfig.sampling(1, 1.0, 2, 1.0, 4), 20_000);
        assertThat(k2[2] + k2[3]).isZero();
        // temperature 0.5 squares the probabilities before renormalising: 0.25 : 0.09 : ...
        double[] cold = frequencies(GenerationConfig.sampling(1, 0.5, 0, 1.0, 5), 40_000);
        double z = 0.25 + 0.09 + 0.0225 + 0.0025;
        assertThat(cold[0]).isCloseTo(0.25 / z, offset(0.015));
    }

    /**
     * Seeded random rows, temperatures and cuts: every draw equals the draw of a plain reference
     * written here (sort the whole vocabulary, keep the top k, then the smallest prefix reaching
     * top_p, sample with the same generator), and its log-probability is the reference's.
     */
    @Test
    void randomCutsChooseWhatAFullSortChooses() {
        long seed = 7_2026_1206L;
        SplittableRandom random = new SplittableRandom(seed);
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
            Sampler sampler = new Sampler(config);
            SplittableRandom referenceRandom = new SplittableRandom(config.seed());
            Integer[] order = referenceOrder(scores);
            for (int draw = 0; draw < 20; draw++) {
                Sampler.Choice choice = sampler.choose(scores);
                long[] expected = referenceChoice(scores, order, config, referenceRandom);
                String why = "seed " + seed + " trial " + trial + " draw " + draw + " n=" + n + " " + config;
                assertThat(choice.token()).as(why).isEqualTo(expected[0]);
                // the log-probability is a float32 rounding of a float64 value |lp| <= ln(n) + 16 / T:
                // a few ulps of that magnitude, 4 * 2^-24 * (|lp| + 1), cover it
                double lp = Double.longBitsToDouble(expected[1]);
                assertThat((double) choice.logProb()).as(why).isCloseTo(lp, offset(4 * 0x1p-24 * (Math.abs(lp) + 1)));
            }
        }
    }

    /** Every token sorted by descending score, the lower id first among equals. */
    private static Integer[] referenceOrder(float[] scores) {
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -scores[i]).thenComparingInt(i -> i));
        return order;
    }

    /** {token, bits of its log-probability} as the plain procedure chooses it from the full sort. */
    private static long[] referenceChoice(float[] scores, Integer[] order, GenerationConfig config, SplittableRandom random) {
        int n = scores.length;
        double max = scores[order[0]] / config.temperature();
        int keep = config.topK() > 0 ? Math.min(config.topK(), n) : n;
        double[] weights = new double[n];
        double total = 0;
        for (int r = 0; r < n; r++) {
            weights[r] = Math.exp(scores[order[r]] / config.temperature() - max);
        }
        for (int r = 0; r < keep; r++) {
            total += weights[r];
        }
        if (config.topP() < 1) {
            double cumulative = 0;
            for (int r = 0; r < keep; r++) {
                cumulative += weights[r] / total;
                if (cumulative >= config.topP()) {
                    keep = r + 1;
                    break;
                }
            }
        }
        // sample the kept tokens in id order when nothing was cut (that is the order the sampler uses
        // then), in rank order otherwise
        boolean cut = config.topP() < 1 || (config.topK() > 0 && config.topK() < n);
        int[] walk = new int[keep];
        for (int r = 0; r < keep; r++) {
            walk[r] = cut ? order[r] : r;
        }
        double kept = 0;
        for (int token : walk) {
            kept += Math.exp(scores[token] / config.temperature() - max);
        }
        double u = random.nextDouble() * kept;
        double acc = 0;
        int pick = -1;
        for (int token : walk) {
            double w = Math.exp(scores[token] / config.temperature() - max);
            if (w > 0) {
                pick = token;
            }
            acc += w;
            if (u < acc) {
                break;
            }
        }
        double logProb = Math.log(Math.exp(scores[pick] / config.temperature() - max) / kept);
        return new long[] {pick, Double.doubleToLongBits(logProb)};
    }

    /**
     * A positive temperature so small that every score but the best one, divided by it, leaves
     * float64's range: sampling must become greedy (the argmax, log-probability 0) instead of
     * dividing inf by inf. Scores span float32's range (+-1e38) and include masked tokens (-inf);
     * the best score is unique, so greedy's choice is unambiguous.
     */
    @Test
    void aVanishingTemperatureChoosesTheArgmaxLikeGreedy() {
        long seed = 11_2026_1206L;
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
            Sampler.Choice greedy = new Sampler(GenerationConfig.greedy(1)).choose(scores);
            Sampler.Choice choice = new Sampler(config).choose(scores);
            assertThat(greedy.token()).as(why).isEqualTo(best);
            assertThat(choice.token()).as(why).isEqualTo(best);
            assertThat(choice.logProb()).as(why).isZero();
        }
    }

    /** A +inf score (an overflowed logit) is the maximum and takes the whole mass, at any temperature. */
    @Test
    void anInfiniteScoreIsChosenWithLogProbabilityZero() {
        float[] scores = {1f, Float.POSITIVE_INFINITY, 0f, Float.NEGATIVE_INFINITY};
        for (GenerationConfig config : new GenerationConfig[] {GenerationConfig.sampling(1, 0.7, 0, 1.0, 3),
                GenerationConfig.sampling(1, 1e-30, 2, 0.9, 4), GenerationConfig.sampling(1, 5.0, 0, 0.5, 5)}) {
            Sampler.Choice choice = new Sampler(config).choose(scores);
            assertThat(choice.token()).as(config.toString()).isEqualTo(1);
            assertThat(choice.logProb()).as(config.toString()).isZero();
        }
    }
}
