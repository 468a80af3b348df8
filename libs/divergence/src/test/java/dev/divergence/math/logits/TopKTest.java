package dev.divergence.math.logits;

import dev.divergence.math.divergence.Divergence;
import dev.divergence.math.divergence.DivergenceRegistry;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class TopKTest {

    /** The teacher's top-k tokens and log-probabilities at temperature t, as a cache would store them. */
    static TopKTeacher topK(double[] teacher, int rows, int vocab, int k, double t) {
        int[] indices = new int[rows * k];
        float[] logProbs = new float[rows * k];
        for (int r = 0; r < rows; r++) {
            double[] p = LogitsDivergenceTest.softmax(teacher, r * vocab, vocab, t);
            int[] order = IntStream.range(0, vocab).boxed().sorted(Comparator.comparingDouble(i -> -p[i]))
                    .mapToInt(Integer::intValue).toArray();
            for (int j = 0; j < k; j++) {
                indices[r * k + j] = order[j];
                logProbs[r * k + j] = (float) Math.log(p[order[j]]);
            }
        }
        return new TopKTeacher(rows, k, indices, logProbs);
    }

    @Test
    void keepingAllButOneTokenIsTheFullDivergence() {
        Random random = new Random(7);
        int rows = 3;
        int vocab = 12;
        double[] t = LogitsDivergenceTest.randomLogits(random, rows * vocab, 2);
        double[] s = LogitsDivergenceTest.randomLogits(random, rows * vocab, 2);
        LogitsOptions options = LogitsOptions.defaults().withTemperature(1.3);
        TopKTeacher teacher = topK(t, rows, vocab, vocab - 1, 1.3);
        for (String name : List.of("kl", "reverse_kl", "js", "tv", "hellinger", "chi2")) {
            Divergence d = DivergenceRegistry.create(name);
            double[] cached = LogitsDivergence.of(d).perRowTopK(teacher, LogitsBatch.ofDoubles(s, rows, vocab), options);
            for (int r = 0; r < rows; r++) {
                // the tail bin is exactly the one remaining token, so the value is the full divergence of the teacher
                // as the cache holds it: its float32 log-probabilities exponentiated, the last token 1 - their sum.
                // Both sides are float64 over 12 cells (each term within a few ulps): 1e-12 relative is 100x that.
                int k = vocab - 1;
                double[] stored = new double[vocab];
                boolean[] inTop = new boolean[vocab];
                double kept = 0;
                for (int j = 0; j < k; j++) {
                    double p = Math.exp(teacher.logProbs()[r * k + j]);
                    stored[teacher.indices()[r * k + j]] = p;
                    inTop[teacher.indices()[r * k + j]] = true;
                    kept += p;
                }
                for (int i = 0; i < vocab; i++) {
                    if (!inTop[i]) {
                        stored[i] = Math.max(0, 1 - kept);
                    }
                }
                double expected = d.unchecked(stored, LogitsDivergenceTest.softmax(s, r * vocab, vocab, 1.3));
                assertThat(cached[r]).as("%s row %d", name, r).isCloseTo(expected, within(1e-12 * Math.max(1, expected)));
            }
        }
    }

    @Test
    void aSmallTopKCoarsensButKeepsTheTailMass() {
        Random random = new Random(8);
        int vocab = 50;
        double[] t = LogitsDivergenceTest.randomLogits(random, vocab, 3);
        double[] s = LogitsDivergenceTest.randomLogits(random, vocab, 3);
        TopKTeacher teacher = topK(t, 1, vocab, 5, 1);
        double value = LogitsDivergence.of("kl").perRowTopK(teacher, LogitsBatch.ofDoubles(s, 1, vocab), LogitsOptions.defaults())[0];
        // hand-built 6-bin distributions
        double[] p = LogitsDivergenceTest.softmax(t, 0, vocab, 1);
        double[] q = LogitsDivergenceTest.softmax(s, 0, vocab, 1);
        double[] pb = new double[6];
        double[] qb = new double[6];
        double pTop = 0;
        double qTop = 0;
        for (int j = 0; j < 5; j++) {
            pb[j] = Math.exp(teacher.logProbs()[j]);
            qb[j] = q[teacher.indices()[j]];
            pTop += pb[j];
            qTop += qb[j];
        }
        pb[5] = 1 - pTop;
        qb[5] = 1 - qTop;
        assertThat(value).isCloseTo(DivergenceRegistry.create("kl").unchecked(pb, qb), within(1e-12));
        // coarsening never increases an f-divergence (data processing inequality): the cached teacher is the
        // coarsening of its stored top-5 probabilities with the tail spread over the tail tokens as p spreads it,
        // so the inequality holds exactly for that full distribution; float64 slack only (50 terms, 1e-12)
        double pTail = 1 - pTop;
        double pTailTrue = 0;
        boolean[] inTop = new boolean[vocab];
        for (int j = 0; j < 5; j++) {
            inTop[teacher.indices()[j]] = true;
        }
        for (int i = 0; i < vocab; i++) {
            pTailTrue += inTop[i] ? 0 : p[i];
        }
        double[] stored = new double[vocab];
        for (int i = 0; i < vocab; i++) {
            stored[i] = inTop[i] ? 0 : p[i] * pTail / pTailTrue;
        }
        for (int j = 0; j < 5; j++) {
            stored[teacher.indices()[j]] = pb[j];
        }
        assertThat(value).isLessThanOrEqualTo(DivergenceRegistry.create("kl").unchecked(stored, q) + 1e-12);
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Random random = new Random(9);
        int rows = 2;
        int vocab = 9;
        double[] t = LogitsDivergenceTest.randomLogits(random, rows * vocab, 1.5);
        double[] s = LogitsDivergenceTest.randomLogits(random, rows * vocab, 1.5);
        TopKTeacher teacher = topK(t, rows, vocab, 4, 2.0);
        LogitsOptions options = LogitsOptions.defaults().withTemperature(2.0);
        for (Divergence d : List.of(DivergenceRegistry.create("kl"), DivergenceRegistry.create("reverse_kl"),
                DivergenceRegistry.create("js"), DivergenceRegistry.create("jsd", 0.2), DivergenceRegistry.create("skew_kl"),
                DivergenceRegistry.create("alpha", 0.3))) {
            LogitsDivergence kd = LogitsDivergence.of(d);
            double[] grad = new double[rows * vocab];
            kd.lossAndGradientTopK(teacher, LogitsBatch.ofDoubles(s, rows, vocab), options, grad);
            for (int i = 0; i < s.length; i++) {
                double keep = s[i];
                double h = 1e-5;
                s[i] = keep + h;
                double up = options.reduction().apply(kd.perRowTopK(teacher, LogitsBatch.ofDoubles(s, rows, vocab), options), null);
                s[i] = keep - h;
                double down = options.reduction().apply(kd.perRowTopK(teacher, LogitsBatch.ofDoubles(s, rows, vocab), options), null);
                s[i] = keep;
                double numeric = (up - down) / (2 * h);
                assertThat(grad[i]).as("%s d/ds[%d]", d, i).isCloseTo(numeric, within(1e-7 + 1e-6 * Math.abs(numeric)));
            }
            assertThat(Arrays.stream(grad).map(Math::abs).sum()).isGreaterThan(1e-3);
        }
    }

    @Test
    void badTopKInput() {
        assertThatThrownBy(() -> new TopKTeacher(1, 2, new int[]{0, 1}, new float[]{-0.1f, Float.NaN}))
                .hasMessageStartingWith("logProbs[1]");
        assertThatThrownBy(() -> new TopKTeacher(1, 2, new int[]{0, 1}, new float[]{-0.1f, -0.2f}))
                .hasMessageContaining("top-k mass");
        TopKTeacher repeated = new TopKTeacher(1, 2, new int[]{3, 3}, new float[]{-1f, -2f});
        assertThatThrownBy(() -> LogitsDivergence.of("kl").perRowTopK(repeated, LogitsBatch.ofDoubles(new double[5], 1, 5),
                LogitsOptions.defaults())).hasMessageStartingWith("indices[1]: repeats token 3");
        TopKTeacher outside = new TopKTeacher(1, 2, new int[]{3, 7}, new float[]{-1f, -2f});
        assertThatThrownBy(() -> LogitsDivergence.of("kl").perRowTopK(outside, LogitsBatch.ofDoubles(new double[5], 1, 5),
                LogitsOptions.defaults())).hasMessageStartingWith("indices[1]: must be a token id in [0, 5)");
    }
}
