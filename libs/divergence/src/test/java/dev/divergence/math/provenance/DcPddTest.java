package dev.divergence.math.provenance;

import dev.divergence.math.DiversityProvenanceFixture;
import dev.divergence.math.Reference;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * DC-PDD against a hand computation, against the Python reference (numpy, the paper's Laplace smoothing written
 * as (c + 1) / (N + |V|) then -log of it) and on random texts.
 *
 * <p>Tolerance against the reference: the library takes log(N + |V|) - log(c + 1), the script -log((c + 1) / (N + |V|));
 * both are within 2 eps |log(N + |V|)| of the exact value, which is at most 1e-15 relative to -log f for the
 * reference's counts (f <= 0.4, so -log f >= 0.9, and log(N + |V|) <= 11); exp of the same double and one product
 * add 2 eps; the mean over at most 80 values adds 80 eps. 1e-12 relative covers all of it with a factor > 10.
 */
class DcPddTest {

    private static final double RELATIVE = 1e-12;

    @Test
    void handComputedExample() {
        // counts [1, 0, 3]: N = 4, |V| = 3, f = [2/7, 1/7, 4/7]
        TokenFrequencies frequencies = TokenFrequencies.ofCounts(new long[]{1, 0, 3});
        assertThat(frequencies.smoothedFrequency(1)).isCloseTo(1.0 / 7, within(1e-16));
        // text ids 0, 2, 0, 1: the second 0 is a repeat and does not count
        int[] ids = {0, 2, 0, 1};
        double[] logProbabilities = {Math.log(0.5), Math.log(0.25), Math.log(0.9), 0.0};
        double alpha0 = 0.5 * Math.log(3.5);   // p = 0.5,  -log f = log(7/2) = 1.2528
        double alpha1 = 0.25 * Math.log(1.75); // p = 0.25, -log f = log(7/4) = 0.5596
        double alpha3 = 1.0 * Math.log(7);     // p = 1,    -log f = log 7   = 1.9459
        DcPdd.Result result = DcPdd.score(logProbabilities, ids, frequencies, 1.0);
        assertThat(result.positions()).containsExactly(0, 1, 3);
        assertThat(result.alphas()).containsExactly(new double[]{alpha0, alpha1, alpha3}, within(1e-15));
        assertThat(result.clippedAlphas()).containsExactly(new double[]{alpha0, alpha1, 1.0}, within(1e-15));
        assertThat(result.clippedCount()).isEqualTo(1);
        assertThat(result.score()).isCloseTo((alpha0 + alpha1 + 1.0) / 3, within(1e-15));
        // with the authors' a = 0.01 every alpha here is clipped
        assertThat(DcPdd.score(logProbabilities, ids, frequencies).score()).isEqualTo(0.01);
    }

    @Test
    void zeroProbabilityGivesAlphaZero() {
        DcPdd.Result result = DcPdd.score(new double[]{Double.NEGATIVE_INFINITY, Math.log(0.001)}, new int[]{0, 1},
                TokenFrequencies.ofCounts(new long[]{5, 5}), 1.0);
        assertThat(result.alphas()[0]).isZero();
        // N = 10, |V| = 2, f = 6 / 12 for both: alpha = 0.001 log 2
        assertThat(result.score()).isCloseTo(0.001 * Math.log(2) / 2, within(1e-18));
    }

    @Test
    void matchesPythonReference() {
        int checked = 0;
        for (JsonNode c : DiversityProvenanceFixture.section("dcpdd")) {
            TokenFrequencies frequencies = TokenFrequencies.ofCounts(DiversityProvenanceFixture.longs(c.get("counts")));
            int[] ids = DiversityProvenanceFixture.ints(c.get("token_ids"));
            double[] logProbabilities = Reference.vector(c.get("log_probs"));
            for (JsonNode r : c.get("results")) {
                double a = r.get("a").doubleValue();
                String what = c.get("name").asString() + " a=" + a;
                DcPdd.Result result = DcPdd.score(logProbabilities, ids, frequencies, a);
                assertThat(result.positions()).as(what).containsExactly(DiversityProvenanceFixture.ints(r.get("positions")));
                assertThat(result.clippedCount()).as(what).isEqualTo(r.get("clipped_count").asInt());
                assertVectorClose(what + " alphas", result.alphas(), Reference.vector(r.get("alphas")));
                assertVectorClose(what + " clipped", result.clippedAlphas(), Reference.vector(r.get("clipped_alphas")));
                double score = r.get("score").doubleValue();
                assertThat(result.score()).as(what).isCloseTo(score, within(RELATIVE * score));
                checked++;
            }
        }
        assertThat(checked).isEqualTo(20);
    }

