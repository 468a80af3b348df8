package dev.divergence.math.stats;

import dev.divergence.math.Reference;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Student-t intervals of {@link RunningStatistics} against closed forms and against scipy.stats.t
 * (reference/student_t.json, made by src/test/python/student_t_reference.py).
 *
 * <p>Accuracy of the reference: the script refines scipy's t.ppf by Newton steps on the tail probability
 * (cephes stdtr, about 1e-15 relative); the refined quantiles agree with the closed forms of df = 1 and 2 to
 * 1.4e-15 relative. A relative error d of the tail probability q moves t by d q / (t f(t)) relative, at most
 * 5 d for the probabilities used here (t f(t) / q grows towards df in the tails and is 0.1 / 0.4 at p = 0.6),
 * so {@value #REFERENCE_RELATIVE} leaves a factor 20 over 5e-15 for the reference and for the library's own
 * inversion. The closed forms are evaluated at probabilities that are exact in binary, where tan and sqrt
 * are correct to about 1 ulp: the same tolerance applies.
 */
class ConfidenceIntervalTest {

    private static final double REFERENCE_RELATIVE = 1e-13;
    private static final double EPS = Math.ulp(1.0);

    private static final JsonNode ROOT = load();

    private static JsonNode load() {
        try (InputStream in = ConfidenceIntervalTest.class.getResourceAsStream("/reference/student_t.json")) {
            return JsonMapper.builder().build().readTree(in);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The t quantile an interval used, recovered from its width. */
    private static double quantileOf(RunningStatistics stats, double level) {
        RunningStatistics.Interval ci = stats.confidenceInterval(level);
        return (ci.upper() - ci.lower()) / (2 * stats.standardError());
    }

    private static RunningStatistics of(double... values) {
        return new RunningStatistics().addAll(values);
    }

    @Test
    void oneDegreeOfFreedomIsCauchy() {
        // n = 2: df = 1, t_p = tan(pi (p - 1/2)); the values 1, 2 have mean 1.5 and standard error 0.5
        RunningStatistics two = of(1, 2);
        assertThat(two.standardError()).isEqualTo(0.5);
        for (double level : new double[]{0.5, 0.75, 0.875}) {
            double expected = Math.tan(Math.PI * level / 2);
            assertThat(quantileOf(two, level)).as("level %s", level).isCloseTo(expected, within(REFERENCE_RELATIVE * expected));
        }
        RunningStatistics.Interval half = two.confidenceInterval(0.5);
        assertThat(half.lower()).isCloseTo(1.0, within(1e-13));
        assertThat(half.upper()).isCloseTo(2.0, within(1e-13));
    }

    @Test
    void twoDegreesOfFreedomHaveAClosedForm() {
        // n = 3: df = 2, t_p = (2p - 1) / sqrt(2 p (1 - p)), p = (1 + level) / 2
        RunningStatistics three = of(-1, 0, 1);
        for (double level : new double[]{0.5, 0.75, 0.96875, 1 - 0x1p-30}) {
            double p = (1 + level) / 2;
            double expected = (2 * p - 1) / Math.sqrt(2 * p * (1 - p));
            assertThat(quantileOf(three, level)).as("level %s", level).isCloseTo(expected, within(REFERENCE_RELATIVE * expected));
        }
    }

    /**
     * Every interval of the reference: bounds mean +- t s / sqrt(n). Welford's mean and variance differ from
     * numpy's (pairwise sum, two-pass variance) by at most 2 n eps relative each, so the bounds may differ by
     * 2 n eps (|mean| + t se) on top of the quantile's error t se 1e-13.
     */
    @Test
    void intervalsMatchScipy() {
        int checked = 0;
        for (JsonNode c : ROOT.get("intervals")) {
            double[] values = Reference.vector(c.get("values"));
            RunningStatistics stats = of(values);
            int n = values.length;
            double mean = c.get("mean").doubleValue();
            double se = c.get("standard_error").doubleValue();
            assertThat(stats.mean()).as(c.get("name").asString()).isCloseTo(mean, within(2 * n * EPS * Math.abs(mean) + 1e-300));
            assertThat(stats.standardError()).as(c.get("name").asString()).isCloseTo(se, within(2 * n * EPS * se));
            for (JsonNode interval : c.get("intervals")) {
                double level = interval.get("level").doubleValue();
                double t = interval.get("t_quantile").doubleValue();
                String what = c.get("name").asString() + " at level " + level;
                double tolerance = 2 * n * EPS * (Math.abs(mean) + t * se) + REFERENCE_RELATIVE * t * se;
                RunningStatistics.Interval ci = stats.confidenceInterval(level);
                assertThat(ci.lower()).as(what).isCloseTo(interval.get("lower").doubleValue(), within(tolerance));
                assertThat(ci.upper()).as(what).isCloseTo(interval.get("upper").doubleValue(), within(tolerance));
                checked++;
            }
        }
        assertThat(checked).isEqualTo(36);
    }

    /** scipy.stats.t.ppf for df from 1 to 10^6 and p from 0.6 to 1 - 1e-10, read back from interval widths. */
    @Test
    void quantilesMatchScipy() {
        int checked = 0;
        for (JsonNode q : ROOT.get("quantiles")) {
            int df = q.get("df").asInt();
            double p = q.get("p").doubleValue();
            if (p <= 0.5) {
                continue; // a two-sided interval only reaches the upper quantiles; t is symmetric
            }
            double[] values = new double[df + 1];
            for (int i = 0; i < values.length; i++) {
                values[i] = i % 2 == 0 ? 1 : -1;
            }
            double expected = q.get("ppf").doubleValue();
            // 2p - 1 is exact for these p, so the interval's tail probability is 1 - p exactly; reading t back
            // from the width costs a few eps
            assertThat(quantileOf(of(values), 2 * p - 1)).as("t.ppf(%s, %s)", p, df)
                    .isCloseTo(expected, within(REFERENCE_RELATIVE * expected + 8 * EPS * expected));
            checked++;
        }
        assertThat(checked).isEqualTo(55);
    }
}
