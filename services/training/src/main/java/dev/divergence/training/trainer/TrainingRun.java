package dev.divergence.training.trainer;

import dev.divergence.training.checkpoint.CheckpointStore;
import dev.divergence.training.job.JobSpec;
import dev.divergence.training.registry.RegisteredDataset;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

/** Everything a {@link Trainer} may use while it runs one attempt of one job. */
public interface TrainingRun {

  UUID jobId();

  int attempt();

  /** The job's spec with every default filled in. */
  JobSpec spec();

  /** The folder (Hugging Face layout) of a model named in the spec, made first if it is built in. */
  Path modelDir(String field, String reference);

  RegisteredDataset dataset();

  /** The platform data folder: built-in datasets and the DJL cache live under it. */
  Path dataDir();

  /**
   * A folder of the job shared by all its attempts (e.g. the teacher-logit cache, built once and
   * reused when a later attempt resumes).
   */
  Path jobDir();

  /** Positions per chunk of language-model losses computed from hidden states (configuration). */
  default int lossChunkRows() {
    return 1024;
  }

  /** A scratch folder of this attempt; the trained model is written under it. */
  Path workDir();

  /** Periodic, atomic checkpoints of this job (shared by all its attempts). */
  CheckpointStore checkpoints();

  /**
   * Reports a finished optimiser step. Progress is updated every call; metrics are stored and
   * published every {@code budget.logEvery} steps and at the last step. Names follow TRL:
   * loss, grad_norm, learning_rate, tokens_per_second, ...
   */
  void reportStep(long step, Map<String, Double> metrics);

  /** A line of the job's log, shown by the logs API. */
  void log(String message);

  boolean cancellationRequested();

  /** @throws JobCancelledException when the job was cancelled */
  default void throwIfCancelled() {
    if (cancellationRequested()) {
      throw new JobCancelledException("job " + jobId() + " was cancelled");
    }
  }
}
