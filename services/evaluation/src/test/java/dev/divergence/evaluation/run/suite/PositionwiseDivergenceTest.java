package dev.divergence.evaluation.run.suite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.divergence.evaluation.run.Estimate;
import dev.divergence.math.divergence.DivergenceRegistry;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PositionwiseDivergenceTest {

  /** KL(p||q) by hand for two-token distributions: p log(p/q) + (1-p) log((1-p)/(1-q)). */
  private static double kl(double p, double q) {
    return p * Math.log(p / q) + (1 - p) * Math.log((1 - p) / (1 - q));
  }

  private static double[] coin(double p) {
    return new double[] {p, 1 - p};
  }

  @Test
  void sequenceMeansTokenMeansAndCurvesAgreeWithHandValues() {
    PositionwiseDivergence acc = new PositionwiseDivergence(DivergenceRegistry.create("kl"), 64);
    // sequence A: two positions; sequence B: one position. p = reference, q = model.
    acc.addSequence(List.of(coin(0.5), coin(0.9)), List.of(coin(0.25), coin(0.5)));
    acc.addSequence(List.of(coin(0.2)), List.of(coin(0.4)));
    double a0 = kl(0.5, 0.25);
    double a1 = kl(0.9, 0.5);
    double b0 = kl(0.2, 0.4);
    Estimate perSequence = acc.sequenceMean(0.95);
    assertThat(perSequence.n()).isEqualTo(2);
    assertThat(perSequence.mean()).isCloseTo(((a0 + a1) / 2 + b0) / 2, within(1e-15));
    Estimate perToken = acc.tokenMean(0.95);
    assertThat(perToken.n()).isEqualTo(3);
    assertThat(perToken.mean()).isCloseTo((a0 + a1 + b0) / 3, within(1e-15));
    List<Map<String, Object>> curve = acc.curve(0.95);
    assertThat(curve).hasSize(2);
    assertThat((Double) curve.get(0).get("mean")).isCloseTo((a0 + b0) / 2, within(1e-15));
    assertThat(curve.get(1).get("n")).isEqualTo(1L);
    assertThat((Double) curve.get(1).get("mean")).isCloseTo(a1, within(1e-15));
    assertThat(curve.get(1).get("lower")).isNull();
  }

  @Test
  void differentVocabulariesAreRefusedWithAReadableReason() {
    PositionwiseDivergence acc = new PositionwiseDivergence(DivergenceRegistry.create("js"), 8);
    assertThatThrownBy(() -> acc.addSequence(List.of(coin(0.5)), List.of(new double[] {0.2, 0.3, 0.5})))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("different vocabularies");
  }
}
