package dev.divergence.math.provenance;

import dev.divergence.math.DiversityProvenanceFixture;
import dev.divergence.math.Reference;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The zero-shot provenance statistic against a hand computation, against the Python reference, and as a test:
 * texts sampled from random models are declared consistent at rate >= 1 - delta, texts from another source or
 * greedy decoding are not.
 */
class ZeroShotProvenanceTest {

    private static final double EPS = Math.ulp(1.0);

    @Test
    void handComputedExample() {
        // two positions over V = 2: p_1 = (1/2, 1/2), token probability 1/2; p_2 = (1/4, 3/4), observed the 1/4 token
        double h2 = -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75));
        ZeroShotProvenance.Result r = ZeroShotProvenance.test(new double[]{Math.log(0.5), Math.log(0.25)},
                new double[]{Math.log(2), h2}, 2, 0.1);
        assertThat(r.meanLogPerplexity()).isCloseTo((Math.log(2) + Math.log(4)) / 2, within(4 * EPS));
        assertThat(r.meanEntropy()).isCloseTo((Math.log(2) + h2) / 2, within(4 * EPS));
        assertThat(r.statistic()).isCloseTo((Math.log(4) - h2) / 2, within(8 * EPS));
        // B = log(2 n V / delta) = log 80, tau = B sqrt(log(40) / 4), eps = 0.1 / (4 e)
        double tau = Math.log(80) * Math.sqrt(Math.log(40) / 4);
        assertThat(r.clipBound()).isCloseTo(Math.log(80), within(4 * EPS * Math.log(80)));
        assertThat(r.upperThreshold()).isCloseTo(tau, within(8 * EPS * tau));
        assertThat(r.lowerThreshold()).isCloseTo(-(tau + 0.1 / (4 * Math.E)), within(8 * EPS * tau));
        assertThat(r.tokens()).isEqualTo(2);
        assertThat(r.consistentWithModel()).isTrue();
    }

    @Test
    void impossibleTokenIsInconsistent() {
        ZeroShotProvenance.Result r = ZeroShotProvenance.test(new double[]{-0.1, Double.NEGATIVE_INFINITY},
                new double[]{0.5, 0.5}, 10, 0.05);
        assertThat(r.statistic()).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(r.consistentWithModel()).isFalse();
    }

    /**
     * Against the reference: the means are sums of n terms in another order than numpy's pairwise sum, n eps of
     * the sum of magnitudes apart at most (n = 5000 in the largest case); T inherits both errors. Thresholds are a
     * few elementary functions of exact inputs: 1e-14 relative.
     */
    @Test
    void matchesPythonReference() {
        int checked = 0;
        int consistent = 0;
        for (JsonNode c : DiversityProvenanceFixture.section("provenance")) {
            double[] logProbabilities = Reference.vector(c.get("log_probs"));
            double[] entropies = Reference.vector(c.get("entropies"));
            int n = logProbabilities.length;
            int vocabulary = c.get("vocabulary_size").asInt();
            for (JsonNode r : c.get("results")) {
                double delta = r.get("delta").doubleValue();
                String what = c.get("name").asString() + " delta=" + delta;
                ZeroShotProvenance.Result result = ZeroShotProvenance.test(logProbabilities, entropies, vocabulary, delta);
                double meanS = r.get("mean_log_perplexity").doubleValue();
                double meanH = r.get("mean_entropy").doubleValue();
                double accumulation = n * EPS * (Math.abs(meanS) + Math.abs(meanH));
                assertThat(result.meanLogPerplexity()).as(what).isCloseTo(meanS, within(1e-12 * meanS + accumulation));
                assertThat(result.meanEntropy()).as(what).isCloseTo(meanH, within(1e-12 * meanH + accumulation));
                double t = r.get("statistic").doubleValue();
                assertThat(result.statistic()).as(what).isCloseTo(t, within(1e-12 * Math.abs(t) + 2 * accumulation));
                for (String key : new String[]{"clip_bound", "upper_threshold", "lower_threshold"}) {
                    double expected = r.get(key).doubleValue();
                    double actual = switch (key) {
                        case "clip_bound" -> result.clipBound();
                        case "upper_threshold" -> result.upperThreshold();
                        default -> result.lowerThreshold();
                    };
                    assertThat(actual).as(what + " " + key).isCloseTo(expected, within(1e-14 * Math.abs(expected)));
                }
                assertThat(result.consistentWithModel()).as(what).isEqualTo(r.get("consistent").asBoolean());
                consistent += result.consistentWithModel() ? 1 : 0;
                assertThat(result.tokens()).isEqualTo(n);
                checked++;
            }
        }
        assertThat(checked).isEqualTo(12);
        assertThat(consistent).as("both decisions occur in the reference").isEqualTo(6);
    }

    /**
     * Validity at level delta = 0.05: 300 independent texts (seeded) sampled from random models (V from 2 to 200,
     * n from 1 to 400, logit scales from 0.1 to 8 so that peaked distributions with surprisals far above the mean
     * occur). Each is declared inconsistent with probability at most delta, independently, so the count X of
     * rejections is stochastically below Binomial(300, 0.05). The test fails when X >= 45 (15 %); by the Chernoff
     * bound P(X >= 45) <= exp(-300 KL(0.15 || 0.05)) = exp(-300 x 0.0703) = 7e-10 for a correct threshold.
     */
    @Test
    void textsSampledFromTheModelAreConsistentAtRateOneMinusDelta() {
        long seed = 20261206L;
        Random random = new Random(seed);
        double delta = 0.05;
        int trials = 300;
        int rejected = 0;
        StringBuilder rejections = new StringBuilder();
        for (int trial = 0; trial < trials; trial++) {
            int vocabulary = 2 + random.nextInt(199);
            int n = 1 + random.nextInt(400);
            double scale = 0.1 + 7.9 * random.nextDouble();
            Text text = sample(random, vocabulary, n, scale, Source.MODEL);
            ZeroShotProvenance.Result r = ZeroShotProvenance.test(text.logProbabilities, text.entropies, vocabulary, delta);
            if (!r.consistentWithModel()) {
                rejected++;
                rejections.append("trial ").append(trial).append(": ").append(r).append('\n');
            }
        }
        System.out.printf("zero-shot provenance, seed %d: %d of %d sampled texts rejected at delta %s%n", seed, rejected, trials, delta);
        assertThat(rejected).as("seed %d, rejections:%n%s", seed, rejections).isLessThan(45);
    }

    /**
     * Power: with n = 4000 tokens over V = 50 (B = log(8e6) = 15.9, tau = 0.37) the threshold is not vacuous. Tokens
     * drawn uniformly instead of from the peaked model have E[s] = mean of -log p over the vocabulary, far above the
     * entropy (T of several nats); greedy tokens have s_i = -log max p <= H_i, and for these logits (scale 3) the gap
     * is about 1 nat, beyond -tau.
     */
    @Test
    void otherSourcesAreDetected() {
        long seed = 99L;
        Random random = new Random(seed);
        int vocabulary = 50;
        int n = 4000;
        Text uniform = sample(random, vocabulary, n, 3.0, Source.UNIFORM);
        ZeroShotProvenance.Result r = ZeroShotProvenance.test(uniform.logProbabilities, uniform.entropies, vocabulary, 0.05);
        assertThat(r.upperThreshold()).as("seed %d", seed).isLessThan(0.4);
        assertThat(r.statistic()).as("seed %d: %s", seed, r).isGreaterThan(r.upperThreshold());
        assertThat(r.consistentWithModel()).isFalse();

        Text greedy = sample(random, vocabulary, n, 3.0, Source.GREEDY);
        ZeroShotProvenance.Result g = ZeroShotProvenance.test(greedy.logProbabilities, greedy.entropies, vocabulary, 0.05);
        assertThat(g.statistic()).as("seed %d: %s", seed, g).isLessThan(g.lowerThreshold());
        assertThat(g.consistentWithModel()).isFalse();
    }

    @Test
    void badInputNamesTheArgumentAndIndex() {
        assertThatThrownBy(() -> ZeroShotProvenance.test(new double[]{-1, 0.1}, new double[]{1, 1}, 10, 0.05))
                .hasMessageStartingWith("tokenLogProbabilities[1]: must be a log-probability <= 0");
        assertThatThrownBy(() -> ZeroShotProvenance.test(new double[]{-1, -1}, new double[]{1, 3}, 10, 0.05))
                .hasMessageStartingWith("entropies[1]: must be in [0, log(vocabularySize)");
        assertThatThrownBy(() -> ZeroShotProvenance.test(new double[]{-1}, new double[]{-0.5}, 10, 0.05))
                .hasMessageStartingWith("entropies[0]:");
        assertThatThrownBy(() -> ZeroShotProvenance.test(new double[]{-1}, new double[]{1, 1}, 10, 0.05))
                .hasMessageStartingWith("entropies: has length 2 but 1");
        assertThatThrownBy(() -> ZeroShotProvenance.test(new double[]{-1}, new double[]{0.5}, 1, 0.05))
                .hasMessageStartingWith("vocabularySize: must be at least 2");
        assertThatThrownBy(() -> ZeroShotProvenance.test(new double[]{-1}, new double[]{0.5}, 10, 1.0))
                .hasMessageStartingWith("delta: must be in (0, 1)");
        assertThatThrownBy(() -> ZeroShotProvenance.test(new double[0], new double[0], 10, 0.05))
                .hasMessageStartingWith("tokenLogProbabilities: must not be empty");
    }

    private enum Source { MODEL, UNIFORM, GREEDY }

    private record Text(double[] logProbabilities, double[] entropies) {
    }

    /** A text of n tokens: at each position a fresh model distribution softmax(scale z), z standard normal. */
    private static Text sample(Random random, int vocabulary, int n, double scale, Source source) {
        double[] logProbabilities = new double[n];
        double[] entropies = new double[n];
        double[] logits = new double[vocabulary];
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < vocabulary; v++) {
                logits[v] = scale * random.nextGaussian();
                max = Math.max(max, logits[v]);
            }
            double sum = 0;
            for (int v = 0; v < vocabulary; v++) {
                sum += Math.exp(logits[v] - max);
            }
            double logSum = Math.log(sum);
            double entropy = 0;
            int argmax = 0;
            for (int v = 0; v < vocabulary; v++) {
                double lp = logits[v] - max - logSum;
                entropy -= Math.exp(lp) * lp;
                if (logits[v] > logits[argmax]) {
                    argmax = v;
                }
            }
            int token = switch (source) {
                case UNIFORM -> random.nextInt(vocabulary);
                case GREEDY -> argmax;
                case MODEL -> {
                    double u = random.nextDouble();
                    int chosen = vocabulary - 1;
                    double cumulative = 0;
                    for (int v = 0; v < vocabulary; v++) {
                        cumulative += Math.exp(logits[v] - max - logSum);
                        if (u < cumulative) {
                            chosen = v;
                            break;
                        }
                    }
                    yield chosen;
                }
            };
            logProbabilities[i] = logits[token] - max - logSum;
            entropies[i] = Math.max(0, entropy);
        }
        return new Text(logProbabilities, entropies);
    }
}
