package dev.divergence.math.diversity;

import dev.divergence.math.DiversityProvenanceFixture;
import dev.divergence.math.Reference;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * N-gram cosine similarity matrices and self-similarity against hand values, against the Python reference
 * (dense count vectors and numpy dot products) and on random sample sets.
 *
 * <p>Tolerance against the reference: each cosine is an exact integer dot product over the product of two square
 * roots of exact integers (both sides, correctly rounded: 3 roundings each, a few eps apart); the mean over at most
 * 4 orders and the mean over at most 30 x 29 pairs add n eps each, so 1e-12 relative is loose by two orders of
 * magnitude. The Vendi score of the matrix goes through an eigen decomposition (EJML vs LAPACK): eigenvalue errors of
 * about eps ||K|| = 1e-16 per value move the entropy by sum |log lambda + 1| 1e-16 = 1e-14 for 30 values, so
 * 1e-11 relative.
 */
class NGramSimilarityTest {

    private static final double RELATIVE = 1e-12;

    @Test
    void handComputedPairs() {
        // unigrams {1, 2} and {2, 3}: dot 1, norms sqrt 2 each -> 1/2; bigrams (1,2) vs (2,3) -> 0
        List<int[]> pair = List.of(new int[]{1, 2}, new int[]{2, 3});
        assertThat(NGramSimilarity.similarityMatrixOfOrder(pair, 1)[0][1]).isCloseTo(0.5, within(1e-15));
        assertThat(NGramSimilarity.similarityMatrixOfOrder(pair, 2)[0][1]).isZero();
        assertThat(NGramSimilarity.similarityMatrix(pair, 2)[0][1]).isCloseTo(0.25, within(1e-15));
        assertThat(NGramSimilarity.selfSimilarity(pair, 2)).isCloseTo(0.25, within(1e-15));
        // counts matter: {1: 2, 2: 1} vs {1: 1, 2: 2}: dot 4 over 5
        assertThat(NGramSimilarity.similarityMatrixOfOrder(List.of(new int[]{1, 1, 2}, new int[]{1, 2, 2}), 1)[0][1])
                .isCloseTo(0.8, within(1e-15));
    }

    @Test
    void emptyBagsAreIdenticalToEachOtherAndOrthogonalToTheRest() {
        List<int[]> samples = List.of(new int[0], new int[]{4}, new int[0], new int[]{4});
        double[][] unigram = NGramSimilarity.similarityMatrixOfOrder(samples, 1);
        assertThat(unigram[0][2]).isEqualTo(1.0);
        assertThat(unigram[0][1]).isZero();
        assertThat(unigram[1][3]).isEqualTo(1.0);
        // order 2: nobody has a bigram, so all four bags are empty and equal
        double[][] both = NGramSimilarity.similarityMatrix(samples, 2);
        assertThat(both[0][1]).isEqualTo(0.5);
        assertThat(both[1][3]).isEqualTo(1.0);
        for (int i = 0; i < 4; i++) {
            assertThat(both[i][i]).isEqualTo(1.0);
        }
    }

    @Test
    void matchesPythonReference() {
        int checked = 0;
        for (JsonNode c : DiversityProvenanceFixture.section("diversity")) {
            List<int[]> samples = DiversityProvenanceFixture.intRows(c.get("sequences"));
            for (JsonNode s : c.get("similarity")) {
                int maxOrder = s.get("max_order").asInt();
                String what = c.get("name").asString() + " maxOrder=" + maxOrder;
                double[][] k = NGramSimilarity.similarityMatrix(samples, maxOrder);
                assertMatrixClose(what, k, Reference.matrix(s.get("matrix")));
                assertMatrixClose(what + " single order", NGramSimilarity.similarityMatrixOfOrder(samples, maxOrder),
                        Reference.matrix(s.get("order_matrix")));
                double vendi = s.get("vendi_q1").doubleValue();
                assertThat(VendiScore.score(k, 1.0)).as(what + " vendi").isCloseTo(vendi, within(1e-11 * vendi));
                if (s.has("self_similarity")) {
                    double expected = s.get("self_similarity").doubleValue();
                    assertThat(NGramSimilarity.selfSimilarity(samples, maxOrder)).as(what)
                            .isCloseTo(expected, within(RELATIVE * Math.abs(expected)));
                }
                checked++;
            }
        }
        for (JsonNode c : DiversityProvenanceFixture.section("diversity_strings")) {
            List<List<String>> samples = DiversityProvenanceFixture.stringRows(c.get("sequences"));
            for (JsonNode s : c.get("similarity")) {
                int maxOrder = s.get("max_order").asInt();
                assertMatrixClose("words maxOrder=" + maxOrder, NGramSimilarity.similarityMatrixOfStrings(samples, maxOrder),
                        Reference.matrix(s.get("matrix")));
                checked++;
            }
        }
        assertThat(checked).isEqualTo(7 * 3 + 3);
    }

