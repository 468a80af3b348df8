package dev.divergence.platform.events;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Outbox health in numbers: how many events wait (the lag), how old the oldest is, how many went
 * out and how many rounds failed.
 */
public class OutboxMetrics {

  private final Counter published;
  private final Counter failures;

  public OutboxMetrics(MeterRegistry registry, JdbcTemplate jdbc) {
    Gauge.builder("divergence.outbox.pending", jdbc, OutboxMetrics::pending)
        .description("Outbox events not yet acknowledged by Kafka")
        .register(registry);
    Gauge.builder("divergence.outbox.oldest.pending.age", jdbc, OutboxMetrics::oldestPendingAgeSeconds)
        .description("Age of the oldest unpublished outbox event")
        .baseUnit("seconds")
        .register(registry);
    this.published = Counter.builder("divergence.outbox.published")
        .description("Outbox events acknowledged by Kafka").register(registry);
    this.failures = Counter.builder("divergence.outbox.publish.failures")
        .description("Relay rounds that stopped on a Kafka error").register(registry);
  }

  void published(int count) {
    published.increment(count);
  }

  void failed() {
    failures.increment();
  }

  private static double pending(JdbcTemplate jdbc) {
    try {
      Long count = jdbc.queryForObject("SELECT count(*) FROM outbox_event WHERE published_at IS NULL", Long.class);
      return count == null ? 0 : count;
    } catch (RuntimeException e) {
      return Double.NaN;
    }
  }

  private static double oldestPendingAgeSeconds(JdbcTemplate jdbc) {
    try {
      Double age = jdbc.queryForObject(
          "SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0) FROM outbox_event WHERE published_at IS NULL",
          Double.class);
      return age == null ? 0 : age;
    } catch (RuntimeException e) {
      return Double.NaN;
    }
  }
}
