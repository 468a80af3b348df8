package dev.divergence.training.job;

/** The algorithm-specific part of a job spec. */
public sealed interface MethodSpec permits DistillationSpec, FDpoSpec, FDpgSpec, RlvrSpec, SupervisedSpec {

  Algorithm algorithm();
}
