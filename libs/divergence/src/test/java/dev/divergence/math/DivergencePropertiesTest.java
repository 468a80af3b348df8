package dev.divergence.math;

import dev.divergence.math.divergence.ClosedForms;
import dev.divergence.math.divergence.Divergence;
import dev.divergence.math.divergence.DivergenceRegistry;
import dev.divergence.math.divergence.FGenerator;
import dev.divergence.math.logits.LogitsBatch;
import dev.divergence.math.logits.LogitsDivergence;
import dev.divergence.math.logits.LogitsOptions;
import dev.divergence.math.transport.Sinkhorn;
import dev.divergence.math.transport.SinkhornOptions;
import dev.divergence.math.transport.Wasserstein1D;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static dev.divergence.math.SeededCases.between;
import static dev.divergence.math.SeededCases.check;

/**
 * Randomised checks (seeded, see {@link SeededCases}) of the identities every divergence must satisfy.
 * A failure names the property, the case's seed and its values.
 */
class DivergencePropertiesTest {

    private static final double LN2 = Math.log(2);

    /** Two distributions over the same outcomes. */
    record Pair(double[] p, double[] q) {
    }

    /** Pairs of distributions over 2..8 outcomes, with exact zeros in about a quarter of the cells. */
    static Pair pair(Random random) {
        int n = between(random, 2, 8);
        return new Pair(distribution(random, n), distribution(random, n));
    }

