package dev.divergence.training.config;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * @param dataDir models, datasets and checkpoints live under it (env DIVERGENCE_DATA_DIR)
 * @param runner "local" (worker threads in this process) or "kubernetes" (one batch/v1 Job per job)
 * @param workers concurrent jobs of the local runner (0 = this process runs no jobs, API only)
 * @param heartbeatInterval how often a worker says it still runs a job
 * @param workerLostAfter a RUNNING job without heartbeat for this long gets a new attempt
 * @param maxAttempts attempts before a job whose worker keeps vanishing fails for good
 * @param builtInBudget "standard" (demo-quality built-in models) or "small" (tests)
 * @param lossChunkRows positions per chunk of the language-model losses computed from hidden states
 *     (fewer when chunk x vocabulary would pass 16 MiB of logits); bounds the losses' memory
 */
@ConfigurationProperties("divergence.training")
public record TrainingProperties(
    Path dataDir,
    String runner,
    Integer workers,
    Duration heartbeatInterval,
    Duration workerLostAfter,
    Integer maxAttempts,
    String builtInBudget,
    Integer lossChunkRows) {

  public TrainingProperties {
    dataDir = (dataDir == null ? Path.of(".data") : dataDir).toAbsolutePath().normalize();
    runner = runner == null ? "local" : runner;
    workers = workers == null ? 1 : workers;
    heartbeatInterval = heartbeatInterval == null ? Duration.ofSeconds(2) : heartbeatInterval;
    workerLostAfter = workerLostAfter == null ? Duration.ofSeconds(20) : workerLostAfter;
    maxAttempts = maxAttempts == null ? 3 : maxAttempts;
    builtInBudget = builtInBudget == null ? "standard" : builtInBudget;
    lossChunkRows = lossChunkRows == null ? 1024 : lossChunkRows;
    if (lossChunkRows < 1) {
      throw new IllegalArgumentException("divergence.training.loss-chunk-rows must be at least 1, got " + lossChunkRows);
    }
  }

  public Path modelsDir() {
    return dataDir.resolve("models");
  }

  public Path datasetsDir() {
    return dataDir.resolve("datasets");
  }

  public Path checkpointsDir() {
    return dataDir.resolve("checkpoints");
  }
}
