package dev.divergence.merging.domain;

/** Where a plan combines the two models. */
public enum MergeSpace {
  /** Each sample runs with its own merged parameters w_i theta_g + (1 - w_i) theta_e. */
  PARAMETERS_PER_SAMPLE,
  /** One merged parameter set for the whole batch (every w_i equal). */
  PARAMETERS_PER_BATCH,
  /** Each model runs with its own parameters; probabilities are mixed w_i p_g + (1 - w_i) p_e. */
  OUTPUTS
}
