package dev.divergence.training.trainer.rl;

import ai.djl.ndarray.NDArray;

/**
 * DPH-RL's rehearsal term: on tokens y_t the reference model produced (the rehearsal set's stored
 * answers), the generator f of an f-divergence at u_t = pi_theta(y_t) / pi_ref(y_t), averaged and
 * scaled by a coefficient. As the tokens come from pi_ref, E[f(u)] is D_f(pi_theta || pi_ref) in the
 * generator convention D_f(P || Q) = E_Q[f(P/Q)], without an online reference model. With
 * l = log u clamped to [-{@value #CLAMP}, {@value #CLAMP}]:
 * <ul>
 *   <li>forward_kl: f(u) = u - log u - 1 (KL(pi_ref || pi_theta) plus a term whose expectation is 0 at full support)</li>
 *   <li>js: f(u) = u log u - (u + 1) log((u + 1) / 2) (twice the JS divergence's generator)</li>
 *   <li>alpha (Amari, 0 &lt; a &lt; 1): f(u) = (u^(1-a) - (1-a) u - a) / (a (a-1))</li>
 * </ul>
 * All three are convex, zero at u = 1 with zero slope there, so the term only pulls back tokens
 * whose probability moved.
 */
public enum RehearsalDivergence {
  FORWARD_KL("forward_kl"), JS("js"), ALPHA("alpha");

  public static final double CLAMP = 20.0;
  private static final double LOG_2 = Math.log(2);

  private final String apiName;

  RehearsalDivergence(String apiName) {
    this.apiName = apiName;
  }

  public String apiName() {
    return apiName;
  }

  public static RehearsalDivergence of(String name) {
    for (RehearsalDivergence d : values()) {
      if (d.apiName.equals(name)) {
        return d;
      }
    }
    throw new IllegalArgumentException("unknown rehearsal divergence '" + name + "' (forward_kl, js, alpha)");
  }

  /** f(u_t) per token, differentiable in {@code logPolicy}. */
  public NDArray perToken(NDArray logPolicy, NDArray logReference, double alpha) {
    NDArray l = logPolicy.sub(logReference.stopGradient()).clip(-CLAMP, CLAMP);
    NDArray u = l.exp();
    return switch (this) {
      case FORWARD_KL -> u.sub(l).sub(1f);
      // (u + 1) log((u + 1)/2) with log(u + 1) = softplus(l), stable for large |l|
      case JS -> u.mul(l).sub(u.add(1f).mul(softplus(l).sub((float) LOG_2)));
      case ALPHA -> l.mul((float) (1 - alpha)).exp().sub(u.mul((float) (1 - alpha))).sub((float) alpha)
          .div((float) (alpha * (alpha - 1)));
    };
  }

  /** f(u) at l = log u in double precision. */
  public double perToken(double logPolicy, double logReference, double alpha) {
    double l = Math.max(-CLAMP, Math.min(CLAMP, logPolicy - logReference));
    double u = Math.exp(l);
    return switch (this) {
      case FORWARD_KL -> u - l - 1;
      case JS -> u * l - (u + 1) * (DpgDivergence.softplus(l) - LOG_2);
      case ALPHA -> (Math.exp((1 - alpha) * l) - (1 - alpha) * u - alpha) / (alpha * (alpha - 1));
    };
  }

  /** d f(u) / d log pi_theta in closed form (inside the clamp): u - 1, u log(2u / (u + 1)), (u - u^(1-a)) / a. */
  public double derivative(double logPolicy, double logReference, double alpha) {
    double l = logPolicy - logReference;
    double u = Math.exp(l);
    return switch (this) {
      case FORWARD_KL -> u - 1;
      case JS -> u * (LOG_2 + l - DpgDivergence.softplus(l));
      case ALPHA -> (u - Math.exp((1 - alpha) * l)) / alpha;
    };
  }

  private static NDArray softplus(NDArray x) {
    // max(x, 0) + log1p(exp(-|x|))
    return x.maximum(0f).add(x.abs().neg().exp().add(1f).log());
  }
}