    /**
     * Random sets: the matrix is exactly symmetric, has a unit diagonal and entries in [0, 1], is positive
     * semi-definite up to round-off (smallest eigenvalue of K / m >= -1e-13: it is a Gram matrix, and eigenvalue
     * round-off is about m eps) and so is a valid Vendi input, with 1 <= Vendi <= m.
     */
    @Test
    void randomSetsGiveValidVendiKernels() {
        long seed = 611L;
        Random random = new Random(seed);
        for (int trial = 0; trial < 150; trial++) {
            int m = 1 + random.nextInt(12);
            List<int[]> samples = new ArrayList<>();
            for (int s = 0; s < m; s++) {
                int[] tokens = new int[random.nextInt(15)];
                int vocabulary = 1 + random.nextInt(5);
                for (int t = 0; t < tokens.length; t++) {
                    tokens[t] = random.nextInt(vocabulary);
                }
                samples.add(tokens);
            }
            int maxOrder = 1 + random.nextInt(4);
            String what = "seed " + seed + " trial " + trial + " maxOrder " + maxOrder;
            double[][] k = NGramSimilarity.similarityMatrix(samples, maxOrder);
            for (int i = 0; i < m; i++) {
                assertThat(k[i][i]).as(what).isEqualTo(1.0);
                for (int j = 0; j < m; j++) {
                    assertThat(k[i][j]).as(what).isEqualTo(k[j][i]).isBetween(0.0, 1.0 + 1e-15);
                }
            }
            double[] eigenvalues = VendiScore.eigenvaluesOfKOverN(k);
            assertThat(eigenvalues[0]).as(what).isGreaterThanOrEqualTo(-1e-13);
            double vendi = VendiScore.score(k, 1.0);
            assertThat(vendi).as(what).isBetween(1 - 1e-12, m + 1e-12);
            if (m >= 2) {
                assertThat(NGramSimilarity.selfSimilarity(samples, maxOrder)).as(what).isBetween(0.0, 1.0 + 1e-15);
            }
        }
    }

    @Test
    void identicalSamplesHaveSelfSimilarityOneAndDisjointOnesZero() {
        int[] text = {3, 1, 4, 1, 5, 9, 2, 6};
        assertThat(NGramSimilarity.selfSimilarity(List.of(text, text.clone(), text.clone()), 3)).isCloseTo(1.0, within(4e-16));
        assertThat(NGramSimilarity.selfSimilarity(List.of(new int[]{1, 2}, new int[]{3, 4}, new int[]{5}), 2)).isZero();
    }

    @Test
    void badInputNamesTheArgument() {
        assertThatThrownBy(() -> NGramSimilarity.selfSimilarity(List.of(new int[]{1}), 1))
                .hasMessageStartingWith("sequences: self-similarity needs at least 2 samples");
        assertThatThrownBy(() -> NGramSimilarity.similarityMatrix(List.of(), 1)).hasMessageStartingWith("sequences: must not be empty");
        assertThatThrownBy(() -> NGramSimilarity.similarityMatrix(List.of(new int[]{1}), 0)).hasMessageStartingWith("maxOrder:");
        assertThatThrownBy(() -> NGramSimilarity.similarityMatrixOfOrder(List.of(new int[]{1}), -1)).hasMessageStartingWith("order:");
        assertThatThrownBy(() -> NGramSimilarity.meanOffDiagonal(new double[][]{{1, 0}, {0}}))
                .hasMessageStartingWith("matrix[1]: has length 1 but 2");
    }

    private static void assertMatrixClose(String what, double[][] actual, double[][] expected) {
        assertThat(actual.length).as(what).isEqualTo(expected.length);
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < expected.length; j++) {
                assertThat(actual[i][j]).as("%s [%d][%d]", what, i, j)
                        .isCloseTo(expected[i][j], within(RELATIVE * Math.abs(expected[i][j])));
            }
        }
    }
}
