package dev.divergence.math.divergence;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Renyi divergence of order 0: D_0(p||q) = -log(sum of q over the support of p), the a -> 0+ limit of
 * log(sum p^a q^(1-a)) / (a - 1). Cells outside p's support contribute 0^a q^(1-a) = 0 for every a > 0,
 * so they must not be counted at a = 0 either (Math.pow(0, 0) = 1 would count them).
 */
class RenyiOrderZeroTest {

    private static final Divergence ORDER_ZERO = DivergenceRegistry.create("renyi", 0.0);

    @Test
    void orderZeroIsMinusLogOfTheModelMassOnTheTargetSupport() {
        // q puts 1/2 on p's support {0, 1}: -log(1/2) = log 2
        assertThat(ORDER_ZERO.between(new double[]{0.5, 0.5, 0}, new double[]{0.25, 0.25, 0.5}))
                .isCloseTo(Math.log(2), within(1e-15));
        // q puts 0.1 on p's support {2}: -log(0.1) = log 10, whatever p's values on its support
        assertThat(ORDER_ZERO.between(new double[]{0, 0, 1}, new double[]{0.6, 0.3, 0.1}))
                .isCloseTo(Math.log(10), within(1e-15));
        // p with full support: q's mass on it is 1, the divergence is 0 even though p != q
        assertThat(ORDER_ZERO.between(new double[]{0.9, 0.1}, new double[]{0.2, 0.8})).isEqualTo(0.0);
        // disjoint supports: q has no mass where p has, -log 0 = +inf
        assertThat(ORDER_ZERO.between(new double[]{1, 0}, new double[]{0, 1})).isEqualTo(Double.POSITIVE_INFINITY);
    }

    /**
     * The closed form at a = 0 is the limit of small positive orders. With S_a = sum_{p>0} p^a q^(1-a),
     * dD_a/da at 0 is bounded by |log S_0| + max_{p>0} |log(p/q)| (here below 2 + log 10 < 5), so
     * |D_a - D_0| <= 5 a + O(a^2); tolerance 10 a.
     */
    @Test
    void orderZeroIsTheLimitOfSmallPositiveOrders() {
        double[] p = {0.5, 0.3, 0.2, 0, 0};
        double[] q = {0.1, 0.2, 0.3, 0.15, 0.25};
        double atZero = ORDER_ZERO.between(p, q);
        assertThat(atZero).isCloseTo(-Math.log(0.6), within(1e-15));
        for (double a : new double[]{1e-3, 1e-5, 1e-7}) {
            assertThat(DivergenceRegistry.create("renyi", a).between(p, q)).as("order %s", a)
                    .isCloseTo(atZero, within(10 * a));
        }
    }

    /** d/dq_i of -log(sum_{p>0} q) is -1/S_0 on p's support and 0 off it. */
    @Test
    void orderZeroGradientIsMinusOneOverTheSupportedMass() {
        double[] out = new double[3];
        ORDER_ZERO.gradientWrtModelUnchecked(new double[]{0.5, 0.5, 0}, new double[]{0.25, 0.25, 0.5}, out);
        assertThat(out).containsExactly(-2.0, -2.0, 0.0);
    }
}
