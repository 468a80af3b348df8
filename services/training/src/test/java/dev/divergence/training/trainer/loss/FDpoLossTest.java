package dev.divergence.training.trainer.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.training.trainer.Djl;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FDpoLossTest {

  private static NDManager m;
  // policy and reference log-probs of 3 pairs: [chosen..., rejected...]
  private static final float[] POLICY = {-3.0f, -5.5f, -2.2f, -4.0f, -4.5f, -6.0f};
  private static final float[] REFERENCE_CHOSEN = {-3.5f, -5.0f, -2.0f};
  private static final float[] REFERENCE_REJECTED = {-3.8f, -5.1f, -6.5f};

  @BeforeAll
  static void setUp() {
    m = Djl.manager();
  }

  @AfterAll
  static void tearDown() {
    m.close();
  }

  private static double softplus(double x) {
    return Math.log1p(Math.exp(x));
  }

  private static double logSigmoid(double x) {
    return -softplus(-x);
  }

  /** TRL's logits (the quantity inside the sigmoid, before beta) for each divergence. */
  private static double trlLogits(String divergence, double trlAlpha, double rw, double rl) {
    return switch (divergence) {
      case "reverse_kl" -> rw - rl; // pi_logratios - ref_logratios
      case "js" -> (rw - rl) - (softplus(rw) - softplus(rl));
      // TRL v1: f'(t) = (t^(a-1) - 1)/(a-1) with TRL's a
      case "alpha" -> (Math.exp((trlAlpha - 1) * rw) - 1) / (trlAlpha - 1) - (Math.exp((trlAlpha - 1) * rl) - 1) / (trlAlpha - 1);
      case "kl" -> -Math.exp(-rw) + Math.exp(-rl); // ALGORITHMS.md: f'(u) = -1/u
      default -> throw new IllegalArgumentException(divergence);
    };
  }

  private static FDpoLoss.Result compute(NDManager sub, FDpoLoss loss, float[] policy) {
    NDArray p = sub.create(policy, new Shape(2, 3));
    return loss.compute(p.get(0), p.get(1), sub.create(REFERENCE_CHOSEN), sub.create(REFERENCE_REJECTED));
  }

  @Test
  void dpoOfAHandCheckedPair() {
    // log-ratios r_w = 1, r_l = -1, beta 0.1: loss = -log sigma(0.2) = log(1 + e^-0.2) = 0.598139
    FDpoLoss dpo = new FDpoLoss(FDivergence.REVERSE_KL, 0.5, 0.1, 0.0);
    try (NDManager sub = m.newSubManager()) {
      FDpoLoss.Result result = dpo.compute(sub.create(new float[] {-1f}), sub.create(new float[] {-3f}),
          sub.create(new float[] {-2f}), sub.create(new float[] {-2f}));
      assertThat(result.loss().getFloat()).isCloseTo(0.598139f, within(1e-5f));
      assertThat(result.metrics()).containsEntry("rewards/accuracies", 1.0);
      assertThat(result.metrics().get("rewards/chosen")).isCloseTo(0.1, within(1e-6));
      assertThat(result.metrics().get("rewards/rejected")).isCloseTo(-0.1, within(1e-6));
      assertThat(result.metrics().get("rewards/margins")).isCloseTo(0.2, within(1e-6));
    }
  }

  @ParameterizedTest
  @CsvSource({"reverse_kl,0.5,0.1,0.0", "reverse_kl,0.5,0.5,0.2", "js,0.5,0.1,0.0", "js,0.5,1.0,0.1", "alpha,0.3,0.1,0.0",
      "alpha,0.5,0.2,0.0", "alpha,0.8,0.1,0.1", "kl,0.5,0.1,0.0", "kl,0.5,0.3,0.25"})
  void lossMatchesTrlFormulasWithTheAlphaMapping(String name, double paperAlpha, double beta, double labelSmoothing) {
    FDpoLoss loss = new FDpoLoss(FDivergence.of(name), paperAlpha, beta, labelSmoothing);
    double expected = 0;
    double chosenReward = 0;
    double accuracy = 0;
    for (int i = 0; i < 3; i++) {
      double rw = POLICY[i] - REFERENCE_CHOSEN[i];
      double rl = POLICY[3 + i] - REFERENCE_REJECTED[i];
      double logits = trlLogits(name, 1 - paperAlpha, rw, rl); // TRL's alpha = 1 - paper alpha
      expected += -(1 - labelSmoothing) * logSigmoid(beta * logits) - labelSmoothing * logSigmoid(-beta * logits);
      chosenReward += beta * rw;
      accuracy += rw > rl ? 1 : 0;
    }
    try (NDManager sub = m.newSubManager()) {
      FDpoLoss.Result result = compute(sub, loss, POLICY);
      assertThat((double) result.loss().getFloat()).isCloseTo(expected / 3, within(2e-6));
      assertThat(result.metrics().get("rewards/chosen")).isCloseTo(chosenReward / 3, within(1e-6));
      assertThat(result.metrics().get("rewards/accuracies")).isCloseTo(accuracy / 3, within(1e-9));
      assertThat(result.metrics()).containsKeys("f_scores/chosen", "f_scores/rejected", "f_scores/margins", "f_scores/accuracies");
    }
  }

  @ParameterizedTest
  @CsvSource({"reverse_kl,0.5", "kl,0.5", "js,0.5", "alpha,0.3", "alpha,0.9"})
  void derivativeMatchesTheDoubleFormulaAndItsClosedForm(String name, double alpha) {
    FDivergence f = FDivergence.of(name);
    float[] r = {-3f, -0.5f, 0f, 0.7f, 2.5f};
    try (NDManager sub = m.newSubManager()) {
      float[] values = f.derivative(sub.create(r), alpha).toFloatArray();
      for (int i = 0; i < r.length; i++) {
        double u = Math.exp(r[i]);
        double closed = switch (name) {
          case "reverse_kl" -> Math.log(u);
          case "kl" -> -1 / u;
          case "js" -> Math.log(2 * u / (1 + u));
          default -> (1 - Math.pow(u, -alpha)) / alpha;
        };
        assertThat((double) values[i]).isCloseTo(closed, within(1e-5 * Math.max(1, Math.abs(closed))));
        assertThat(f.derivative(r[i], alpha)).isCloseTo(closed, within(1e-9 * Math.max(1, Math.abs(closed))));
      }
    }
  }

  @Test
  void exponentsAreCappedSoFarLogRatiosStayFinite() {
    try (NDManager sub = m.newSubManager()) {
      float[] values = FDivergence.FORWARD_KL.derivative(sub.create(new float[] {-500f}), 0.5).toFloatArray();
      assertThat(values[0]).isFinite().isLessThan(-1e30f);
    }
  }

  /**
   * The JS derivative log(2u / (1 + u)) = log 2 + log sigma(r) written with exp(r) overflows to
   * inf / inf = NaN above r = 709.8 and to log 0 = -inf below r = -745; its asymptotes are log 2
   * (r -> +inf) and r + log 2 (r -> -inf), reached to the last bit of a double by |r| = 40
   * (log1p(e^-40) = 4.2e-18, below half an ulp of log 2 and of r + log 2).
   */
  @ParameterizedTest
  @CsvSource({"700", "710", "745", "746", "1000", "10000"})
  void jsDerivativeIsFiniteAndAtItsAsymptoteForFarLogRatios(double magnitude) {
    double log2 = Math.log(2);
    assertThat(FDivergence.JS.derivative(magnitude, 0.5)).isEqualTo(log2);
    assertThat(FDivergence.JS.derivative(-magnitude, 0.5)).isEqualTo(-magnitude + log2);
    // the chunked f-DPO gradient is built from it: finite, and zero for the chosen answer's saturated
    // f'' (sigma(-r) = e^-r underflows to 0 above r = 745; below, a value of at most e^-700 = 1e-304)
    FDpoLoss loss = new FDpoLoss(FDivergence.JS, 0.5, 0.1, 0.0);
    double[] gradient = loss.sequenceGradient(new double[] {magnitude}, new double[] {-magnitude}, new double[] {0},
        new double[] {0});
    assertThat(gradient[0]).isFinite().isCloseTo(0, within(1e-300));
    // rejected answer at r = -magnitude: f'' = sigma(r -> -inf) -> 1, dL/dh = beta (sigma(beta h) - 1) / 1,
    // h = log 2 - (-magnitude + log 2) = magnitude: beta (sigma(0.1 magnitude) - 1) = -0.1 sigma(-0.1 magnitude)
    double expectedRejected = 0.1 / (1 + Math.exp(0.1 * magnitude));
    assertThat(gradient[1]).isFinite().isCloseTo(expectedRejected, within(1e-12 * Math.max(expectedRejected, 1e-300)));
    try (NDManager sub = m.newSubManager()) {
      float[] f = FDivergence.JS.derivative(sub.create(new float[] {(float) magnitude, (float) -magnitude}), 0.5).toFloatArray();
      assertThat((double) f[0]).isCloseTo(log2, within(1e-6));
      assertThat((double) f[1]).isCloseTo(-magnitude + log2, within(1e-6 * magnitude));
    }
  }

  @ParameterizedTest
  @CsvSource({"reverse_kl,0.5,0.1,0.0", "js,0.5,0.5,0.1", "alpha,0.3,0.2,0.0", "kl,0.5,0.1,0.2"})
  void gradientsMatchFiniteDifferences(String name, double alpha, double beta, double labelSmoothing) {
    FDpoLoss loss = new FDpoLoss(FDivergence.of(name), alpha, beta, labelSmoothing);
    Function<NDArray, NDArray> f = p -> loss.compute(p.get(0), p.get(1),
        p.getManager().create(REFERENCE_CHOSEN), p.getManager().create(REFERENCE_REJECTED)).loss();
    float[] autograd = Djl.gradient(m, f, POLICY, 2, 3);
    double[] numeric = Djl.finiteDifferences(m, f, POLICY, 2, 3, 1e-2f);
    for (int i = 0; i < autograd.length; i++) {
      assertThat((double) autograd[i]).as("d/dlogp[%d]", i).isCloseTo(numeric[i], within(1e-4));
    }
  }

  @Test
  void rejectsOutOfRangeSettings() {
    assertThatThrownBy(() -> new FDpoLoss(FDivergence.ALPHA, 1.0, 0.1, 0)).hasMessageContaining("paper convention");
    assertThatThrownBy(() -> new FDpoLoss(FDivergence.JS, 0.5, 0.1, 0.5)).hasMessageContaining("labelSmoothing");
    assertThatThrownBy(() -> FDivergence.of("tv")).hasMessageContaining("reverse_kl");
  }
}
