package dev.divergence.merging.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.divergence.merging.experiment.ExperimentResults.LambdaDistribution;
import dev.divergence.merging.experiment.ExperimentResults.SeedEstimate;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The protocol's summaries against hand values and scipy/numpy: Student-t intervals over seeds
 * (scipy.stats.t.interval(0.95, 4, loc=mean, scale=sd/sqrt(5)) for 0.8, 0.9, 0.85, 0.95, 0.9 gives
 * (0.8092142611508863, 0.9507857388491139), sd 0.057008771254956875), numpy.quantile's linear
 * interpolation, and the paired error reduction.
 */
class ExperimentProtocolTest {

  // a handful of double operations on values of order 1: a few ulps, far below 1e-12
  private static final double TOL = 1e-12;

  @Test
  void meanOverSeedsCarriesItsStudentTInterval() {
    SeedEstimate e = ExperimentProtocol.estimate(new double[] {0.8, 0.9, 0.85, 0.95, 0.9});
    assertThat(e.mean()).isCloseTo(0.88, within(TOL));
    assertThat(e.standardDeviation()).isCloseTo(0.057008771254956875, within(TOL));
    assertThat(e.lower()).isCloseTo(0.8092142611508863, within(TOL));
    assertThat(e.upper()).isCloseTo(0.9507857388491139, within(TOL));
    assertThat(e.n()).isEqualTo(5);
    assertThat(e.level()).isEqualTo(0.95);
  }

  @Test
  void oneSeedHasNoInterval() {
    SeedEstimate e = ExperimentProtocol.estimate(new double[] {0.75});
    assertThat(e.mean()).isEqualTo(0.75);
    assertThat(e.lower()).isEqualTo(0.75);
    assertThat(e.upper()).isEqualTo(0.75);
    assertThat(e.n()).isEqualTo(1);
  }

  @Test
  void errorReductionIsPairedPerSeedAgainstTheBaseline() {
    // baseline errors 0.2 and 0.1, method errors 0.1 and 0.05: half the error removed on both seeds
    SeedEstimate halved = ExperimentProtocol.errorReduction(new double[] {0.8, 0.9}, new double[] {0.9, 0.95});
    assertThat(halved.mean()).isCloseTo(0.5, within(TOL));
    assertThat(halved.lower()).isCloseTo(0.5, within(TOL));
    assertThat(halved.upper()).isCloseTo(0.5, within(TOL));
    // worse than the baseline: errors 0.2 -> 0.3 is a reduction of -0.5
    SeedEstimate worse = ExperimentProtocol.errorReduction(new double[] {0.8}, new double[] {0.7});
    assertThat(worse.mean()).isCloseTo(-0.5, within(TOL));
    // a baseline without errors on some resample leaves the reduction undefined
    assertThat(ExperimentProtocol.errorReduction(new double[] {0.9, 1.0}, new double[] {0.9, 1.0})).isNull();
  }

  @Test
  void lambdaQuantilesInterpolateLinearlyBetweenOrderStatisticsOfAllSeeds() {
    // numpy.quantile([0.1, 0.2, 0.3, 0.4], [0.05, 0.25, 0.5, 0.75, 0.95]) = 0.115 0.175 0.25 0.325 0.385
    LambdaDistribution d = ExperimentProtocol.lambda(List.of(new double[] {0.3, 0.1}, new double[] {0.4, 0.2}));
    assertThat(d.quantileLevels()).containsExactly(0.05, 0.25, 0.5, 0.75, 0.95);
    double[] expected = {0.115, 0.175, 0.25, 0.325, 0.385};
    for (int q = 0; q < expected.length; q++) {
      assertThat(d.quantiles()[q]).as("quantile %s", d.quantileLevels()[q]).isCloseTo(expected[q], within(TOL));
    }
    assertThat(d.mean()).isCloseTo(0.25, within(TOL));
    // bins of width 0.1: 0.1 -> bin 1, 0.2 -> 2, 0.3 -> 2 or 3 by rounding of 0.3 * 10, 0.4 -> 4; four samples in all
    assertThat(java.util.Arrays.stream(d.histogram()).sum()).isEqualTo(4);
    assertThat(d.histogram()[1]).isEqualTo(1);
    assertThat(d.histogram()[4]).isEqualTo(1);
  }

  @Test
  void workUnitsCountEachAlphaOfTheSweep() {
    ExperimentSpec spec = new ExperimentSpec(null, "g", "e", "t3", java.util.Map.of(), List.of("t3", "wise_ft_sweep", "expert"),
        List.of(new ExperimentSpec.Split("digits", null, null), new ExperimentSpec.Split("digits-base", null, null)), 3, 64);
    // (1 + 11 alphas + 1) per seed and split
    assertThat(ExperimentProtocol.workUnits(spec)).isEqualTo(13L * 3 * 2);
  }
}
