package dev.divergence.training.job;

/**
 * How much to train and how. Missing values take the defaults of {@link #withDefaults()}; only
 * {@code maxSteps} is required.
 *
 * @param schedule "constant", "linear" or "cosine" (after {@code warmupSteps} of linear warm-up)
 * @param checkpointEvery steps between checkpoints (the last step is always checkpointed)
 * @param logEvery steps between stored and published metrics (the last step always reports)
 */
public record Budget(
    Long maxSteps,
    Integer batchSize,
    Double learningRate,
    Integer warmupSteps,
    String schedule,
    Integer checkpointEvery,
    Long seed,
    Integer gradientAccumulation,
    Double maxGradNorm,
    Integer logEvery) {

  public Budget withDefaults() {
    return new Budget(maxSteps,
        batchSize == null ? 8 : batchSize,
        learningRate == null ? 1e-3 : learningRate,
        warmupSteps == null ? 0 : warmupSteps,
        schedule == null ? "cosine" : schedule,
        checkpointEvery == null ? 50 : checkpointEvery,
        seed == null ? 42L : seed,
        gradientAccumulation == null ? 1 : gradientAccumulation,
        maxGradNorm == null ? 1.0 : maxGradNorm,
        logEvery == null ? 10 : logEvery);
  }
}
