package dev.divergence.merging.experiment;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Merge experiments ({@code divergence.merging.experiments.*}).
 *
 * @param workers experiments executed at once by this replica (0: this replica only accepts them)
 * @param heartbeatInterval how often a worker confirms it still holds its experiments
 * @param workerLostAfter a RUNNING experiment without a heartbeat for this long is queued again
 * @param progressInterval least time between two progress writes of one experiment
 * @param modelsWait how long a claimed experiment waits (RUNNING, reason {@code waiting-for-models}) for
 *     built-in classifiers that are still being prepared before it fails ({@code models-not-ready})
 */
@ConfigurationProperties("divergence.merging.experiments")
public record ExperimentsProperties(Integer workers, Duration heartbeatInterval, Duration workerLostAfter, Duration progressInterval,
    Duration modelsWait) {

  public ExperimentsProperties {
    workers = workers == null ? 1 : workers;
    heartbeatInterval = heartbeatInterval == null ? Duration.ofSeconds(5) : heartbeatInterval;
    workerLostAfter = workerLostAfter == null ? Duration.ofSeconds(60) : workerLostAfter;
    progressInterval = progressInterval == null ? Duration.ofMillis(500) : progressInterval;
    // four built-ins at 300 steps take a few minutes on a small machine; well above that
    modelsWait = modelsWait == null ? Duration.ofMinutes(15) : modelsWait;
    if (workers < 0) {
      throw new IllegalArgumentException("divergence.merging.experiments.workers must be at least 0");
    }
  }
}
