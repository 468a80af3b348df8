package dev.divergence.merging.domain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.divergence.platform.errors.InvalidArgumentException;
import org.junit.jupiter.api.Test;

/** Hand-computed metrics; confidences kept away from the 1/15 bin edges so each lands in a bin of its own. */
class MergeMetricsTest {

  private static final double[][] P = {
      {0.7, 0.2, 0.1},     // label 0: right, confidence 0.70 (bin 10)
      {0.38, 0.62, 0.0},   // label 0: wrong, 0.62 (bin 9)
      {0.09, 0.09, 0.82},  // label 2: right, 0.82 (bin 12)
      {0.45, 0.55, 0.0},   // label 0: wrong, 0.55 (bin 8)
      {0.5, 0.5, 0.0}};    // label 1: a tie goes to the first class, so wrong, 0.50 (bin 7)
  private static final int[] LABELS = {0, 0, 2, 0, 1};

  @Test
  void accuracyCalibrationLikelihoodAndLambda() {
    MergeMetrics m = MergeMetrics.of(P, LABELS, new double[] {0.05, 0.55, 0.999, 1.0, 0.3}, new double[] {0.2, 0.6, 0.5, 0.4, 0.9});
    assertEquals(5, m.samples());
    assertEquals(0.4, m.accuracy(), 1e-15);
    // one sample per bin: ECE = mean |accuracy - confidence| = (0.3 + 0.62 + 0.18 + 0.55 + 0.5) / 5
    assertEquals(2.15 / 5, m.ece(), 1e-12);
    assertEquals(-(Math.log(0.7) + Math.log(0.38) + Math.log(0.82) + Math.log(0.45) + Math.log(0.5)) / 5, m.meanNll(), 1e-12);
    assertEquals(0.05, m.lambda().min());
    assertEquals(1.0, m.lambda().max());
    assertEquals(2.899 / 5, m.lambda().mean(), 1e-12);
    // lambda 1.0 is counted in the last bin
    assertArrayEquals(new int[] {1, 0, 0, 1, 0, 1, 0, 0, 0, 2}, m.lambda().histogram());
    assertEquals(0.4, m.expertDominatedShare(), 1e-15);
  }

  @Test
  void labelsAreValidatedNamingTheField() {
    double[] l = new double[5];
    InvalidArgumentException count = assertThrows(InvalidArgumentException.class, () -> MergeMetrics.of(P, new int[] {0, 1}, l, l));
    assertEquals("labels", count.violations().get(0).field());
    InvalidArgumentException range = assertThrows(InvalidArgumentException.class, () -> MergeMetrics.of(P, new int[] {0, 0, 3, 0, 0}, l, l));
    assertEquals("labels[2]", range.violations().get(0).field());
  }
}