    /**
     * Random texts: the score lies in [0, a] (up to the round-off of the mean), does not decrease when a grows, equals the mean of the unclipped
     * alphas once a exceeds them all, and ignores tokens appended after their first occurrence whatever their
     * probabilities.
     */
    @Test
    void randomTextsKeepTheInvariants() {
        long seed = 42L;
        Random random = new Random(seed);
        for (int trial = 0; trial < 300; trial++) {
            int vocabulary = 2 + random.nextInt(30);
            long[] counts = new long[vocabulary];
            for (int v = 0; v < vocabulary; v++) {
                counts[v] = random.nextInt(4) == 0 ? 0 : random.nextInt(10_000);
            }
            TokenFrequencies frequencies = TokenFrequencies.ofCounts(counts);
            int n = 1 + random.nextInt(40);
            int[] ids = new int[n];
            double[] logProbabilities = new double[n];
            for (int i = 0; i < n; i++) {
                ids[i] = random.nextInt(vocabulary);
                logProbabilities[i] = Math.log(random.nextDouble());
            }
            String what = "seed " + seed + " trial " + trial;
            double a = Math.pow(10, -3 + 3 * random.nextDouble());
            DcPdd.Result result = DcPdd.score(logProbabilities, ids, frequencies, a);
            // a mean of m values <= a: the summation may round up by m eps relative
            assertThat(result.score()).as(what).isBetween(0.0, a * (1 + result.alphas().length * Math.ulp(1.0)));
            assertThat(DcPdd.score(logProbabilities, ids, frequencies, 2 * a).score()).as(what).isGreaterThanOrEqualTo(result.score());
            double mean = Arrays.stream(result.alphas()).sum() / result.alphas().length;
            assertThat(DcPdd.score(logProbabilities, ids, frequencies, 1e9).score()).as(what).isCloseTo(mean, within(1e-15 * (1 + mean)));

            int[] longerIds = Arrays.copyOf(ids, 2 * n);
            double[] longerLogProbabilities = Arrays.copyOf(logProbabilities, 2 * n);
            for (int i = n; i < 2 * n; i++) {
                longerIds[i] = ids[random.nextInt(n)];
                longerLogProbabilities[i] = Math.log(random.nextDouble());
            }
            DcPdd.Result longer = DcPdd.score(longerLogProbabilities, longerIds, frequencies, a);
            assertThat(longer.score()).as(what).isEqualTo(result.score());
            assertThat(longer.positions()).as(what).containsExactly(result.positions());
        }
    }

    @Test
    void badInputNamesTheArgumentAndIndex() {
        TokenFrequencies frequencies = TokenFrequencies.ofCounts(new long[]{1, 2, 3});
        assertThatThrownBy(() -> DcPdd.score(new double[]{-1, -2}, new int[]{0}, frequencies))
                .hasMessageStartingWith("tokenIds: has length 1 but 2");
        assertThatThrownBy(() -> DcPdd.score(new double[]{-1, -2}, new int[]{0, 3}, frequencies))
                .hasMessageStartingWith("tokenIds[1]: must be a token id in [0, 3) but is 3");
        assertThatThrownBy(() -> DcPdd.score(new double[]{-1, 0.5}, new int[]{0, 1}, frequencies))
                .hasMessageStartingWith("tokenLogProbabilities[1]: must be a log-probability <= 0");
        assertThatThrownBy(() -> DcPdd.score(new double[]{Double.NaN}, new int[]{0}, frequencies))
                .hasMessageStartingWith("tokenLogProbabilities[0]:");
        assertThatThrownBy(() -> DcPdd.score(new double[0], new int[0], frequencies))
                .hasMessageStartingWith("tokenLogProbabilities: must not be empty");
        assertThatThrownBy(() -> DcPdd.score(new double[]{-1}, new int[]{0}, frequencies, 0))
                .hasMessageStartingWith("a: must be a positive finite number");
        assertThatThrownBy(() -> TokenFrequencies.ofCounts(new long[]{4, -1}))
                .hasMessageStartingWith("counts[1]: must not be negative");
        assertThatThrownBy(() -> TokenFrequencies.ofCounts(new long[0])).hasMessageStartingWith("counts: must not be empty");
    }

    private static void assertVectorClose(String what, double[] actual, double[] expected) {
        assertThat(actual).as(what).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("%s[%d]", what, i).isCloseTo(expected[i], within(RELATIVE * Math.abs(expected[i])));
        }
    }
}
