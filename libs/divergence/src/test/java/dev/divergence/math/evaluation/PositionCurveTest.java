package dev.divergence.math.evaluation;

import dev.divergence.math.DiversityProvenanceFixture;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Per-position curves against a hand example and against the Python reference (numpy mean and ddof=1 standard
 * deviation, scipy's t quantile refined as in student_t_reference.py). At most 10 values per position: Welford vs
 * numpy differ by a few eps, the t quantile by about 1e-15 relative (ConfidenceIntervalTest), so 1e-12 relative of
 * the larger of |mean| and the half-width is ample.
 */
class PositionCurveTest {

    @Test
    void handComputedRaggedBatch() {
        // position 0: 1, 3, 5 -> mean 3, s = 2, se = 2 / sqrt 3; position 1: 2, 4 -> mean 3; position 2: 7 alone
        List<PositionCurve.Point> curve = PositionCurve.of(List.of(new double[]{1, 2, 7}, new double[]{3, 4}, new double[]{5}), 0.5);
        assertThat(curve).hasSize(3);
        assertThat(curve.get(0).count()).isEqualTo(3);
        assertThat(curve.get(0).mean()).isEqualTo(3.0);
        // df = 2, level 0.5: t = (2p - 1) / sqrt(2 p (1 - p)) at p = 0.75 = 0.5 / sqrt(0.375)
        double half = 0.5 / Math.sqrt(0.375) * 2 / Math.sqrt(3);
        assertThat(curve.get(0).interval().lower()).isCloseTo(3 - half, within(1e-14));
        assertThat(curve.get(0).interval().upper()).isCloseTo(3 + half, within(1e-14));
        // df = 1, level 0.5: t = tan(pi / 4) = 1; s = sqrt 2, se = 1
        assertThat(curve.get(1).interval().lower()).isCloseTo(2.0, within(1e-14));
        assertThat(curve.get(1).interval().upper()).isCloseTo(4.0, within(1e-14));
        assertThat(curve.get(2)).isEqualTo(new PositionCurve.Point(2, 1, 7.0, null));
    }

    @Test
    void matchesPythonReference() {
        int checked = 0;
        for (JsonNode c : DiversityProvenanceFixture.section("position_curve")) {
            List<PositionCurve.Point> curve = PositionCurve.of(DiversityProvenanceFixture.doubleRows(c.get("values")),
                    c.get("level").doubleValue());
            JsonNode points = c.get("points");
            assertThat(curve).hasSize(points.size());
            for (JsonNode p : points) {
                PositionCurve.Point point = curve.get(p.get("position").asInt());
                String what = "position " + point.position();
                assertThat(point.count()).as(what).isEqualTo(p.get("count").asLong());
                double mean = p.get("mean").doubleValue();
                if (p.has("lower")) {
                    double lower = p.get("lower").doubleValue();
                    double upper = p.get("upper").doubleValue();
                    double tolerance = 1e-12 * Math.max(Math.abs(mean), upper - lower);
                    assertThat(point.mean()).as(what).isCloseTo(mean, within(tolerance));
                    assertThat(point.interval().lower()).as(what).isCloseTo(lower, within(tolerance));
                    assertThat(point.interval().upper()).as(what).isCloseTo(upper, within(tolerance));
                } else {
                    assertThat(point.mean()).as(what).isEqualTo(mean);
                    assertThat(point.interval()).as(what).isNull();
                }
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(5);
    }

    @Test
    void badInputNamesTheArgument() {
        assertThatThrownBy(() -> PositionCurve.of(List.of(new double[0]), 0.95)).hasMessageStartingWith("values: must hold at least one value");
        assertThatThrownBy(() -> PositionCurve.of(List.of(new double[]{1}, new double[]{2, Double.NaN}), 0.95))
                .hasMessageStartingWith("values[1][1]: must be finite but is NaN");
        List<double[]> withNull = new ArrayList<>();
        withNull.add(null);
        assertThatThrownBy(() -> PositionCurve.of(withNull, 0.95)).hasMessageStartingWith("values[0]: must not be null");
        assertThatThrownBy(() -> PositionCurve.of(List.of(new double[]{1}), 1.0)).hasMessageStartingWith("level: must be in (0, 1)");
    }
}
