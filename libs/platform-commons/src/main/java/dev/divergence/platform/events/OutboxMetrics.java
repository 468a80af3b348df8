package dev.divergence.platform.events;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Outbox health in numbers: how many events wait (the lag), how old the oldest is, how many went
 * out and how many rounds failed. The backlog is measured by the relay after each round rather
 * than on scrape, so a slow or unreachable database never blocks a metrics scrape.
 */
public class OutboxMetrics {

  private final JdbcTemplate jdbc;
  private final AtomicLong pending = new AtomicLong();
  private final AtomicLong oldestPendingAgeMillis = new AtomicLong();
  private final Counter published;
  private final Counter failures;

  public OutboxMetrics(MeterRegistry registry, JdbcTemplate jdbc) {
    this.jdbc = jdbc;
    Gauge.builder("divergence.outbox.pending", pending, AtomicLong::get)
        .description("Outbox events not yet acknowledged by Kafka")
        .register(registry);
    Gauge.builder("divergence.outbox.oldest.pending.age", oldestPendingAgeMillis, millis -> millis.get() / 1000.0)
        .description("Age of the oldest unpublished outbox event")
        .baseUnit("seconds")
        .register(registry);
    this.published = Counter.builder("divergence.outbox.published")
        .description("Outbox events acknowledged by Kafka").register(registry);
    this.failures = Counter.builder("divergence.outbox.publish.failures")
        .description("Relay rounds that stopped on a Kafka error").register(registry);
  }

  /** Re-measures the backlog; called by the relay between rounds. */
  void measureBacklog() {
    jdbc.query(
        "SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)) * 1000, 0)::bigint"
            + " FROM outbox_event WHERE published_at IS NULL",
        rs -> {
          pending.set(rs.getLong(1));
          oldestPendingAgeMillis.set(rs.getLong(2));
        });
  }

  public long pending() {
    return pending.get();
  }

  void published(int count) {
    published.increment(count);
  }

  void failed() {
    failures.increment();
  }
}
