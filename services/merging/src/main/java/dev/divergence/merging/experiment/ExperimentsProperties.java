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
 */
@ConfigurationProperties("divergence.merging.experiments")
public record ExperimentsProperties(Integer workers, Duration heartbeatInterval, Duration workerLostAfter, Duration progressInterval) {

  public ExperimentsProperties {
    workers = workers == null ? 1 : workers;
    heartbeatInterval = heartbeatInterval == null ? Duration.ofSeconds(5) : heartbeatInterval;
    workerLostAfter = workerLostAfter == null ? Duration.ofSeconds(60) : workerLostAfter;
    progressInterval = progressInterval == null ? Duration.ofMillis(500) : progressInterval;
    if (workers < 0) {
      throw new IllegalArgumentException("divergence.merging.experiments.workers must be at least 0");
    }
  }
}
