package dev.divergence.model.generation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The lazy ranking against a full boxed sort written here, on seeded random rows with ties and -inf. */
class TokenRankingTest {

    private static final long SEED = 20261206L;

    @Test
    void everyRankReadEqualsTheFullSortsRank() {
        SplittableRandom random = new SplittableRandom(SEED);
        for (int trial = 0; trial < 300; trial++) {
            double[] values = randomRow(random, 1 + random.nextInt(3000));
            Integer[] reference = referenceOrder(values);
            TokenRanking ranking = new TokenRanking(values.clone());
            // read a random number of ranks, in order, as top-k / top-p do
            int read = 1 + random.nextInt(values.length);
            for (int r = 0; r < read; r++) {
                int rank = r;
                assertThat(ranking.token(r))
                        .as(() -> "seed " + SEED + " row " + Arrays.toString(values) + " rank " + rank)
                        .isEqualTo(reference[r]);
            }
        }
    }

    @Test
    void aShortPrefixSortsOnlyABlockNotTheVocabulary() {
        SplittableRandom random = new SplittableRandom(SEED + 1);
        double[] values = randomRow(random, 32_000);

        TokenRanking ranking = new TokenRanking(values);
        ranking.token(9);

        // the first extension sorts one block of 32: the other 31,968 tokens were only partitioned
        assertThat(ranking.rankedCount()).isEqualTo(32);
        ranking.token(40);
        assertThat(ranking.rankedCount()).isEqualTo(64);
        assertThat(ranking.token(40)).isEqualTo(referenceOrder(values)[40]);
    }

    @Test
    void equalValuesRankByTheLowerTokenId() {
        TokenRanking ranking = new TokenRanking(new double[] {1, 3, 1, 3, Double.NEGATIVE_INFINITY, 1});

        int[] order = new int[6];
        for (int r = 0; r < 6; r++) {
            order[r] = ranking.token(r);
        }
        assertThat(order).containsExactly(1, 3, 0, 2, 5, 4);
    }

    /** Values drawn on a coarse grid (so that ties are common), a few of them -inf. */
    static double[] randomRow(SplittableRandom random, int n) {
        double[] values = new double[n];
        boolean coarse = random.nextBoolean();
        for (int i = 0; i < n; i++) {
            double v = random.nextDouble(-8, 8);
            values[i] = coarse ? Math.rint(v * 4) / 4 + 0.0 : v; // + 0.0: no -0.0 beside 0.0
            if (random.nextInt(20) == 0) {
                values[i] = Double.NEGATIVE_INFINITY;
            }
        }
        return values;
    }

    /** Every token id sorted by descending value, the lower id first among equals: the plain way. */
    static Integer[] referenceOrder(double[] values) {
        Integer[] order = new Integer[values.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -values[i]).thenComparingInt(i -> i));
        return order;
    }
}
