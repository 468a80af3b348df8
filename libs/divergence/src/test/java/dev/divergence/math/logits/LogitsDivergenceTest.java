package dev.divergence.math.logits;

import dev.divergence.math.Float32Bounds;
import dev.divergence.math.divergence.Divergence;
import dev.divergence.math.divergence.DivergenceRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class LogitsDivergenceTest {

    /** Every registry divergence with the parameters the tests use. */
    static List<Divergence> allDivergences() {
        List<Divergence> all = new ArrayList<>();
        for (String name : DivergenceRegistry.names()) {
            if (name.equals("renyi")) {
                all.add(DivergenceRegistry.create(name, 2.0));
                all.add(DivergenceRegistry.create(name, 0.5));
            } else {
                all.add(DivergenceRegistry.create(name));
            }
        }
        all.add(DivergenceRegistry.create("jsd", 0.3));
        all.add(DivergenceRegistry.create("jsd", 0.0));
        all.add(DivergenceRegistry.create("jsd", 1.0));
        all.add(DivergenceRegistry.create("alpha", 2.0));
        all.add(DivergenceRegistry.create("skew_reverse_kl", 0.25));
        return all;
    }

    static double[] randomLogits(Random random, int n, double scale) {
        double[] z = new double[n];
        for (int i = 0; i < n; i++) {
            z[i] = random.nextGaussian() * scale;
        }
        return z;
    }

    /** Softmax in float64 the plain way, to check the log-space kernels against the registry closed forms. */
    static double[] softmax(double[] z, int offset, int n, double t) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, z[offset + i] / t);
        }
        double sum = 0;
        double[] p = new double[n];
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp(z[offset + i] / t - max);
            sum += p[i];
        }
        for (int i = 0; i < n; i++) {
            p[i] /= sum;
        }
        return p;
    }

    @Test
    void float64RowsAgreeWithTheRegistryClosedFormsForEveryName() {
        Random random = new Random(1);
        int rows = 5;
        int vocab = 37;
        double[] t = randomLogits(random, rows * vocab, 3);
        double[] s = randomLogits(random, rows * vocab, 3);
        LogitsOptions options = LogitsOptions.defaults().withTemperature(1.7);
        for (Divergence d : allDivergences()) {
            double[] perRow = LogitsDivergence.of(d).perRow(LogitsBatch.ofDoubles(t, rows, vocab),
                    LogitsBatch.ofDoubles(s, rows, vocab), options);
            for (int r = 0; r < rows; r++) {
                double expected = d.between(softmax(t, r * vocab, vocab, 1.7), softmax(s, r * vocab, vocab, 1.7));
                assertThat(perRow[r]).as("%s row %d", d, r).isCloseTo(expected, within(1e-12 + 1e-10 * Math.abs(expected)));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"kl", "reverse_kl", "js", "jsd", "tv", "skew_kl", "skew_reverse_kl", "chi2"})
    void float32SimdAndScalarPathsAgreeWithFloat64(String name) {
        Random random = new Random(2);
        int rows = 3;
        int vocab = 1000 + 13; // not a multiple of any lane count: exercises the scalar tails
        double[] t = randomLogits(random, rows * vocab, 4);
        double[] s = randomLogits(random, rows * vocab, 4);
        float[] tf = new float[t.length];
        float[] sf = new float[s.length];
        for (int i = 0; i < t.length; i++) {
            tf[i] = (float) t[i];
            sf[i] = (float) s[i];
            t[i] = tf[i];
            s[i] = sf[i];
        }
        LogitsDivergence kd = LogitsDivergence.of(name);
        LogitsOptions options = LogitsOptions.defaults().withTemperature(2.0);
        double[] exact = kd.perRow(LogitsBatch.ofDoubles(t, rows, vocab), LogitsBatch.ofDoubles(s, rows, vocab), options);
        double[] fast = kd.perRow(LogitsBatch.ofFloats(tf, rows, vocab), LogitsBatch.ofFloats(sf, rows, vocab), options);
        for (int r = 0; r < rows; r++) {
            // the float64 kernel on the same (float32-representable) logits is exact to ~1e-13; the float32
            // kernel's worst case is derived in Float32Bounds
            double bound = Float32Bounds.logitsDivergence(t, s, r * vocab, (r + 1) * vocab, 2.0);
            assertThat(fast[r]).as("%s row %d (simd=%s)", name, r, Simd.enabled())
                    .isCloseTo(exact[r], within(bound));
        }
    }

    @Test
    void theSimdKernelIsUsedExactlyWhenTheJvmHasTheVectorApi() {
        // surefire runs these tests twice: with --add-modules jdk.incubator.vector (SIMD) and without (scalar)
        boolean vectorApi = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        assertThat(Simd.enabled()).isEqualTo(vectorApi);
    }

    @ParameterizedTest
    @ValueSource(strings = {"kl", "reverse_kl", "js", "jsd", "skew_kl", "tv"})
    void float32GradientsAgreeWithTheFloat64Kernel(String name) {
        Random random = new Random(12);
        int rows = 3;
        int vocab = 2000 + 7;
        float[] tf = new float[rows * vocab];
        float[] sf = new float[rows * vocab];
        double[] t = new double[rows * vocab];
        double[] s = new double[rows * vocab];
        for (int i = 0; i < t.length; i++) {
            tf[i] = (float) (random.nextGaussian() * 3);
            sf[i] = (float) (random.nextGaussian() * 3);
            t[i] = tf[i];
            s[i] = sf[i];
        }
        LogitsDivergence kd = LogitsDivergence.of(name.equals("jsd") ? DivergenceRegistry.create("jsd", 0.3)
                : DivergenceRegistry.create(name));
        LogitsOptions options = new LogitsOptions(1.5, new boolean[]{true, false, true}, Reduction.TOKEN_MEAN);
        double[] exact = new double[t.length];
        double exactLoss = kd.lossAndGradient(LogitsBatch.ofDoubles(t, rows, vocab), LogitsBatch.ofDoubles(s, rows, vocab),
                options, exact);
        float[] fast = new float[t.length];
        java.util.Arrays.fill(fast, Float.NaN); // masked rows must be overwritten with zeros
        double fastLoss = kd.lossAndGradient(LogitsBatch.ofFloats(tf, rows, vocab), LogitsBatch.ofFloats(sf, rows, vocab),
                options, fast);
        // token mean over the two kept rows: weight 1/2 each, the gradient scaled by that weight over T
        double weight = 0.5;
        double lossBound = 0;
        for (int r : new int[]{0, 2}) {
            lossBound += weight * Float32Bounds.logitsDivergence(t, s, r * vocab, (r + 1) * vocab, 1.5);
        }
        assertThat(fastLoss).as(name).isCloseTo(exactLoss, within(lossBound));
        for (int r = 0; r < rows; r++) {
            double[] bound = Float32Bounds.logitsGradient(t, s, r * vocab, (r + 1) * vocab, 1.5, weight / 1.5);
            for (int i = 0; i < vocab; i++) {
                int at = r * vocab + i;
                if (r == 1) {
                    assertThat(fast[at]).as("%s masked grad[%d]", name, at).isZero();
                    continue;
                }
                // skew_kl and tv have no float32 kernel: their float64 gradient is only rounded to float32,
                // which the bound (far larger than 2^-24 |g|) covers as well
                assertThat((double) fast[at]).as("%s grad[%d]", name, at).isCloseTo(exact[at], within(bound[i]));
            }
        }
    }

    @Test
    void extremeLogitsStayFinite() {
        int vocab = 4;
        // probabilities underflow to exactly 0 in both rows: log space keeps every value finite
        double[] t = {0, -2000, -3000, 5};
        double[] s = {-1500, 0, -3000, 1};
        float[] tf = {0, -2000, -3000, 5};
        float[] sf = {-1500, 0, -3000, 1};
        for (String name : List.of("kl", "reverse_kl", "js", "jsd", "tv", "skew_kl", "skew_reverse_kl")) {
            LogitsDivergence kd = LogitsDivergence.of(name);
            double v = kd.perRow(LogitsBatch.ofDoubles(t, 1, vocab), LogitsBatch.ofDoubles(s, 1, vocab),
                    LogitsOptions.defaults())[0];
            double vf = kd.perRow(LogitsBatch.ofFloats(tf, 1, vocab), LogitsBatch.ofFloats(sf, 1, vocab),
                    LogitsOptions.defaults())[0];
            assertThat(v).as(name).isFinite().isGreaterThanOrEqualTo(0);
            assertThat(vf).as(name).isCloseTo(v, within(Float32Bounds.logitsDivergence(t, s, 0, vocab, 1.0)));
        }
    }

    @Test
    void jsdEndPointsAreTheForwardAndReverseKl() {
        Random random = new Random(3);
        double[] t = randomLogits(random, 2 * 50, 2);
        double[] s = randomLogits(random, 2 * 50, 2);
        LogitsBatch bt = LogitsBatch.ofDoubles(t, 2, 50);
        LogitsBatch bs = LogitsBatch.ofDoubles(s, 2, 50);
        LogitsOptions o = LogitsOptions.defaults().withReduction(Reduction.NONE);
        assertThat(LogitsDivergence.of(DivergenceRegistry.create("jsd", 0.0)).perRow(bt, bs, o))
                .containsExactly(LogitsDivergence.of("kl").perRow(bt, bs, o));
        assertThat(LogitsDivergence.of(DivergenceRegistry.create("jsd", 1.0)).perRow(bt, bs, o))
                .containsExactly(LogitsDivergence.of("reverse_kl").perRow(bt, bs, o));
        double[] half = LogitsDivergence.of(DivergenceRegistry.create("jsd", 0.5)).perRow(bt, bs, o);
        double[] js = LogitsDivergence.of("js").perRow(bt, bs, o);
        assertThat(half[0]).isCloseTo(js[0], within(1e-15));
    }

    @Test
    void masksAndReductions() {
        Random random = new Random(4);
        int rows = 4;
        int vocab = 9;
        double[] t = randomLogits(random, rows * vocab, 1);
        double[] s = randomLogits(random, rows * vocab, 1);
        s[2 * vocab] = Double.NaN; // a padding row may hold anything: it is never read
        boolean[] mask = {true, true, false, true};
        LogitsDivergence kd = LogitsDivergence.of("kl");
        LogitsBatch bt = LogitsBatch.ofDoubles(t, rows, vocab);
        LogitsBatch bs = LogitsBatch.ofDoubles(s, rows, vocab);
        double[] perRow = kd.perRow(bt, bs, LogitsOptions.defaults().withMask(mask));
        assertThat(perRow[2]).isZero();
        double sum = perRow[0] + perRow[1] + perRow[3];
        LogitsOptions base = LogitsOptions.defaults().withMask(mask);
        assertThat(kd.loss(bt, bs, base.withReduction(Reduction.SUM))).isEqualTo(sum);
        assertThat(kd.loss(bt, bs, base.withReduction(Reduction.MEAN))).isEqualTo(sum / 4);
        assertThat(kd.loss(bt, bs, base.withReduction(Reduction.TOKEN_MEAN))).isEqualTo(sum / 3);
        assertThat(Reduction.TOKEN_MEAN.apply(new double[]{0, 0}, new boolean[]{false, false})).isZero();
    }

    @Test
    void badInputNamesTheArgumentAndTheFirstIndex() {
        LogitsDivergence kd = LogitsDivergence.of("js");
        float[] good = new float[2 * 40];
        float[] bad = new float[2 * 40];
        bad[47] = Float.POSITIVE_INFINITY;
        bad[60] = Float.NaN;
        assertThatThrownBy(() -> kd.perRow(LogitsBatch.ofFloats(good, 2, 40), LogitsBatch.ofFloats(bad, 2, 40),
                LogitsOptions.defaults())).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("studentLogits[47]");
        double[] badD = new double[2 * 40];
        badD[5] = Double.NaN;
        assertThatThrownBy(() -> kd.perRow(LogitsBatch.ofDoubles(badD, 2, 40), LogitsBatch.ofDoubles(new double[80], 2, 40),
                LogitsOptions.defaults())).hasMessageStartingWith("teacherLogits[5]");
        assertThatThrownBy(() -> kd.perRow(LogitsBatch.ofFloats(good, 2, 40), LogitsBatch.ofFloats(good, 4, 20),
                LogitsOptions.defaults())).hasMessageStartingWith("studentLogits: has shape [4, 20]");
        assertThatThrownBy(() -> LogitsBatch.ofFloats(good, 3, 40)).hasMessageStartingWith("logits: has 80 values");
        assertThatThrownBy(() -> LogitsOptions.defaults().withTemperature(0)).hasMessageStartingWith("temperature");
        assertThatThrownBy(() -> kd.perRow(LogitsBatch.ofFloats(good, 2, 40), LogitsBatch.ofFloats(good, 2, 40),
                LogitsOptions.defaults().withMask(new boolean[3]))).hasMessageStartingWith("rowMask");
        assertThatThrownBy(() -> LogitsBatch.ofFloats(new float[0], 0, 5)).hasMessageStartingWith("rows");
    }

    @Test
    void registryRejectsUnknownNamesAndParameters() {
        assertThatThrownBy(() -> DivergenceRegistry.create("kullback")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown name 'kullback'");
        assertThatThrownBy(() -> DivergenceRegistry.create("sinkhorn")).hasMessageContaining("Sinkhorn");
        assertThatThrownBy(() -> DivergenceRegistry.create("jsd", 1.5)).hasMessageStartingWith("beta: must be in [0.0, 1.0]");
        assertThatThrownBy(() -> DivergenceRegistry.create("renyi")).hasMessageStartingWith("alpha: is required");
        assertThatThrownBy(() -> DivergenceRegistry.create("kl", Map.of("beta", 0.5))).hasMessageStartingWith("beta: is not a parameter of kl");
        assertThatThrownBy(() -> DivergenceRegistry.create("alpha", Double.NaN)).hasMessageStartingWith("alpha: must be finite");
        assertThat(DivergenceRegistry.names()).contains("kl", "reverse_kl", "js", "jsd", "tv", "hellinger", "chi2",
                "alpha", "skew_kl", "skew_reverse_kl", "jeffreys", "renyi");
    }
}
