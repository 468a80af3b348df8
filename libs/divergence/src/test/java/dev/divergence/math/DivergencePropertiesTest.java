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
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Property-based checks (jqwik) of the identities every divergence must satisfy. */
class DivergencePropertiesTest {

    private static final double LN2 = Math.log(2);

    /** Pairs of distributions over 2..8 outcomes, with exact zeros in about a quarter of the cells. */
    @Provide
    Arbitrary<double[][]> pairs() {
        return Arbitraries.integers().between(2, 8).flatMap(n -> Combinators.combine(distribution(n), distribution(n))
                .as((p, q) -> new double[][]{p, q}));
    }

    private static Arbitrary<double[]> distribution(int n) {
        Arbitrary<Double> cell = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(1, Arbitraries.just(0.0)),
                net.jqwik.api.Tuple.of(3, Arbitraries.doubles().between(1e-6, 1.0).ofScale(9)));
        return cell.array(double[].class).ofSize(n).filter(v -> sum(v) > 0).map(v -> {
            double s = sum(v);
            double[] out = new double[v.length];
            for (int i = 0; i < v.length; i++) {
                out[i] = v[i] / s;
            }
            return out;
        });
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

    @Property(tries = 300)
    void everyDivergenceIsNonNegativeAndZeroOnIdenticalInputs(@ForAll("pairs") double[][] pq) {
        for (Divergence d : registry()) {
            double v = d.unchecked(pq[0], pq[1]);
            assertThat(v).as("%s", d).isNotNaN().isGreaterThanOrEqualTo(-1e-12);
            assertThat(d.unchecked(pq[0], pq[0])).as("%s(p, p)", d).isCloseTo(0.0, within(1e-12));
        }
    }

    @Property(tries = 300)
    void jsIsSymmetricAndBoundedByLog2(@ForAll("pairs") double[][] pq) {
        Divergence js = DivergenceRegistry.create("js");
        double forward = js.unchecked(pq[0], pq[1]);
        assertThat(forward).isCloseTo(js.unchecked(pq[1], pq[0]), within(1e-15));
        assertThat(forward).isLessThanOrEqualTo(LN2 + 1e-15);
    }

    @Property(tries = 200)
    void jsdEndPointsAreForwardAndReverseKl(@ForAll("pairs") double[][] pq) {
        assertThat(DivergenceRegistry.create("jsd", 0.0).unchecked(pq[0], pq[1])).isEqualTo(ClosedForms.kl(pq[0], pq[1]));
        assertThat(DivergenceRegistry.create("jsd", 1.0).unchecked(pq[0], pq[1])).isEqualTo(ClosedForms.kl(pq[1], pq[0]));
    }

    @Property(tries = 300)
    void theGeneratorFormEqualsEveryClosedForm(@ForAll("pairs") double[][] pq) {
        int withGenerator = 0;
        for (Divergence d : registry()) {
            if (d.generator().isEmpty()) {
                continue;
            }
            withGenerator++;
            double closed = d.unchecked(pq[0], pq[1]);
            double viaF = d.generator().get().divergence(pq[0], pq[1]);
            if (Double.isInfinite(closed)) {
                assertThat(viaF).as("%s", d).isEqualTo(closed);
            } else {
                assertThat(viaF).as("%s", d).isCloseTo(closed, within(1e-9 * Math.max(1, Math.abs(closed))));
            }
        }
        assertThat(withGenerator).isGreaterThanOrEqualTo(14);
    }

    /** The f-DPO paper's alpha-divergence D(policy || reference) is the registry's alpha at 1 - paper alpha. */
    @Property(tries = 200)
    void alphaMapsToTheFdpoPaperAndTrl(@ForAll("pairs") double[][] pq, @ForAll @DoubleRange(min = 0.05, max = 0.95) double paperAlpha) {
        double[] reference = pq[0];
        double[] policy = pq[1];
        FGenerator paper = dev.divergence.math.divergence.Generators.alpha(paperAlpha);
        // sum_x ref(x) f(policy(x) / ref(x)): the generator applied with the arguments swapped
        double paperValue = paper.divergence(policy, reference);
        double ours = DivergenceRegistry.create("alpha", 1 - paperAlpha).unchecked(reference, policy);
        if (Double.isInfinite(paperValue)) {
            assertThat(ours).isEqualTo(paperValue);
        } else {
            assertThat(ours).isCloseTo(paperValue, within(1e-9 * Math.max(1, paperValue)));
        }
    }

