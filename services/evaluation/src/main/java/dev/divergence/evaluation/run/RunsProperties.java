package dev.divergence.evaluation.run;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Evaluation runs ({@code divergence.evaluation.runs.*}).
 *
 * @param workers runs executed at once by this replica (0: this replica only accepts runs)
 * @param heartbeatInterval how often a worker confirms it still holds its runs
 * @param workerLostAfter a RUNNING run without a heartbeat for this long is queued again
 * @param progressInterval least time between two progress writes of one run
 * @param automatic whether a model registration starts the default suite for that model
 * @param modelReadyTimeout how long a run waits for its models to be served before it fails
 */
@ConfigurationProperties("divergence.evaluation.runs")
public record RunsProperties(Integer workers, Duration heartbeatInterval, Duration workerLostAfter,
    Duration progressInterval, Boolean automatic, Duration modelReadyTimeout) {

  public RunsProperties {
    workers = workers == null ? 2 : workers;
    heartbeatInterval = heartbeatInterval == null ? Duration.ofSeconds(5) : heartbeatInterval;
    workerLostAfter = workerLostAfter == null ? Duration.ofSeconds(60) : workerLostAfter;
    progressInterval = progressInterval == null ? Duration.ofMillis(500) : progressInterval;
    automatic = automatic == null || automatic;
    modelReadyTimeout = modelReadyTimeout == null ? Duration.ofMinutes(5) : modelReadyTimeout;
  }
}
