package dev.divergence.training.trainer.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.divergence.model.DjlRuntime;
import dev.divergence.training.trainer.Djl;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** RLVR's pieces against direct computations: advantages, the clipped loss and its gradient, KL estimators, rehearsal terms. */
class RlvrLossesTest {

  private static NDManager manager;

  @BeforeAll
  static void start() {
    manager = Djl.manager();
  }

  @AfterAll
  static void stop() {
    manager.close();
  }

  @Test
  void groupAdvantagesByHand() {
    // group [1, 0, 0, 1]: mean 0.5, sample std sqrt((4 * 0.25) / 3) = 0.57735; group [2, 2]: all equal
    double[] a = GroupAdvantages.compute(new double[] {1, 0, 0, 1, 2, 2}, 2);
    double std = Math.sqrt(0.5);
    assertThat(a[0]).isCloseTo(0.5 / (std + 1e-4), Offset.offset(1e-12));
    assertThat(a[1]).isCloseTo(-0.5 / (std + 1e-4), Offset.offset(1e-12));
    assertThat(a[4]).isZero();
    assertThat(a[5]).isZero();
    double[] four = GroupAdvantages.compute(new double[] {1, 0, 0, 1}, 4);
    assertThat(four[0]).isCloseTo(0.5 / (Math.sqrt(1.0 / 3) + 1e-4), Offset.offset(1e-12));
    assertThatThrownBy(() -> GroupAdvantages.compute(new double[] {1, 2}, 1)).hasMessageContaining("at least 2");
    assertThatThrownBy(() -> GroupAdvantages.compute(new double[] {1, 2, 3}, 2)).hasMessageContaining("groups of 2");
  }

  @Test
  void clippedLossValueGradientAndClipRatioMatchADirectComputation() {
    long seed = 515L;
    System.out.println("RlvrLossesTest clipped seed " + seed);
    SplittableRandom random = new SplittableRandom(seed);
    int b = 3;
    int t = 5;
    double epsLow = 0.2;
    double epsHigh = 0.28;
    float[] logPolicy = new float[b * t];
    float[] logOld = new float[b * t];
    float[] mask = new float[b * t];
    float[] adv = {1.3f, -0.7f, 0.4f};
    for (int i = 0; i < b * t; i++) {
      logOld[i] = (float) random.nextDouble(-3, -0.1);
      logPolicy[i] = logOld[i] + (float) random.nextDouble(-0.6, 0.6); // ratios 0.55..1.8: some clipped
      mask[i] = (i % t) < 1 + (i / t) + 2 ? 1 : 0; // rows have 3, 4, 5 real tokens
    }
    double loss = 0;
    double[] grad = new double[b * t];
    int clipped = 0;
    int real = 0;
    for (int row = 0; row < b; row++) {
      int tokens = 0;
      for (int c = 0; c < t; c++) {
        tokens += mask[row * t + c] > 0 ? 1 : 0;
      }
      for (int c = 0; c < t; c++) {
        int i = row * t + c;
        if (mask[i] == 0) {
          continue;
        }
        real++;
        double rho = Math.exp((double) logPolicy[i] - logOld[i]);
        double unclippedTerm = rho * adv[row];
        double clippedTerm = Math.max(1 - epsLow, Math.min(1 + epsHigh, rho)) * adv[row];
        loss += -Math.min(unclippedTerm, clippedTerm) / tokens / b;
        // the unclipped branch carries the gradient d(rho A)/d log pi = rho A; the clipped one none
        boolean unclippedIsMin = unclippedTerm <= clippedTerm;
        boolean inside = rho >= 1 - epsLow && rho <= 1 + epsHigh;
        grad[i] = unclippedIsMin || inside ? -rho * adv[row] / tokens / b : 0;
        if ((rho < 1 - epsLow && adv[row] < 0) || (rho > 1 + epsHigh && adv[row] > 0)) {
          clipped++;
        }
      }
    }
    try (NDManager m = manager.newSubManager()) {
      NDArray lp = m.create(logPolicy, new Shape(b, t));
      lp.setRequiresGradient(true);
      ClippedPolicyLoss.Result result;
      try (GradientCollector c = DjlRuntime.engine().newGradientCollector()) {
        result = new ClippedPolicyLoss(epsLow, epsHigh).compute(lp, m.create(logOld, new Shape(b, t)), m.create(adv), m.create(mask, new Shape(b, t)));
        c.backward(result.loss());
      }
      // float32: |rho A| <= 1.8 * 1.3, ~5 roundings per term, 15 terms: 15 * 5 * 6e-8 * 2.4 ~ 1e-5
      assertThat((double) result.loss().getFloat()).isCloseTo(loss, Offset.offset(1e-5));
      float[] g = lp.getGradient().toFloatArray();
      for (int i = 0; i < g.length; i++) {
        assertThat((double) g[i]).as("d loss / d log pi[%d]", i).isCloseTo(grad[i], Offset.offset(1e-6));
      }
      assertThat(result.clipRatio()).isCloseTo((double) clipped / real, Offset.offset(1e-9));
      assertThat(clipped).as("the draw must exercise the clip").isPositive();
    }
    assertThatThrownBy(() -> new ClippedPolicyLoss(0, 0.2)).hasMessageContaining("positive");
  }

