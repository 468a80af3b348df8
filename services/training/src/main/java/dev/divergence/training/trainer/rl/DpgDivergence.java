package dev.divergence.training.trainer.rl;

/**
 * The divergences f-DPG minimises, D_f(pi || p) = E_p[f(pi / p)], and their pseudo-rewards.
 * The policy gradient of D_f is E_{x~q}[(pi/q) f'(pi/p) grad log pi], so the pseudo-reward a policy
 * maximises is r(x) = -f'(t) at t = pi(x) / p(x), written on log t = log pi(x) - log p(x):
 *
 * <table>
 *   <caption>f and the pseudo-reward -f'(t)</caption>
 *   <tr><th>name</th><th>f(t)</th><th>r = -f'(t)</th></tr>
 *   <tr><td>kl: KL(p || pi)</td><td>-log t</td><td>1/t = exp(-log t) (GDC's P/pi up to Z)</td></tr>
 *   <tr><td>reverse_kl: KL(pi || p)</td><td>t log t</td><td>-(log t + 1) (RLHF's log p - log pi, minus 1)</td></tr>
 *   <tr><td>js (without the 1/2)</td><td>t log t - (t+1) log((t+1)/2)</td><td>-log(2t/(1+t)) = softplus(-log t) - log 2</td></tr>
 *   <tr><td>tv</td><td>|t - 1| / 2</td><td>-sign(t - 1) / 2</td></tr>
 *   <tr><td>alpha (Amari, 0 &lt; a &lt; 1)</td><td>(t^(1-a) - (1-a) t - a) / (a (a-1))</td><td>(t^(-a) - 1) / a</td></tr>
 * </table>
 *
 * Exponents are capped at {@value #EXP_CAP} (as the f-DPO losses cap theirs) so that a policy far
 * below the target gives a large finite reward, never infinity.
 */
public enum DpgDivergence {
  KL("kl"), REVERSE_KL("reverse_kl"), JS("js"), TV("tv"), ALPHA("alpha");

  static final double EXP_CAP = 80.0;
  private static final double LOG_2 = Math.log(2);

  private final String apiName;

  DpgDivergence(String apiName) {
    this.apiName = apiName;
  }

  public String apiName() {
    return apiName;
  }

  /** @throws IllegalArgumentException naming the supported divergences */
  public static DpgDivergence of(String name) {
    for (DpgDivergence d : values()) {
      if (d.apiName.equals(name)) {
        return d;
      }
    }
    throw new IllegalArgumentException("f-DPG has no divergence '" + name + "' (kl, reverse_kl, js, tv, alpha)");
  }

  /**
   * r(x) = -f'(pi(x) / p(x)).
   *
   * @param logT log pi(x) - log p(x), p the normalised target
   * @param alpha the alpha divergence's parameter in (0, 1); ignored by the others
   */
  public double pseudoReward(double logT, double alpha) {
    return switch (this) {
      case KL -> Math.exp(Math.min(-logT, EXP_CAP));
      case REVERSE_KL -> -(logT + 1);
      case JS -> softplus(-logT) - LOG_2;
      case TV -> logT > 0 ? -0.5 : logT < 0 ? 0.5 : 0;
      case ALPHA -> (Math.exp(Math.min(-alpha * logT, EXP_CAP)) - 1) / alpha;
    };
  }

  /** log(1 + e^x) without overflow. */
  static double softplus(double x) {
    return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
  }
}
