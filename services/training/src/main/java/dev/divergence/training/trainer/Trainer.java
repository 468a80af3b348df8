package dev.divergence.training.trainer;

import dev.divergence.training.job.Algorithm;

/**
 * Trains one algorithm. Implementations are pure training code: they get everything through the
 * {@link TrainingRun} (models, data, checkpoints, metrics, cancellation) and know nothing of
 * HTTP, Kafka or the database.
 */
public interface Trainer {

  Algorithm algorithm();

  /**
   * Runs the job to its last step, resuming from {@code run.checkpoints().latest()} when there is
   * one, and returns the trained model.
   *
   * @throws JobCancelledException when {@link TrainingRun#cancellationRequested()} became true
   */
  TrainingOutcome train(TrainingRun run);
}
