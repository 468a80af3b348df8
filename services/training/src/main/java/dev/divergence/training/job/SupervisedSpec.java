package dev.divergence.training.job;

/** Supervised (pre)training on the dataset: next-token cross-entropy, or class cross-entropy. */
public record SupervisedSpec() implements MethodSpec {

  @Override
  public Algorithm algorithm() {
    return Algorithm.SUPERVISED;
  }
}
