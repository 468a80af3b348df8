package dev.divergence.training.job;

/**
 * A divergence by its platform name with the parameters it takes: {@code alpha} for alpha,
 * skew_kl / skew_reverse_kl (skew weight) and akl (head mass); {@code beta} for jsd.
 */
public record DivergenceChoice(String name, Double alpha, Double beta) {

  public static DivergenceChoice of(String name) {
    return new DivergenceChoice(name, null, null);
  }
}
