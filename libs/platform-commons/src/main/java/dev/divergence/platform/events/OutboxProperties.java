package dev.divergence.platform.events;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * @param pollInterval how often the relay looks for events when nobody woke it up
 * @param batchSize events published per round
 * @param sendTimeout how long one batch waits for Kafka's acknowledgements
 * @param maxBackoff upper bound of the retry delay while Kafka is unreachable
 * @param retention published events are deleted after this long
 */
@ConfigurationProperties("divergence.outbox")
public record OutboxProperties(
    Duration pollInterval, Integer batchSize, Duration sendTimeout, Duration maxBackoff, Duration retention) {

  public OutboxProperties {
    pollInterval = pollInterval == null ? Duration.ofMillis(500) : pollInterval;
    batchSize = batchSize == null ? 200 : batchSize;
    sendTimeout = sendTimeout == null ? Duration.ofSeconds(15) : sendTimeout;
    maxBackoff = maxBackoff == null ? Duration.ofSeconds(5) : maxBackoff;
    retention = retention == null ? Duration.ofDays(7) : retention;
  }
}
