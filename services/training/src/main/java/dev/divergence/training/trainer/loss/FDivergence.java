package dev.divergence.training.trainer.loss;

import ai.djl.ndarray.NDArray;
import dev.divergence.training.job.DivergenceChoice;

/**
 * f'(u) of the f-divergences f-DPO supports, written in terms of the sequence log-ratio
 * r = log u = log pi_theta(y|x) - log pi_ref(y|x) (ALGORITHMS.md):
 * <ul>
 *   <li>reverse_kl: f'(u) = log u = r (plain DPO; the constant +1 of f' is dropped)</li>
 *   <li>kl (forward): f'(u) = -1/u = -exp(-r)</li>
 *   <li>js: f'(u) = log(2u/(1+u)) = logsigmoid(r) + log 2</li>
 *   <li>alpha (paper convention, 0 &lt; a &lt; 1): f'(u) = (1 - u^(-a))/a = (1 - exp(-a r))/a.
 *       TRL's alpha is 1 - this alpha: TRL v1 writes f'(t) = (t^(a'-1) - 1)/(a'-1), which is the same
 *       function at a' = 1 - a (the two agree at 0.5).</li>
 * </ul>
 * Exponents are capped at {@value #EXP_CAP} as TRL caps them in float32, so a far-off log-ratio gives
 * a large finite score rather than infinity; JS needs no cap in its log-sigmoid form, which is finite
 * for every finite r (NDArray and double alike).
 */
public enum FDivergence {
  REVERSE_KL, FORWARD_KL, JS, ALPHA;

  static final double EXP_CAP = 80.0;
  public static final double DEFAULT_ALPHA = 0.5;
  private static final double LOG_2 = Math.log(2);

  public static FDivergence of(String name) {
    return switch (name) {
      case "reverse_kl" -> REVERSE_KL;
      case "kl" -> FORWARD_KL;
      case "js" -> JS;
      case "alpha" -> ALPHA;
      default -> throw new IllegalArgumentException("f-DPO has no divergence '" + name + "' (reverse_kl, kl, js, alpha)");
    };
  }

  /** The alpha of a choice (paper convention), or the default 0.5; ignored by the other divergences. */
  public static double alphaOf(DivergenceChoice choice) {
    return choice.alpha() == null ? DEFAULT_ALPHA : choice.alpha();
  }

  /** f'(u) on NDArrays of log-ratios r (differentiable). */
  public NDArray derivative(NDArray r, double alpha) {
    return switch (this) {
      case REVERSE_KL -> r;
      case FORWARD_KL -> r.neg().minimum((float) EXP_CAP).exp().neg();
      case JS -> logSigmoid(r).add((float) LOG_2);
      case ALPHA -> r.mul((float) -alpha).minimum((float) EXP_CAP).exp().neg().add(1f).div((float) alpha);
    };
  }

  /** f'(u) in double precision: the reference the NDArray form is tested against. */
  public double derivative(double r, double alpha) {
    return switch (this) {
      case REVERSE_KL -> r;
      case FORWARD_KL -> -Math.exp(Math.min(-r, EXP_CAP));
      // log 2 + log sigma(r): the ratio 2e^r / (1 + e^r) would be inf/inf above r = 709.8 and log 0 below -745
      case JS -> LOG_2 + logSigmoid(r);
      case ALPHA -> (1 - Math.exp(Math.min(-alpha * r, EXP_CAP))) / alpha;
    };
  }

  /** d f'(u) / d r, with the same exponent cap as {@link #derivative(NDArray, double)} (0 where it is capped). */
  public double secondDerivative(double r, double alpha) {
    return switch (this) {
      case REVERSE_KL -> 1;
      case FORWARD_KL -> -r < EXP_CAP ? Math.exp(-r) : 0;
      case JS -> r >= 0 ? Math.exp(-r) / (1 + Math.exp(-r)) : 1 / (1 + Math.exp(r));
      case ALPHA -> -alpha * r < EXP_CAP ? Math.exp(-alpha * r) : 0;
    };
  }

  /** log sigma(x) = min(x, 0) - log1p(exp(-|x|)): no overflow, and exact to the last bit for large |x|. */
  static double logSigmoid(double x) {
    return Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x)));
  }

  /** log sigma(x) = min(x, 0) - log(1 + exp(-|x|)), stable for large |x|. */
  static NDArray logSigmoid(NDArray x) {
    return x.minimum(0f).sub(x.abs().neg().exp().add(1f).log());
  }
}
