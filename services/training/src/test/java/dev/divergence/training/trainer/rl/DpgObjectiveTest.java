package dev.divergence.training.trainer.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.divergence.model.DjlRuntime;
import dev.divergence.training.trainer.Djl;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * f-DPG's pseudo-rewards and loss: r = -f'(pi/p) checked against the generators f by central
 * differences, and the policy gradient they give, E_pi[-r grad log pi], checked against the
 * gradient of D_f(pi || p) itself (by central differences of the directly computed divergence) for
 * a softmax policy over a small categorical space.
 */
class DpgObjectiveTest {

  private static NDManager manager;

  @BeforeAll
  static void start() {
    manager = Djl.manager();
  }

  @AfterAll
  static void stop() {
    manager.close();
  }

  /** The generators f(t) of ALGORITHMS.md's table, in the orientation D_f(pi || p) = E_p[f(pi/p)]. */
  static DoubleUnaryOperator generator(DpgDivergence d, double a) {
    return switch (d) {
      case KL -> t -> -Math.log(t);
      case REVERSE_KL -> t -> t * Math.log(t);
      case JS -> t -> t * Math.log(t) - (t + 1) * Math.log((t + 1) / 2);
      case TV -> t -> Math.abs(t - 1) / 2;
      case ALPHA -> t -> (Math.pow(t, 1 - a) - (1 - a) * t - a) / (a * (a - 1));
    };
  }

  @ParameterizedTest
  @EnumSource(DpgDivergence.class)
  void pseudoRewardIsMinusTheGeneratorsDerivative(DpgDivergence d) {
    double alpha = 0.3;
    DoubleUnaryOperator f = generator(d, alpha);
    for (double logT = -4; logT <= 4; logT += 0.37) {
      double t = Math.exp(logT);
      double h = 1e-5 * t;
      // central difference: error ~ h^2 f''' / 6 + eps |f| / h, both below 1e-6 relative here
      double fPrime = (f.applyAsDouble(t + h) - f.applyAsDouble(t - h)) / (2 * h);
      double want = -fPrime;
      assertThat(d.pseudoReward(logT, alpha)).as("%s at log t = %s", d, logT)
          .isCloseTo(want, org.assertj.core.data.Offset.offset(1e-6 * Math.max(1, Math.abs(want))));
    }
  }

  @Test
  void farBelowTheTargetTheRewardStaysFinite() {
    assertThat(DpgDivergence.KL.pseudoReward(-1000, 0)).isEqualTo(Math.exp(DpgDivergence.EXP_CAP));
    assertThat(DpgDivergence.JS.pseudoReward(-1000, 0)).isCloseTo(1000 - Math.log(2), org.assertj.core.data.Offset.offset(1e-9));
    assertThat(DpgDivergence.TV.pseudoReward(0, 0)).isZero();
    assertThatThrownBy(() -> DpgDivergence.of("hellinger")).hasMessageContaining("kl, reverse_kl, js, tv, alpha");
  }

  /**
   * For pi = softmax(theta) and a fixed target p over K outcomes, sum_x pi(x) (-r(x)) grad log pi(x)
   * (the on-policy expectation of the loss's gradient, enumerated exactly) equals grad D_f(pi || p),
   * taken by central differences of D_f computed directly from f.
   */
  @ParameterizedTest
  @EnumSource(value = DpgDivergence.class, names = {"KL", "REVERSE_KL", "JS", "ALPHA"})
  void theExpectedLossGradientIsTheDivergencesGradient(DpgDivergence d) {
    long seed = 1306L + d.ordinal();
    System.out.println("DpgObjectiveTest seed " + seed);
    SplittableRandom random = new SplittableRandom(seed);
    int k = 5;
    double alpha = 0.4;
    double[] theta = new double[k];
    double[] logP = new double[k];
    for (int x = 0; x < k; x++) {
      theta[x] = random.nextDouble(-1, 1);
      logP[x] = random.nextDouble(-1, 1);
    }
    normalise(logP);
    double[] logPi = logSoftmax(theta);
    double[] expected = new double[k];
    for (int x = 0; x < k; x++) {
      double r = d.pseudoReward(logPi[x] - logP[x], alpha);
      double pi = Math.exp(logPi[x]);
      // grad_theta_j log pi(x) = [x == j] - pi(j)
      for (int j = 0; j < k; j++) {
        expected[j] += pi * -r * ((x == j ? 1 : 0) - Math.exp(logPi[j]));
      }
    }
    DoubleUnaryOperator f = generator(d, alpha);
    for (int j = 0; j < k; j++) {
      double h = 1e-5;
      double[] plus = theta.clone();
      double[] minus = theta.clone();
      plus[j] += h;
      minus[j] -= h;
      double numeric = (divergence(f, logSoftmax(plus), logP) - divergence(f, logSoftmax(minus), logP)) / (2 * h);
      // central differences of a smooth O(1) function: truncation ~1e-10, rounding ~1e-16 / 1e-5
      assertThat(expected[j]).as("%s d/dtheta_%d", d, j).isCloseTo(numeric, org.assertj.core.data.Offset.offset(1e-7));
    }
  }

  @Test
  void lossGradientIsMinusImportanceTimesAdvantageOverTheBatch() {
    float[] logPolicy = {-3.2f, -1.1f, -7.5f, -0.4f};
    float[] importance = {1f, 0.5f, 2f, 1.25f};
    float[] advantages = {0.3f, -1.2f, 2.5f, 0f};
    try (NDManager m = manager.newSubManager()) {
      NDArray lp = m.create(logPolicy);
      lp.setRequiresGradient(true);
      NDArray loss;
      try (GradientCollector c = DjlRuntime.engine().newGradientCollector()) {
        loss = FDpgLoss.compute(lp, m.create(importance), m.create(advantages));
        c.backward(loss);
      }
      float[] grad = lp.getGradient().toFloatArray();
      double value = 0;
      for (int i = 0; i < 4; i++) {
        value += -importance[i] * advantages[i] * logPolicy[i] / 4;
        // exact in float32 up to the product's two roundings: |w a| / 4 * 2u
        assertThat((double) grad[i]).isCloseTo(-importance[i] * advantages[i] / 4.0, org.assertj.core.data.Offset.offset(1e-6));
      }
      assertThat((double) loss.getFloat()).isCloseTo(value, org.assertj.core.data.Offset.offset(1e-5));
    }
    double[] w = FDpgLoss.importance(new double[] {-1, -2, 0}, new double[] {-1.5, -2, -200});
    assertThat(w[0]).isCloseTo(Math.exp(0.5), org.assertj.core.data.Offset.offset(1e-12));
    assertThat(w[1]).isEqualTo(1.0);
    assertThat(w[2]).isEqualTo(Math.exp(DpgDivergence.EXP_CAP));
  }

  static double divergence(DoubleUnaryOperator f, double[] logPi, double[] logP) {
    double s = 0;
    for (int x = 0; x < logPi.length; x++) {
      s += Math.exp(logP[x]) * f.applyAsDouble(Math.exp(logPi[x] - logP[x]));
    }
    return s;
  }

  static double[] logSoftmax(double[] theta) {
    double[] out = theta.clone();
    normalise(out);
    return out;
  }

  static void normalise(double[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : logits) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (double v : logits) {
      sum += Math.exp(v - max);
    }
    double logZ = max + Math.log(sum);
    for (int i = 0; i < logits.length; i++) {
      logits[i] -= logZ;
    }
  }
}
