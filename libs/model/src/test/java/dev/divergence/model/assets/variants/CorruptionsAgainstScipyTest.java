package dev.divergence.model.assets.variants;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.divergence.model.TestSupport;
import java.io.IOException;
import java.nio.file.Files;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Each corruption against numpy/scipy on fixed inputs and fixed draws: resources/variants/expected.json,
 * made by resources/variants/make_expected.py (its header says how).
 *
 * <p>Tolerances: the Java side computes in double and rounds to float once; the reference is float64.
 * Rounding to float32 moves a value by at most half an ulp, 2^-24 |x| (below eps32 = 1.19e-7 times |x|);
 * the double arithmetic before it (at most 13 x 13 = 169 products for the widest blur, features up to
 * ~2e3) adds at most ~169 * 2.2e-16 * 2e3 = 7e-11. Hence tol = eps32 |expected| + 1e-10 for outputs, and
 * 1e-12 relative for the double-only kernel weights and training-set statistics.
 */
class CorruptionsAgainstScipyTest {

    private static final double EPS32 = 1.19e-7;
    private static JsonNode cases;

    @BeforeAll
    static void read() throws IOException {
        cases = JsonMapper.builder().build().readTree(Files.readString(TestSupport.resource("variants/expected.json")));
    }

    @Test
    void gaussianKernelIsScipysWeights() {
        for (JsonNode c : cases.get("kernel")) {
            double[] expected = doubles(c.get("weights"));
            double[] kernel = DigitCorruptions.gaussianKernel(c.get("sigma").asDouble());
            assertThat(kernel).hasSameSizeAs(expected);
            for (int i = 0; i < kernel.length; i++) {
                assertThat(kernel[i]).as("sigma %s weight %d", c.get("sigma"), i).isCloseTo(expected[i], within(1e-12 * expected[i] + 1e-18));
            }
        }
    }

    @Test
    void blurIsScipyGaussianFilterWithConstantZeroBoundary() {
        assertThat(cases.get("blur").size()).isGreaterThanOrEqualTo(10);
        for (JsonNode c : cases.get("blur")) {
            float[] out = DigitCorruptions.blur(floats(c.get("image")), c.get("sigma").asDouble());
            assertClose("blur sigma " + c.get("sigma"), out, doubles(c.get("expected")));
        }
    }

    @Test
    void noiseIsClippedGaussianNoise() {
        for (JsonNode c : cases.get("noise")) {
            float[] out = DigitCorruptions.noise(floats(c.get("image")), c.get("std").asDouble(), doubles(c.get("z")));
            assertClose("noise std " + c.get("std"), out, doubles(c.get("expected")));
        }
    }

    @Test
    void occlusionSetsThePatchToBackground() {
        for (JsonNode c : cases.get("occlusion")) {
            float[] out = DigitCorruptions.occlude(floats(c.get("image")), c.get("side").asInt(), c.get("top").asInt(), c.get("left").asInt());
            assertClose("occlusion " + c, out, doubles(c.get("expected")));
        }
    }

    @Test
    void contrastShrinksTowardsTheImageMean() {
        for (JsonNode c : cases.get("contrast")) {
            float[] out = DigitCorruptions.contrast(floats(c.get("image")), c.get("factor").asDouble());
            assertClose("contrast " + c.get("factor"), out, doubles(c.get("expected")));
        }
    }

    @Test
    void tabularShiftsAndTrainingStatistics() {
        JsonNode tab = cases.get("tabular");
        float[][] rows = new float[tab.get("rows").size()][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = floats(tab.get("rows").get(i));
        }
        TabularShifts.FeatureStatistics stats = TabularShifts.FeatureStatistics.of(rows);
        double[] mean = doubles(tab.get("mean"));
        double[] std = doubles(tab.get("std"));
        for (int j = 0; j < mean.length; j++) {
            assertThat(stats.mean()[j]).isCloseTo(mean[j], within(1e-12 * Math.abs(mean[j])));
            assertThat(stats.std()[j]).isCloseTo(std[j], within(1e-12 * Math.abs(std[j])));
        }
        for (JsonNode c : tab.get("noise")) {
            float[] out = TabularShifts.noise(rows[c.get("row").asInt()], c.get("factor").asDouble(), std, doubles(c.get("z")));
            assertClose("tabular noise " + c.get("factor"), out, doubles(c.get("expected")));
        }
        for (JsonNode c : tab.get("scale")) {
            float[] out = TabularShifts.scale(rows[c.get("row").asInt()], doubles(c.get("factors")));
            assertClose("tabular scale", out, doubles(c.get("expected")));
        }
        for (JsonNode c : tab.get("impute")) {
            boolean[] missing = new boolean[c.get("missing").size()];
            for (int j = 0; j < missing.length; j++) {
                missing[j] = c.get("missing").get(j).asBoolean();
            }
            float[] out = TabularShifts.impute(rows[c.get("row").asInt()], missing, mean);
            assertClose("tabular impute", out, doubles(c.get("expected")));
        }
    }

    private static void assertClose(String what, float[] actual, double[] expected) {
        assertThat(actual).as(what).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) actual[i]).as("%s [%d]", what, i).isCloseTo(expected[i], within(EPS32 * Math.abs(expected[i]) + 1e-10));
        }
    }

    private static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).asDouble();
        }
        return out;
    }

    private static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }
}
