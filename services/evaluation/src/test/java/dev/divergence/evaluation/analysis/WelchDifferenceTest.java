package dev.divergence.evaluation.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.divergence.evaluation.run.Estimate;
import java.io.InputStream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Welch's interval for b - a from two stored estimates, against src/test/python/welch_reference.py
 * (numpy / scipy from the raw samples, which the code under test never sees).
 *
 * <p>Tolerance 1e-9 relative (of |difference| + half-width for the bounds, which may straddle 0):
 * the fixture holds every double exactly (17 significant digits); the code recovers each standard
 * error from upper - lower, which cancels at most log10(|mean| / half) ≈ 3.4 digits in the
 * tiny-spread case (mean 1e-3, half ≈ 4e-7: 2500 · 1.1e-16 ≈ 3e-13), then applies about ten double
 * operations (≤ 1.1e-16 each) and t quantiles (commons-statistics here; scipy's, Newton-refined on
 * its incomplete-beta survival function, in the script: both agree to ~1e-15 relative, see the
 * script for why scipy 1.10's own t.isf, good to only ~2e-9, is not used). The budget is ~1e-12;
 * 1e-9 leaves a thousandfold margin and still catches a wrong quantile (the normal instead of
 * t(n - 1) is off by > 1e-3 at n = 40).
 */
class WelchDifferenceTest {

  private static final double RELATIVE = 1e-9;

  @Test
  void matchesScipyOnEveryFixtureCase() throws Exception {
    JsonNode fixture;
    try (InputStream in = getClass().getResourceAsStream("/analysis/welch-cases.json")) {
      fixture = JsonMapper.builder().build().readTree(in);
    }
    int checked = 0;
    for (JsonNode c : fixture.get("cases")) {
      String name = c.get("name").asString();
      WelchDifference actual = WelchDifference.of(estimate(c.get("a")), estimate(c.get("b")), c.get("levelA").asDouble(),
          c.get("levelB").asDouble(), c.get("level").asDouble());
      JsonNode expected = c.get("expected");
      double difference = expected.get("difference").asDouble();
      assertThat(actual.difference()).as(name).isCloseTo(difference, within(1e-15 * Math.max(1, Math.abs(difference))));
      if (expected.get("lower").isNull()) {
        assertThat(actual.lower()).as(name).isNull();
        assertThat(actual.upper()).as(name).isNull();
        assertThat(actual.excludesZero()).as(name).isNull();
        assertThat(actual.note()).as(name).contains("n < 2");
      } else {
        double half = (expected.get("upper").asDouble() - expected.get("lower").asDouble()) / 2;
        double scale = RELATIVE * (Math.abs(difference) + half);
        assertThat(actual.standardError()).as(name + " standard error")
            .isCloseTo(expected.get("standardError").asDouble(), within(RELATIVE * expected.get("standardError").asDouble()));
        assertThat(actual.degreesOfFreedom()).as(name + " degrees of freedom")
            .isCloseTo(expected.get("degreesOfFreedom").asDouble(), within(RELATIVE * expected.get("degreesOfFreedom").asDouble()));
        assertThat(actual.lower()).as(name + " lower").isCloseTo(expected.get("lower").asDouble(), within(scale));
        assertThat(actual.upper()).as(name + " upper").isCloseTo(expected.get("upper").asDouble(), within(scale));
        assertThat(actual.excludesZero()).as(name + " excludes 0").isEqualTo(expected.get("excludesZero").asBoolean());
      }
      checked++;
    }
    assertThat(checked).isEqualTo(20);
  }

  @Test
  void aHandCaseFromTheFormula() {
    // a = 1, 2, 3: mean 2, s² = 1, se² = 1/3; b = 2, 4, 6, 8: mean 5, s² = 20/3, se² = 5/3.
    // se_d = √2; ν = 2² / ((1/3)² / 2 + (5/3)² / 3) = 4 / (1/18 + 25/27) = 216/53.
    double tA = WelchDifference.upperQuantile(2, 0.95);
    double tB = WelchDifference.upperQuantile(3, 0.95);
    Estimate a = new Estimate(2.0, 2 - tA * Math.sqrt(1.0 / 3), 2 + tA * Math.sqrt(1.0 / 3), 3);
    Estimate b = new Estimate(5.0, 5 - tB * Math.sqrt(5.0 / 3), 5 + tB * Math.sqrt(5.0 / 3), 4);
    WelchDifference d = WelchDifference.of(a, b, 0.95, 0.95, 0.95);
    assertThat(d.difference()).isEqualTo(3.0);
    assertThat(d.standardError()).isCloseTo(Math.sqrt(2), within(1e-14));
    assertThat(d.degreesOfFreedom()).isCloseTo(216.0 / 53, within(1e-13));
    // half-width t(0.975, 216/53) · √2 = 3.897975451083129 (/usr/bin/python3: scipy's t quantile refined as in
    // welch_reference.py, times 2**0.5)
    assertThat(d.upper() - d.difference()).isCloseTo(3.897975451083129, within(1e-12));
    assertThat(d.excludesZero()).isFalse();
  }

  @Test
  void noIntervalBelowTwoUnitsOrForExactValues() {
    Estimate single = new Estimate(0.5, null, null, 1);
    Estimate many = new Estimate(0.7, 0.6, 0.8, 30);
    assertThat(WelchDifference.of(single, many, 0.95, 0.95, 0.95).lower()).isNull();
    assertThat(WelchDifference.of(many, single, 0.95, 0.95, 0.95).note()).isEqualTo("no interval: n < 2 on b");
    Estimate exact = Estimate.exact(0.4, 500);
    WelchDifference fromExact = WelchDifference.of(exact, many, 0.95, 0.95, 0.95);
    assertThat(fromExact.difference()).isCloseTo(0.3, within(1e-15));
    assertThat(fromExact.lower()).isNull();
    assertThat(fromExact.note()).contains("exact");
  }

  @Test
  void twoConstantSamplesGiveThePointAsInterval() {
    WelchDifference d = WelchDifference.of(new Estimate(1.0, 1.0, 1.0, 8), new Estimate(0.0, 0.0, 0.0, 8), 0.95, 0.95, 0.95);
    assertThat(d.lower()).isEqualTo(-1.0);
    assertThat(d.upper()).isEqualTo(-1.0);
    assertThat(d.excludesZero()).isTrue();
    assertThat(d.degreesOfFreedom()).isNull();
  }

  private static Estimate estimate(JsonNode node) {
    return new Estimate(node.get("mean").asDouble(), node.get("lower").isNull() ? null : node.get("lower").asDouble(),
        node.get("upper").isNull() ? null : node.get("upper").asDouble(), node.get("n").asLong());
  }
}
