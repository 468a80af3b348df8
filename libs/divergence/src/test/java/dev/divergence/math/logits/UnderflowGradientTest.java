package dev.divergence.math.logits;

import dev.divergence.math.divergence.Divergence;
import dev.divergence.math.divergence.DivergenceRegistry;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Gradients with respect to the student's logits stay finite where a probability underflows to exactly 0 in
 * float64 (logits 2000 below the row's maximum): the softmax backward multiplies dD/dq_i by q_i = 0, whose limit
 * is 0 whenever D is finite, never 0 * inf = NaN spread over the whole row.
 */
class UnderflowGradientTest {

    private static final double FAR = -2000; // exp(-2000) = 0 in float64
    private static final double H = 1e-5;

    /** A cell where teacher and student both underflow carries no mass: the row is the row without it. */
    @Test
    void aCellWhereBothUnderflowDropsOut() {
        double[] t = {1.0, 2.0, FAR, 0.5, 0.3};
        double[] s = {0.5, 1.5, FAR, 0.2, 1.0};
        double[] tWithout = {1.0, 2.0, 0.5, 0.3};
        double[] sWithout = {0.5, 1.5, 0.2, 1.0};
        for (Divergence d : LogitsDivergenceTest.allDivergences()) {
            LogitsDivergence kd = LogitsDivergence.of(d);
            double[] grad = new double[5];
            double[] gradWithout = new double[4];
            double value = kd.lossAndGradient(LogitsBatch.ofDoubles(t, 1, 5), LogitsBatch.ofDoubles(s, 1, 5),
                    LogitsOptions.defaults(), grad);
            double valueWithout = kd.lossAndGradient(LogitsBatch.ofDoubles(tWithout, 1, 4),
                    LogitsBatch.ofDoubles(sWithout, 1, 4), LogitsOptions.defaults(), gradWithout);
            // the same float64 arithmetic on the same four non-zero cells, up to the order of a few sums
            assertThat(value).as("%s value", d).isCloseTo(valueWithout, within(1e-14 * Math.max(1, valueWithout)));
            assertThat(grad[2]).as("%s d/ds at the empty cell in %s", d, Arrays.toString(grad)).isEqualTo(0.0);
            double[] others = {grad[0], grad[1], grad[3], grad[4]};
            for (int i = 0; i < 4; i++) {
                assertThat(others[i]).as("%s d/ds of cell %d in %s", d, i, Arrays.toString(grad))
                        .isCloseTo(gradWithout[i], within(1e-14 * Math.max(1, Math.abs(gradWithout[i]))));
            }
        }
    }

    /**
     * A student cell that underflows under a teacher cell with mass: where the divergence stays finite
     * (mass where the model has none costs a finite amount), the gradient is finite and matches central
     * differences; chi2 (sum (p - q)^2 / q), jeffreys (it contains KL(p||q)) and renyi of order >= 1 are +inf there and
     * have no gradient to check.
     */
    @Test
    void aStudentCellThatUnderflowsUnderTeacherMass() {
        double[] t = {1.0, 2.0, 0.1, 0.5, 0.3};
        double[] s = {0.5, 1.5, 0.2, FAR, 1.0};
        List<String> infinite = List.of("chi2", "jeffreys");
        for (Divergence d : LogitsDivergenceTest.allDivergences()) {
            LogitsDivergence kd = LogitsDivergence.of(d);
            LogitsBatch teacher = LogitsBatch.ofDoubles(t, 1, 5);
            double[] grad = new double[5];
            double value = kd.lossAndGradient(teacher, LogitsBatch.ofDoubles(s, 1, 5), LogitsOptions.defaults(), grad);
            boolean renyiOfOrderAtLeastOne = d.name().equals("renyi") && d.parameters().get("alpha") >= 1;
            if (infinite.contains(d.name()) || renyiOfOrderAtLeastOne) {
                assertThat(value).as("%s", d).isEqualTo(Double.POSITIVE_INFINITY);
                continue;
            }
            assertThat(value).as("%s", d).isFinite();
            for (int i = 0; i < 5; i++) {
                double keep = s[i];
                s[i] = keep + H;
                double up = kd.loss(teacher, LogitsBatch.ofDoubles(s, 1, 5), LogitsOptions.defaults());
                s[i] = keep - H;
                double down = kd.loss(teacher, LogitsBatch.ofDoubles(s, 1, 5), LogitsOptions.defaults());
                s[i] = keep;
                double numeric = (up - down) / (2 * H);
                // central differences in float64: truncation H^2 |D'''| / 6 with |D'''| below 10 for these rows,
                // plus rounding 2 eps |D| / (2H); 1e-7 + 1e-6 |numeric| covers both (as in LogitsGradientTest)
                assertThat(grad[i]).as("%s d/ds[%d] in %s", d, i, Arrays.toString(grad))
                        .isCloseTo(numeric, within(1e-7 + 1e-6 * Math.abs(numeric)));
            }
        }
    }

    /** dD/dq_i in probability space at a cell outside both supports: never NaN (0 * log 0 = 0 conventions). */
    @Test
    void probabilityGradientsAtACellOutsideBothSupports() {
        double[] p = {0.5, 0.5, 0};
        double[] q = {0.4, 0.6, 0};
        for (Divergence d : LogitsDivergenceTest.allDivergences()) {
            double[] out = new double[3];
            d.gradientWrtModelUnchecked(p, q, out);
            assertThat(out).as("%s: %s", d, Arrays.toString(out)).doesNotContain(Double.NaN);
        }
        // Bhattacharyya: d/dq_i of -log sum sqrt(p q) is -sqrt(p_i / q_i) / (2 BC), 0 where p_i = 0
        double[] out = new double[3];
        DivergenceRegistry.create("bhattacharyya").gradientWrtModelUnchecked(p, q, out);
        double bc = Math.sqrt(0.5 * 0.4) + Math.sqrt(0.5 * 0.6);
        assertThat(out[0]).isCloseTo(-Math.sqrt(0.5 / 0.4) / (2 * bc), within(1e-15));
        assertThat(out[2]).isEqualTo(0.0);
    }
}
