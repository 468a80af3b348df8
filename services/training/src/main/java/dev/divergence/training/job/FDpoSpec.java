package dev.divergence.training.job;

/**
 * f-DPO (Wang et al. 2023): loss = -log sigma(beta (f'(u_w) - f'(u_l))). For alpha, {@code alpha}
 * uses the paper's convention (0 &lt; alpha &lt; 1); TRL's alpha is 1 - this alpha.
 */
public record FDpoSpec(String referenceModel, DivergenceChoice divergence, Double beta, Double labelSmoothing)
    implements MethodSpec {

  @Override
  public Algorithm algorithm() {
    return Algorithm.F_DPO;
  }

  public FDpoSpec withDefaults() {
    return new FDpoSpec(referenceModel, divergence, beta == null ? 0.1 : beta,
        labelSmoothing == null ? 0.0 : labelSmoothing);
  }
}
