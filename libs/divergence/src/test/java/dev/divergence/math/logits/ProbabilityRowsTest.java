package dev.divergence.math.logits;

import dev.divergence.math.Normalisation;
import dev.divergence.math.divergence.Divergence;
import dev.divergence.math.divergence.DivergenceRegistry;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ProbabilityRowsTest {

    @Test
    void probabilitiesLogProbabilitiesAndLogitsGiveTheSameRows() {
        Random random = new Random(10);
        int rows = 4;
        int vocab = 30;
        double[] t = LogitsDivergenceTest.randomLogits(random, rows * vocab, 2);
        double[] s = LogitsDivergenceTest.randomLogits(random, rows * vocab, 2);
        double[] p = new double[rows * vocab];
        double[] q = new double[rows * vocab];
        double[] logP = new double[rows * vocab];
        double[] logQ = new double[rows * vocab];
        for (int r = 0; r < rows; r++) {
            double[] pr = LogitsDivergenceTest.softmax(t, r * vocab, vocab, 1);
            double[] qr = LogitsDivergenceTest.softmax(s, r * vocab, vocab, 1);
            for (int i = 0; i < vocab; i++) {
                p[r * vocab + i] = pr[i];
                q[r * vocab + i] = qr[i];
                logP[r * vocab + i] = Math.log(pr[i]);
                logQ[r * vocab + i] = Math.log(qr[i]);
            }
        }
        boolean[] mask = {true, false, true, true};
        for (Divergence d : LogitsDivergenceTest.allDivergences()) {
            double[] fromProbs = ProbabilityRows.perRow(d, p, q, rows, vocab, mask, Normalisation.REQUIRE_NORMALISED);
            double[] fromLogs = ProbabilityRows.perRowFromLogProbabilities(d, logP, logQ, rows, vocab, mask);
            double[] fromLogits = LogitsDivergence.of(d).perRow(LogitsBatch.ofDoubles(t, rows, vocab),
                    LogitsBatch.ofDoubles(s, rows, vocab), LogitsOptions.defaults().withMask(mask));
            for (int r = 0; r < rows; r++) {
                assertThat(fromLogs[r]).as("%s", d).isCloseTo(fromProbs[r], within(1e-12 * Math.max(1, fromProbs[r])));
                assertThat(fromLogits[r]).as("%s", d).isCloseTo(fromProbs[r], within(1e-10 * Math.max(1, fromProbs[r])));
            }
            assertThat(fromProbs[1]).isZero();
        }
    }

    @Test
    void minusInfinityIsAZeroProbability() {
        double[] logP = {0, Double.NEGATIVE_INFINITY};
        double[] logQ = {Math.log(0.5), Math.log(0.5)};
        assertThat(ProbabilityRows.perRowFromLogProbabilities(DivergenceRegistry.create("kl"), logP, logQ, 1, 2, null)[0])
                .isCloseTo(Math.log(2), within(1e-15));
        assertThat(ProbabilityRows.perRowFromLogProbabilities(DivergenceRegistry.create("reverse_kl"), logP, logQ, 1, 2, null)[0])
                .isEqualTo(Double.POSITIVE_INFINITY);
    }

    @Test
    void badRowsAreNamedByTheirFlatIndex() {
        Divergence kl = DivergenceRegistry.create("kl");
        double[] good = {0.5, 0.5, 0.25, 0.75};
        assertThatThrownBy(() -> ProbabilityRows.perRow(kl, good, new double[]{0.5, 0.5, 1.25, -0.25}, 2, 2, null,
                Normalisation.REQUIRE_NORMALISED)).hasMessageStartingWith("q[3]: must not be negative");
        assertThatThrownBy(() -> ProbabilityRows.perRow(kl, good, new double[]{0.5, 0.5, 2, 2}, 2, 2, null,
                Normalisation.REQUIRE_NORMALISED)).hasMessageStartingWith("q[2]: row 1 sums to 4.0");
        assertThat(ProbabilityRows.perRow(kl, good, new double[]{0.5, 0.5, 2, 6}, 2, 2, null, Normalisation.NORMALISE))
                .containsExactly(0.0, 0.0);
        assertThatThrownBy(() -> ProbabilityRows.perRow(kl, good, new double[3], 2, 2, null, Normalisation.NORMALISE))
                .hasMessageStartingWith("q: has length 3 but 4");
        assertThatThrownBy(() -> ProbabilityRows.perRowFromLogProbabilities(kl, new double[]{0, Double.NaN}, new double[2], 1, 2, null))
                .hasMessageStartingWith("logP[1]");
    }
}
