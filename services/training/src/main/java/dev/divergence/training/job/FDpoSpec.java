package dev.divergence.training.job;

/**
 * f-DPO (Wang et al. 2023): loss = -log sigma(beta (f'(u_w) - f'(u_l))), u = pi_theta / pi_ref.
 *
 * <p>The divergence's {@code alpha} means what it means everywhere on the platform: the divergence
 * registry's Amari alpha ({@code DivergenceRegistry} "alpha", 0 → kl, 1 → reverse_kl), with the
 * reference as the registry's p and the policy as its q, the orientation in which f-DPO's kl and
 * reverse_kl are the registry's kl and reverse_kl. It equals TRL's {@code alpha}; the f-DPO paper
 * writes the same divergence with 1 - alpha ({@link #paperAlpha()}). docs/adding-a-divergence.md
 * has the mapping.
 */
public record FDpoSpec(String referenceModel, DivergenceChoice divergence, Double beta, Double labelSmoothing)
    implements MethodSpec {

  /** The alpha-divergence's Amari alpha when none is given (symmetric: the same in both conventions). */
  public static final double DEFAULT_ALPHA = 0.5;

  @Override
  public Algorithm algorithm() {
    return Algorithm.F_DPO;
  }

  public FDpoSpec withDefaults() {
    return new FDpoSpec(referenceModel, divergence, beta == null ? 0.1 : beta,
        labelSmoothing == null ? 0.0 : labelSmoothing);
  }

  /** The spec's alpha, the registry's Amari convention (default {@value #DEFAULT_ALPHA}). */
  public double amariAlpha() {
    return divergence == null || divergence.alpha() == null ? DEFAULT_ALPHA : divergence.alpha();
  }

  /**
   * The same divergence's alpha in the f-DPO paper's convention, f'(u) = (1 - u^(-alpha))/alpha,
   * which the loss is written in: 1 - the Amari alpha.
   */
  public double paperAlpha() {
    return paperAlpha(amariAlpha());
  }

  /** Amari (registry, TRL) alpha → the f-DPO paper's alpha of the same divergence. */
  public static double paperAlpha(double amariAlpha) {
    return 1 - amariAlpha;
  }
}
