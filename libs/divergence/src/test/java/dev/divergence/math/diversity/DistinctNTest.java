package dev.divergence.math.diversity;

import dev.divergence.math.DiversityProvenanceFixture;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * distinct-n against hand counts, against the Python reference (Counter over n-gram tuples) and on random sample
 * sets. The ratios are one division of exact integer counts (or a mean of at most 30 such ratios), so the
 * reference must be matched to a few eps: 1e-15 relative, i.e. 1e-12 demanded by the project with room to spare.
 */
class DistinctNTest {

    private static final double RELATIVE = 1e-12;

    @Test
    void handCountedExample() {
        // unigrams: 5 + 3 + 0 + 1 + 5 = 14 tokens, distinct {1, 2, 3, 4, 5}
        // bigrams: (1,2) (2,3) (3,1) (1,2) | (1,2) (2,4) | - | - | again the first four: 10, distinct
        // {(1,2), (2,3), (3,1), (2,4)}
        List<int[]> samples = List.of(new int[]{1, 2, 3, 1, 2}, new int[]{1, 2, 4}, new int[0], new int[]{5},
                new int[]{1, 2, 3, 1, 2});
        assertThat(DistinctN.corpus(samples, 1)).isEqualTo(new DistinctN.Ratio(5, 14, 5.0 / 14));
        assertThat(DistinctN.corpus(samples, 2)).isEqualTo(new DistinctN.Ratio(4, 10, 0.4));
        // per sample at n = 2: 3/4, 2/2, 0 (empty), 0 (shorter than 2), 3/4
        assertThat(DistinctN.meanPerSample(samples, 2)).isCloseTo((0.75 + 1 + 0 + 0 + 0.75) / 5, within(1e-15));
        assertThat(DistinctN.ofSequence(new int[]{5}, 2)).isZero();
    }

    @Test
    void noNgramAtAllIsZero() {
        List<int[]> samples = List.of(new int[]{7, 8}, new int[]{9}, new int[0]);
        assertThat(DistinctN.corpus(samples, 3)).isEqualTo(new DistinctN.Ratio(0, 0, 0.0));
        assertThat(DistinctN.meanPerSample(samples, 3)).isZero();
    }

    @Test
    void stringTokensAreComparedByContent() {
        // new String(...) so that equal tokens are different objects
        List<List<String>> samples = List.of(List.of("the", "cat", new String("the")), List.of(new String("cat")));
        assertThat(DistinctN.corpusOfStrings(samples, 1)).isEqualTo(new DistinctN.Ratio(2, 4, 0.5));
        assertThat(DistinctN.meanPerSampleOfStrings(samples, 1)).isCloseTo((2.0 / 3 + 1) / 2, within(1e-15));
    }

    @Test
    void matchesPythonReference() {
        int checked = 0;
        for (JsonNode c : DiversityProvenanceFixture.section("diversity")) {
            List<int[]> samples = DiversityProvenanceFixture.intRows(c.get("sequences"));
            for (JsonNode d : c.get("distinct")) {
                int n = d.get("n").asInt();
                String what = c.get("name").asString() + " n=" + n;
                DistinctN.Ratio ratio = DistinctN.corpus(samples, n);
                assertThat(ratio.distinct()).as(what).isEqualTo(d.get("distinct").asLong());
                assertThat(ratio.total()).as(what).isEqualTo(d.get("total").asLong());
                assertClose(what, ratio.ratio(), d.get("ratio").doubleValue());
                assertClose(what, DistinctN.meanPerSample(samples, n), d.get("mean_per_sample").doubleValue());
                checked++;
            }
        }
        for (JsonNode c : DiversityProvenanceFixture.section("diversity_strings")) {
            List<List<String>> samples = DiversityProvenanceFixture.stringRows(c.get("sequences"));
            for (JsonNode d : c.get("distinct")) {
                int n = d.get("n").asInt();
                assertClose("words n=" + n, DistinctN.corpusOfStrings(samples, n).ratio(), d.get("ratio").doubleValue());
                assertClose("words n=" + n, DistinctN.meanPerSampleOfStrings(samples, n), d.get("mean_per_sample").doubleValue());
                checked++;
            }
        }
        assertThat(checked).isEqualTo(7 * 4 + 3);
    }

    /**
     * Random sets: every value in [0, 1]; a set and its copy appended to itself have the same distinct n-grams
     * and twice the total (so half the corpus ratio) and the same per-sample mean.
     */
    @Test
    void randomSetsKeepTheInvariants() {
        long seed = 20261206L;
        Random random = new Random(seed);
        for (int trial = 0; trial < 200; trial++) {
            int m = 1 + random.nextInt(8);
            List<int[]> samples = new ArrayList<>();
            for (int s = 0; s < m; s++) {
                int[] tokens = new int[random.nextInt(20)];
                int vocabulary = 1 + random.nextInt(6);
                for (int t = 0; t < tokens.length; t++) {
                    tokens[t] = random.nextInt(vocabulary);
                }
                samples.add(tokens);
            }
            List<int[]> twice = new ArrayList<>(samples);
            twice.addAll(samples);
            for (int n = 1; n <= 4; n++) {
                String what = "seed " + seed + " trial " + trial + " n=" + n;
                DistinctN.Ratio once = DistinctN.corpus(samples, n);
                DistinctN.Ratio doubled = DistinctN.corpus(twice, n);
                assertThat(once.ratio()).as(what).isBetween(0.0, 1.0);
                assertThat(DistinctN.meanPerSample(samples, n)).as(what).isBetween(0.0, 1.0);
                assertThat(doubled.distinct()).as(what).isEqualTo(once.distinct());
                assertThat(doubled.total()).as(what).isEqualTo(2 * once.total());
                assertThat(doubled.ratio()).as(what).isEqualTo(once.ratio() / 2);
                assertThat(DistinctN.meanPerSample(twice, n)).as(what).isCloseTo(DistinctN.meanPerSample(samples, n), within(1e-15));
            }
        }
    }

    @Test
    void badInputNamesTheArgument() {
        assertThatThrownBy(() -> DistinctN.corpus(List.of(), 1)).hasMessageStartingWith("sequences: must not be empty");
        assertThatThrownBy(() -> DistinctN.corpus(List.of(new int[]{1}), 0)).hasMessageStartingWith("n: must be positive");
        List<int[]> withNull = new ArrayList<>();
        withNull.add(new int[]{1});
        withNull.add(null);
        assertThatThrownBy(() -> DistinctN.meanPerSample(withNull, 1)).hasMessageStartingWith("sequences[1]: must not be null");
        List<String> nullToken = new ArrayList<>();
        nullToken.add("a");
        nullToken.add(null);
        assertThatThrownBy(() -> DistinctN.corpusOfStrings(List.of(List.of("b"), nullToken), 1))
                .hasMessageStartingWith("sequences[1][1]: must not be null");
    }

    private static void assertClose(String what, double actual, double expected) {
        assertThat(actual).as(what).isCloseTo(expected, within(RELATIVE * Math.abs(expected)));
    }
}
