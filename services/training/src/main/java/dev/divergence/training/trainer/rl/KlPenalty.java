package dev.divergence.training.trainer.rl;

import ai.djl.ndarray.NDArray;

/**
 * Per-token estimators of KL(pi_theta || pi_ref) from tokens sampled by the policy, the KL-in-loss
 * baselines of RLVR (Schulman's k1, k2, k3), with d = log pi_theta - log pi_ref clamped to
 * [-{@value #CLAMP}, {@value #CLAMP}] before use:
 * <ul>
 *   <li>k1 = d (unbiased, high variance, can be negative)</li>
 *   <li>k2 = d^2 / 2 (biased, low variance)</li>
 *   <li>k3 = r - 1 - log r with r = pi_ref / pi_theta = e^-d (unbiased, never negative; GRPO's)</li>
 * </ul>
 */
public enum KlPenalty {
  K1("k1"), K2("k2"), K3("k3");

  public static final double CLAMP = 20.0;

  private final String apiName;

  KlPenalty(String apiName) {
    this.apiName = apiName;
  }

  public String apiName() {
    return apiName;
  }

  public static KlPenalty of(String name) {
    for (KlPenalty k : values()) {
      if (k.apiName.equals(name)) {
        return k;
      }
    }
    throw new IllegalArgumentException("unknown KL estimator '" + name + "' (k1, k2, k3)");
  }

  /** The estimator per token, differentiable in {@code logPolicy}; same shape as the inputs. */
  public NDArray perToken(NDArray logPolicy, NDArray logReference) {
    NDArray d = logPolicy.sub(logReference.stopGradient()).clip(-CLAMP, CLAMP);
    return switch (this) {
      case K1 -> d;
      case K2 -> d.square().div(2f);
      case K3 -> d.neg().exp().sub(1f).add(d);
    };
  }

  /** The estimator in double precision: the reference the NDArray form is tested against. */
  public double perToken(double logPolicy, double logReference) {
    double d = Math.max(-CLAMP, Math.min(CLAMP, logPolicy - logReference));
    return switch (this) {
      case K1 -> d;
      case K2 -> d * d / 2;
      case K3 -> Math.exp(-d) - 1 + d;
    };
  }
}
