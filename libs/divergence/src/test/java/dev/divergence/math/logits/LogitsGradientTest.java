package dev.divergence.math.logits;

import dev.divergence.math.divergence.Divergence;
import dev.divergence.math.divergence.DivergenceRegistry;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Analytic gradients with respect to the student's logits against central finite differences. */
class LogitsGradientTest {

    private static final double H = 1e-5;

    @Test
    void everyRegistryDivergenceMatchesFiniteDifferences() {
        for (Divergence d : LogitsDivergenceTest.allDivergences()) {
            if (d.name().equals("tv")) {
                continue; // piecewise linear: checked separately away from its kinks
            }
            check(d, Reduction.TOKEN_MEAN, 11);
        }
    }

    @Test
    void totalVariationAwayFromTies() {
        check(DivergenceRegistry.create("tv"), Reduction.SUM, 12);
    }

    @Test
    void everyReductionScalesTheGradient() {
        for (Reduction r : Reduction.values()) {
            check(DivergenceRegistry.create("js"), r, 13);
        }
    }

    private static void check(Divergence d, Reduction reduction, long seed) {
        Random random = new Random(seed);
        int rows = 3;
        int vocab = 7;
        double temperature = 1.5;
        double[] t = LogitsDivergenceTest.randomLogits(random, rows * vocab, 1.5);
        double[] s = LogitsDivergenceTest.randomLogits(random, rows * vocab, 1.5);
        boolean[] mask = {true, false, true};
        LogitsOptions options = new LogitsOptions(temperature, mask, reduction);
        LogitsDivergence kd = LogitsDivergence.of(d);
        LogitsBatch teacher = LogitsBatch.ofDoubles(t, rows, vocab);
        double[] grad = new double[rows * vocab];
        double loss = kd.lossAndGradient(teacher, LogitsBatch.ofDoubles(s, rows, vocab), options, grad);
        assertThat(loss).as("%s loss", d).isCloseTo(kd.loss(teacher, LogitsBatch.ofDoubles(s, rows, vocab), options), within(1e-14));
        double norm = 0;
        for (int i = 0; i < s.length; i++) {
            double keep = s[i];
            s[i] = keep + H;
            double up = kd.loss(teacher, LogitsBatch.ofDoubles(s, rows, vocab), options);
            s[i] = keep - H;
            double down = kd.loss(teacher, LogitsBatch.ofDoubles(s, rows, vocab), options);
            s[i] = keep;
            double numeric = (up - down) / (2 * H);
            norm += Math.abs(grad[i]);
            assertThat(grad[i]).as("%s %s d/ds[%d]", d, reduction, i).isCloseTo(numeric, within(1e-7 + 1e-6 * Math.abs(numeric)));
        }
        assertThat(norm).as("%s gradient must not vanish", d).isGreaterThan(1e-3);
        // float32 output buffers receive the same numbers, rounded to nearest: at most half an ulp, 2^-24 |g|
        // for normal floats and 2^-150 below them
        float[] gradF = new float[rows * vocab];
        kd.lossAndGradient(teacher, LogitsBatch.ofDoubles(s, rows, vocab), options, gradF);
        for (int i = 0; i < gradF.length; i++) {
            assertThat((double) gradF[i]).isCloseTo(grad[i], within(0x1p-24 * Math.abs(grad[i]) + 0x1p-150));
        }
        for (int i = vocab; i < 2 * vocab; i++) {
            assertThat(grad[i]).as("masked row").isZero();
        }
    }
}
