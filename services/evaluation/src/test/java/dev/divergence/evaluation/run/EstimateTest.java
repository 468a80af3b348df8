package dev.divergence.evaluation.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class EstimateTest {

  @Test
  void aRareEventsIntervalIsCutAtZeroButItsMeanIsKept() {
    // one success in 64: mean 1/64, s = sqrt((1/64)(63/64) * 64/63) = 1/8, t(0.975, 63) ~ 1.998, half-width ~ 0.0312 > mean
    double[] outcomes = new double[64];
    outcomes[0] = 1;
    Estimate raw = Estimate.of(outcomes, 0.95);
    assertThat(raw.lower()).isNegative();
    Estimate rate = raw.within(0, 1);
    assertThat(rate.lower()).isZero();
    assertThat(rate.mean()).isCloseTo(1.0 / 64, within(1e-15));
    assertThat(rate.upper()).isEqualTo(raw.upper());
    assertThat(Estimate.exact(0.5, 3).within(0, 1).lower()).isNull();
  }
}