    @Property(tries = 300)
    void pinsker(@ForAll("pairs") double[][] pq) {
        double tv = ClosedForms.totalVariation(pq[0], pq[1]);
        assertThat(tv).isLessThanOrEqualTo(Math.sqrt(Math.max(0, ClosedForms.kl(pq[0], pq[1])) / 2) + 1e-12);
    }

    @Property(tries = 200)
    void conjugatesSatisfyFenchelYoungEquality(@ForAll @DoubleRange(min = 0.05, max = 20) double t) {
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
    }

    @Property(tries = 100)
    void logitsAreInvariantToAConstantPerRow(@ForAll @IntRange(min = 1, max = 200) int vocab,
                                             @ForAll @DoubleRange(min = -50, max = 50) double shift,
                                             @ForAll @DoubleRange(min = 0.5, max = 4) double temperature,
                                             @ForAll("seeds") long seed) {
        java.util.Random random = new java.util.Random(seed);
        int rows = 2;
        float[] t = new float[rows * vocab];
        float[] s = new float[rows * vocab];
        float[] tShifted = new float[rows * vocab];
        double[] sd = new double[rows * vocab];
        double[] sdShifted = new double[rows * vocab];
        double[] td = new double[rows * vocab];
        for (int i = 0; i < t.length; i++) {
            t[i] = (float) (random.nextGaussian() * 3);
            s[i] = (float) (random.nextGaussian() * 3);
            // the shift differs per row; in float32 it is applied to values that stay exactly representable
            double rowShift = (i / vocab == 0 ? shift : -shift / 2);
            tShifted[i] = (float) (t[i] + Math.rint(rowShift));
            td[i] = t[i];
            sd[i] = s[i];
            sdShifted[i] = s[i] + rowShift;
        }
        LogitsOptions options = LogitsOptions.defaults().withTemperature(temperature);
        for (String name : List.of("kl", "reverse_kl", "js", "jsd", "tv", "skew_kl", "hellinger")) {
            LogitsDivergence kd = LogitsDivergence.of(name);
            double[] base = kd.perRow(LogitsBatch.ofFloats(t, rows, vocab), LogitsBatch.ofFloats(s, rows, vocab), options);
            double[] moved = kd.perRow(LogitsBatch.ofFloats(tShifted, rows, vocab), LogitsBatch.ofFloats(s, rows, vocab), options);
            double[] exact = kd.perRow(LogitsBatch.ofDoubles(td, rows, vocab), LogitsBatch.ofDoubles(sd, rows, vocab), options);
            double[] exactMoved = kd.perRow(LogitsBatch.ofDoubles(td, rows, vocab), LogitsBatch.ofDoubles(sdShifted, rows, vocab), options);
            for (int r = 0; r < rows; r++) {
                assertThat(moved[r]).as("%s float32", name).isCloseTo(base[r], within(1e-5 * Math.max(1, base[r])));
                assertThat(exactMoved[r]).as("%s float64", name).isCloseTo(exact[r], within(1e-12 * Math.max(1, exact[r])));
            }
        }
    }

    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs();
    }

    /** Uniform weights on n points each: the exact OT plan is a permutation (Birkhoff), found by brute force. */
    @Property(tries = 20)
    void sinkhornApproachesTheExactCostAsEpsilonShrinks(@ForAll @IntRange(min = 2, max = 5) int n, @ForAll("seeds") long seed) {
        java.util.Random random = new java.util.Random(seed);
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

    @Property(tries = 20)
    void sinkhornOnTheLineApproachesWasserstein1D(@ForAll @IntRange(min = 2, max = 6) int n, @ForAll("seeds") long seed) {
        java.util.Random random = new java.util.Random(seed);
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
    }
}