  @ParameterizedTest
  @EnumSource(KlPenalty.class)
  void klEstimatorsAgreeWithTheirDoubleFormAndExpectations(KlPenalty k) {
    // policy and reference over 4 tokens; the estimators' expectations under the policy, enumerated
    double[] pi = {0.1, 0.2, 0.3, 0.4};
    double[] ref = {0.25, 0.25, 0.4, 0.1};
    double kl = 0;
    double halfSquare = 0;
    double mean = 0;
    float[] lp = new float[4];
    float[] lr = new float[4];
    for (int x = 0; x < 4; x++) {
      double d = Math.log(pi[x]) - Math.log(ref[x]);
      kl += pi[x] * d;
      halfSquare += pi[x] * d * d / 2;
      mean += pi[x] * k.perToken(Math.log(pi[x]), Math.log(ref[x]));
      lp[x] = (float) Math.log(pi[x]);
      lr[x] = (float) Math.log(ref[x]);
    }
    switch (k) {
      case K1, K3 -> assertThat(mean).as("unbiased for KL(pi || ref)").isCloseTo(kl, Offset.offset(1e-12));
      case K2 -> assertThat(mean).isCloseTo(halfSquare, Offset.offset(1e-12));
    }
    try (NDManager m = manager.newSubManager()) {
      NDArray policy = m.create(lp);
      policy.setRequiresGradient(true);
      NDArray value;
      try (GradientCollector c = DjlRuntime.engine().newGradientCollector()) {
        value = k.perToken(policy, m.create(lr));
        c.backward(value.sum());
      }
      float[] v = value.toFloatArray();
      float[] g = policy.getGradient().toFloatArray();
      for (int x = 0; x < 4; x++) {
        double d = (double) lp[x] - lr[x];
        assertThat((double) v[x]).isCloseTo(k.perToken(lp[x], lr[x]), Offset.offset(1e-6));
        double want = switch (k) {
          case K1 -> 1;
          case K2 -> d;
          case K3 -> 1 - Math.exp(-d);
        };
        assertThat((double) g[x]).isCloseTo(want, Offset.offset(1e-6));
      }
    }
    // the clamp keeps k3 finite for a token the reference gives ~0 probability
    assertThat(KlPenalty.K3.perToken(-1, -1000)).isEqualTo(Math.exp(-20) - 1 + 20);
  }

  @ParameterizedTest
  @EnumSource(RehearsalDivergence.class)
  void rehearsalTermsTheirGradientsAndExpectations(RehearsalDivergence d) {
    double alpha = 0.2;
    long seed = 808L + d.ordinal();
    System.out.println("RlvrLossesTest rehearsal seed " + seed);
    SplittableRandom random = new SplittableRandom(seed);
    int n = 9;
    float[] lp = new float[n];
    float[] lr = new float[n];
    for (int i = 0; i < n; i++) {
      lr[i] = (float) random.nextDouble(-4, -0.1);
      lp[i] = lr[i] + (float) random.nextDouble(-2, 2);
    }
    try (NDManager m = manager.newSubManager()) {
      NDArray policy = m.create(lp);
      policy.setRequiresGradient(true);
      NDArray value;
      try (GradientCollector c = DjlRuntime.engine().newGradientCollector()) {
        value = d.perToken(policy, m.create(lr), alpha);
        c.backward(value.sum());
      }
      float[] v = value.toFloatArray();
      float[] g = policy.getGradient().toFloatArray();
      for (int i = 0; i < n; i++) {
        double exact = d.perToken(lp[i], lr[i], alpha);
        // |f| <= e^2 + 3 here; float32 with ~6 roundings: 6 * 6e-8 * 10 ~ 4e-6
        assertThat((double) v[i]).isCloseTo(exact, Offset.offset(1e-5));
        double h = 1e-6;
        double numeric = (d.perToken(lp[i] + h, lr[i], alpha) - d.perToken(lp[i] - h, lr[i], alpha)) / (2 * h);
        double closed = d.derivative(lp[i], lr[i], alpha);
        assertThat(closed).as("closed form vs finite differences").isCloseTo(numeric, Offset.offset(1e-6));
        assertThat((double) g[i]).as("autograd").isCloseTo(closed, Offset.offset(1e-5));
      }
    }
    // E_ref[f(pi/ref)] over a full-support categorical is the divergence in generator form
    double[] pi = {0.1, 0.2, 0.3, 0.4};
    double[] ref = {0.25, 0.25, 0.4, 0.1};
    double expectation = 0;
    double direct = 0;
    for (int x = 0; x < 4; x++) {
      expectation += ref[x] * d.perToken(Math.log(pi[x]), Math.log(ref[x]), alpha);
      double mix = (pi[x] + ref[x]) / 2;
      direct += switch (d) {
        case FORWARD_KL -> ref[x] * Math.log(ref[x] / pi[x]); // KL(ref || pi)
        case JS -> pi[x] * Math.log(pi[x] / mix) + ref[x] * Math.log(ref[x] / mix); // 2 JS(pi, ref)
        case ALPHA -> (Math.pow(pi[x], 1 - alpha) * Math.pow(ref[x], alpha) - (1 - alpha) * pi[x] - alpha * ref[x]) / (alpha * (alpha - 1));
      };
    }
    assertThat(expectation).isCloseTo(direct, Offset.offset(1e-12));
    assertThat(d.perToken(-1.5, -1.5, alpha)).as("zero at u = 1").isCloseTo(0, Offset.offset(1e-15));
    assertThat(d.derivative(-1.5, -1.5, alpha)).as("flat at u = 1").isCloseTo(0, Offset.offset(1e-15));
  }
}