    /**
     * Each cell is 0 with probability 1/4, otherwise in [1e-6, 1] rounded to 9 decimals (so that tiny
     * and exactly equal cells occur); drawn again when every cell is 0, then normalised.
     */
    private static double[] distribution(Random random, int n) {
        double[] v = new double[n];
        do {
            for (int i = 0; i < n; i++) {
                v[i] = random.nextInt(4) == 0 ? 0.0 : Math.rint(between(random, 1e-6, 1.0) * 1e9) / 1e9;
            }
        } while (sum(v) == 0);
        double s = sum(v);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = v[i] / s;
        }
        return out;
    }

    private static double sum(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s;
    }

    static List<Divergence> registry() {
        List<Divergence> all = new ArrayList<>();
        for (String name : DivergenceRegistry.names()) {
            all.add(name.equals("renyi") ? DivergenceRegistry.create(name, 0.7) : DivergenceRegistry.create(name));
        }
        all.add(DivergenceRegistry.create("renyi", 3.0));
        all.add(DivergenceRegistry.create("alpha", -0.5));
        all.add(DivergenceRegistry.create("alpha", 2.0));
        all.add(DivergenceRegistry.create("jsd", 0.1));
        return all;
    }

    @Test
    void everyDivergenceIsNonNegativeAndZeroOnIdenticalInputs() {
        check("non-negative, 0 at (p, p)", 300, DivergencePropertiesTest::pair, pq -> {
            for (Divergence d : registry()) {
                double v = d.unchecked(pq.p(), pq.q());
                assertThat(v).as("%s", d).isNotNaN().isGreaterThanOrEqualTo(-1e-12);
                assertThat(d.unchecked(pq.p(), pq.p())).as("%s(p, p)", d).isCloseTo(0.0, within(1e-12));
            }
        });
    }

    @Test
    void jsIsSymmetricAndBoundedByLog2() {
        Divergence js = DivergenceRegistry.create("js");
        check("js symmetric, <= log 2", 300, DivergencePropertiesTest::pair, pq -> {
            double forward = js.unchecked(pq.p(), pq.q());
            assertThat(forward).isCloseTo(js.unchecked(pq.q(), pq.p()), within(1e-15));
            assertThat(forward).isLessThanOrEqualTo(LN2 + 1e-15);
        });
    }

    @Test
    void jsdEndPointsAreForwardAndReverseKl() {
        check("jsd(0) = kl, jsd(1) = reverse kl", 200, DivergencePropertiesTest::pair, pq -> {
            assertThat(DivergenceRegistry.create("jsd", 0.0).unchecked(pq.p(), pq.q())).isEqualTo(ClosedForms.kl(pq.p(), pq.q()));
            assertThat(DivergenceRegistry.create("jsd", 1.0).unchecked(pq.p(), pq.q())).isEqualTo(ClosedForms.kl(pq.q(), pq.p()));
        });
    }

    @Test
    void theGeneratorFormEqualsEveryClosedForm() {
        check("generator form = closed form", 300, DivergencePropertiesTest::pair, pq -> {
            int withGenerator = 0;
            for (Divergence d : registry()) {
                if (d.generator().isEmpty()) {
                    continue;
                }
                withGenerator++;
                double closed = d.unchecked(pq.p(), pq.q());
                double viaF = d.generator().get().divergence(pq.p(), pq.q());
                if (Double.isInfinite(closed)) {
                    assertThat(viaF).as("%s", d).isEqualTo(closed);
                } else {
                    assertThat(viaF).as("%s", d).isCloseTo(closed, within(1e-9 * Math.max(1, Math.abs(closed))));
                }
            }
            assertThat(withGenerator).isGreaterThanOrEqualTo(14);
        });
    }

    record PairAndAlpha(Pair pq, double paperAlpha) {
    }

    /** The f-DPO paper's alpha-divergence D(policy || reference) is the registry's alpha at 1 - paper alpha. */
    @Test
    void alphaMapsToTheFdpoPaperAndTrl() {
        check("registry alpha at 1 - paper alpha = paper alpha-divergence", 200,
                random -> new PairAndAlpha(pair(random), between(random, 0.05, 0.95)), c -> {
                    double[] reference = c.pq().p();
                    double[] policy = c.pq().q();
                    FGenerator paper = dev.divergence.math.divergence.Generators.alpha(c.paperAlpha());
                    // sum_x ref(x) f(policy(x) / ref(x)): the generator applied with the arguments swapped
                    double paperValue = paper.divergence(policy, reference);
                    double ours = DivergenceRegistry.create("alpha", 1 - c.paperAlpha()).unchecked(reference, policy);
                    if (Double.isInfinite(paperValue)) {
                        assertThat(ours).isEqualTo(paperValue);
                    } else {
                        assertThat(ours).isCloseTo(paperValue, within(1e-9 * Math.max(1, paperValue)));
                    }
                });
    }

    @Test
    void pinsker() {
        check("Pinsker: tv <= sqrt(kl / 2)", 300, DivergencePropertiesTest::pair, pq -> {
            double tv = ClosedForms.totalVariation(pq.p(), pq.q());
            assertThat(tv).isLessThanOrEqualTo(Math.sqrt(Math.max(0, ClosedForms.kl(pq.p(), pq.q())) / 2) + 1e-12);
        });
    }

    @Test
    void conjugatesSatisfyFenchelYoungEquality() {
        check("Fenchel-Young equality f*(f'(t)) = t f'(t) - f(t)", 200, random -> between(random, 0.05, 20.0), t -> {
            for (Divergence d : registry()) {
                if (d.generator().isEmpty() || d.name().equals("tv")) {
                    continue; // tv's f' is a step; its conjugate is checked below
                }
                FGenerator f = d.generator().get();
                double s = f.derivative(t);
                double expected = t * s - f.f(t);
                assertThat(f.conjugate(s)).as("%s at t=%s", d, t).isCloseTo(expected, within(1e-7 * Math.max(1, Math.abs(expected))));
            }
            FGenerator tv = DivergenceRegistry.create("tv").generator().orElseThrow();
            double s = (t - 10) / 40; // spans [-0.25, 0.25]
            assertThat(tv.conjugate(s)).isEqualTo(s);
        });
    }

    record ShiftCase(int vocab, double shift, double temperature, long seed) {
    }

    @Test
    void logitsAreInvariantToAConstantPerRow() {
        check("logits invariant to a constant per row", 100, random -> new ShiftCase(between(random, 1, 200),
                between(random, -50.0, 50.0), between(random, 0.5, 4.0), random.nextLong()), c -> {
            int vocab = c.vocab();
            Random random = new Random(c.seed());
            int rows = 2;
            float[] t = new float[rows * vocab];
            float[] s = new float[rows * vocab];
            float[] tShifted = new float[rows * vocab];
            double[] sd = new double[rows * vocab];
            double[] sdShifted = new double[rows * vocab];
            double[] td = new double[rows * vocab];
            double[] tdShifted = new double[rows * vocab];
            for (int i = 0; i < t.length; i++) {
                t[i] = (float) (random.nextGaussian() * 3);
                s[i] = (float) (random.nextGaussian() * 3);
                // the shift differs per row; the float32 shifted logit is rounded (tdShifted keeps what it became)
                double rowShift = (i / vocab == 0 ? c.shift() : -c.shift() / 2);
                tShifted[i] = (float) (t[i] + Math.rint(rowShift));
                td[i] = t[i];
                tdShifted[i] = tShifted[i];
                sd[i] = s[i];
                sdShifted[i] = s[i] + rowShift;
            }
            LogitsOptions options = LogitsOptions.defaults().withTemperature(c.temperature());
            for (String name : List.of("kl", "reverse_kl", "js", "jsd", "tv", "skew_kl", "hellinger")) {
                LogitsDivergence kd = LogitsDivergence.of(name);
                double[] base = kd.perRow(LogitsBatch.ofFloats(t, rows, vocab), LogitsBatch.ofFloats(s, rows, vocab), options);
                double[] moved = kd.perRow(LogitsBatch.ofFloats(tShifted, rows, vocab), LogitsBatch.ofFloats(s, rows, vocab), options);
                double[] exact = kd.perRow(LogitsBatch.ofDoubles(td, rows, vocab), LogitsBatch.ofDoubles(sd, rows, vocab), options);
                double[] exactMoved = kd.perRow(LogitsBatch.ofDoubles(td, rows, vocab), LogitsBatch.ofDoubles(sdShifted, rows, vocab), options);
                for (int r = 0; r < rows; r++) {
                    int from = r * vocab;
                    int to = from + vocab;
                    // each float32 result within its own bound of the exact value of its (rounded) input, and the
                    // rounding of the shifted input moved the exact value by at most its own bound
                    double tolerance = Float32Bounds.logitsDivergence(td, sd, from, to, c.temperature())
                            + Float32Bounds.logitsDivergence(tdShifted, sd, from, to, c.temperature())
                            + Float32Bounds.inputRounding(td, sd, from, to, c.temperature(), Math.abs(Math.rint(c.shift())));
                    assertThat(moved[r]).as("%s float32 row %d", name, r).isCloseTo(base[r], within(tolerance));
                    assertThat(exactMoved[r]).as("%s float64 row %d", name, r).isCloseTo(exact[r], within(1e-12 * Math.max(1, exact[r])));
                }
            }
        });
    }

    record SinkhornCase(int n, long seed) {
    }

    /** Uniform weights on n points each: the exact OT plan is a permutation (Birkhoff), found by brute force. */
    @Test
    void sinkhornApproachesTheExactCostAsEpsilonShrinks() {
        check("Sinkhorn -> exact OT as eps shrinks", 20, random -> new SinkhornCase(between(random, 2, 5), random.nextLong()), c -> {
            int n = c.n();
            Random random = new Random(c.seed());
            double[] cost = new double[n * n];
            for (int i = 0; i < cost.length; i++) {
                cost[i] = random.nextDouble();
            }
            double[] w = new double[n];
            java.util.Arrays.fill(w, 1.0 / n);
            double exact = bestPermutationCost(cost, n, new boolean[n], 0) / n;
            double previousGap = Double.POSITIVE_INFINITY;
            for (double eps : new double[]{0.1, 0.03, 0.01}) {
                // near-degenerate plans converge slowly (sublinearly in practice); the bound below accounts for
                // the marginal error actually reached instead of demanding convergence
                var result = Sinkhorn.solve(w, w, cost, SinkhornOptions.of(eps).withTolerance(1e-10).withMaxIterations(5_000));
                assertThat(result.marginalError()).as("eps %s marginal error", eps).isLessThan(1e-4);
                double value = result.cost();
                double gap = value - exact;
                // <P_eps, M> - OT lies in [0, eps log(n^2)] (entropy bound) up to the marginal error times the
                // largest cost, and shrinks with eps
                double slack = 2 * n * result.marginalError() + 1e-12;
                assertThat(gap).as("eps %s", eps).isBetween(-slack, eps * Math.log((double) n * n) + slack);
                assertThat(gap).isLessThanOrEqualTo(previousGap + 2 * slack);
                previousGap = gap;
            }
        });
    }

    private static double bestPermutationCost(double[] cost, int n, boolean[] used, int row) {
        if (row == n) {
            return 0;
        }
        double best = Double.POSITIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            if (!used[j]) {
                used[j] = true;
                best = Math.min(best, cost[row * n + j] + bestPermutationCost(cost, n, used, row + 1));
                used[j] = false;
            }
        }
        return best;
    }

    @Test
    void sinkhornOnTheLineApproachesWasserstein1D() {
        check("Sinkhorn on the line -> W1", 20, random -> new SinkhornCase(between(random, 2, 6), random.nextLong()), c -> {
            int n = c.n();
            Random random = new Random(c.seed());
            double[] x = new double[n];
            double[] y = new double[n];
            for (int i = 0; i < n; i++) {
                x[i] = random.nextDouble();
                y[i] = random.nextDouble() + 0.3;
            }
            double[] cost = new double[n * n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    cost[i * n + j] = Math.abs(x[i] - y[j]);
                }
            }
            double[] w = new double[n];
            java.util.Arrays.fill(w, 1.0 / n);
            double exact = Wasserstein1D.distance(x, y);
            double eps = 1e-2;
            var result = Sinkhorn.solve(w, w, cost, SinkhornOptions.of(eps).withTolerance(1e-10).withMaxIterations(5_000));
            assertThat(result.marginalError()).isLessThan(1e-4);
            double slack = 2 * n * 1.3 * result.marginalError() + 1e-12; // costs are below 1.3
            assertThat(result.cost() - exact).isBetween(-slack, eps * Math.log((double) n * n) + slack);
        });
    }
}
