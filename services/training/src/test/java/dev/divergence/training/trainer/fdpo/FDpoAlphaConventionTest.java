package dev.divergence.training.trainer.fdpo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.divergence.math.divergence.DivergenceRegistry;
import dev.divergence.math.divergence.FGenerator;
import dev.divergence.training.job.DivergenceChoice;
import dev.divergence.training.job.FDpoSpec;
import dev.divergence.training.trainer.loss.FDivergence;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One name, one meaning: the {@code alpha} of an f-DPO spec is the divergence registry's Amari
 * alpha. f-DPO's divergence D_f(pi_theta || pi_ref) = E_ref[f(u)], u = pi_theta / pi_ref, is the
 * registry's D_g(p || q) = sum q g(p/q) with p = reference, q = policy when f(u) = u g(1/u) (the
 * orientation in which f-DPO's kl and reverse_kl are the registry's kl and reverse_kl), so
 * f'(u) = g(1/u) - g'(1/u) / u. The test takes g from the registry for the spec's alpha and compares
 * that f' with the one f-DPO trains with (FDivergence at the spec's mapped alpha).
 */
class FDpoAlphaConventionTest {

  private static final double[] LOG_RATIOS = {-6, -2.5, -1, -0.3, 0, 0.2, 1, 3, 7};

  /** f'(u) of the registry's divergence {@code name} read with p = reference, q = policy. */
  private static double registryDerivative(String name, Map<String, Double> parameters, double r) {
    FGenerator g = DivergenceRegistry.create(name, parameters).generator().orElseThrow();
    double t = Math.exp(-r); // p/q = pi_ref / pi_theta = 1/u
    return g.f(t) - t * g.derivative(t);
  }

  @ParameterizedTest
  @ValueSource(doubles = {0.05, 0.2, 0.3, 0.5, 0.7, 0.95})
  void theSpecsAlphaIsTheRegistrysAmariAlpha(double alpha) {
    FDpoSpec spec = new FDpoSpec("tiny-lm", new DivergenceChoice("alpha", alpha, null), 0.1, 0.0);
    for (double r : LOG_RATIOS) {
      double expected = registryDerivative("alpha", Map.of("alpha", alpha), r);
      double trained = FDivergence.ALPHA.derivative(r, spec.paperAlpha());
      assertThat(trained).as("alpha %s, r %s", alpha, r).isCloseTo(expected, within(tolerance(r, alpha)));
    }
  }

  @Test
  void theMirroredConventionWouldDiffer() {
    // the test can fail: read as the paper's alpha, 0.2 is another divergence than the registry's 0.2
    double r = 2;
    assertThat(Math.abs(FDivergence.ALPHA.derivative(r, 0.2) - registryDerivative("alpha", Map.of("alpha", 0.2), r)))
        .isGreaterThan(0.1);
  }

  @Test
  void defaultAlphaIsTheRegistrysDefault() {
    FDpoSpec spec = new FDpoSpec("tiny-lm", DivergenceChoice.of("alpha"), 0.1, 0.0);
    double registryDefault = DivergenceRegistry.entry("alpha").parameters().getFirst().defaultValue();
    assertThat(spec.amariAlpha()).isEqualTo(registryDefault);
  }

  /** kl and reverse_kl: f-DPO drops the constant of f' (it cancels in f'(u_w) - f'(u_l)). */
  @ParameterizedTest
  @ValueSource(strings = {"kl", "reverse_kl"})
  void klNamesMeanTheRegistrysDivergencesUpToTheConstantOfFPrime(String name) {
    FDivergence divergence = FDivergence.of(name);
    double constant = registryDerivative(name, Map.of(), 0) - divergence.derivative(0, 0.5);
    for (double r : LOG_RATIOS) {
      assertThat(divergence.derivative(r, 0.5) + constant).as("%s at r %s", name, r)
          .isCloseTo(registryDerivative(name, Map.of(), r), within(tolerance(r, 0.5)));
    }
  }

  /**
   * Both sides are double-precision closed forms of one function. The registry side subtracts
   * terms as large as e^|r| / min(a, 1 - a) (g(t) and t g'(t) at t = e^-r); a dozen operations, each
   * rounding by at most one ulp (2.2e-16) of the largest term, with a factor 4 of margin. A mirrored
   * alpha (a <-> 1 - a) differs by order 1.
   */
  private static double tolerance(double r, double alpha) {
    double largestTerm = Math.exp(Math.abs(r)) / Math.min(alpha, 1 - alpha);
    return 4 * 12 * 2.2e-16 * (1 + largestTerm);
  }
}
