package dev.divergence.platform.events;

import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.support.SendResult;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Publishes committed outbox rows to Kafka, at least once and in outbox order per key.
 *
 * <p>One relay per service schema works at a time (a transaction-scoped advisory lock), so
 * replicas never interleave and reorder events. A batch is sent, then acknowledged in id order;
 * rows up to the first failure are marked published and the rest wait for the next round, so an
 * outage delays events but never drops or reorders them.
 */
public class OutboxRelay implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);

  private final JdbcTemplate jdbc;
  private final TransactionTemplate transactions;
  private final KafkaTemplate<String, byte[]> kafka;
  private final OutboxProperties properties;
  private final OutboxMetrics metrics;
  private final Clock clock;
  private final long lockKey;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private boolean wakeRequested;
  private volatile Thread worker;
  private volatile boolean running;

  public OutboxRelay(
      JdbcTemplate jdbc,
      TransactionTemplate transactions,
      KafkaTemplate<String, byte[]> kafka,
      OutboxProperties properties,
      OutboxMetrics metrics,
      Clock clock,
      String schema) {
    this.jdbc = jdbc;
    this.transactions = transactions;
    this.kafka = kafka;
    this.properties = properties;
    this.metrics = metrics;
    this.clock = clock;
    this.lockKey = UUID.nameUUIDFromBytes(("outbox-relay:" + schema).getBytes(StandardCharsets.UTF_8))
        .getMostSignificantBits();
  }

  /** Called after a transaction with new events commits, so they go out without waiting for the poll. */
  public void wakeUp() {
    lock.lock();
    try {
      wakeRequested = true;
      wake.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Publishes one batch.
   *
   * @return how many events were published
   */
  public int relayOnce() {
    // the failure is thrown after the commit, so the acknowledged prefix and the failure bookkeeping stay
    Round round = transactions.execute(status -> {
      Boolean locked = jdbc.queryForObject("SELECT pg_try_advisory_xact_lock(?)", Boolean.class, lockKey);
      if (!Boolean.TRUE.equals(locked)) {
        return new Round(0, null);
      }
      List<PendingEvent> batch = jdbc.query(
          "SELECT id, topic, record_key, event_id, event_type, envelope, traceparent FROM outbox_event"
              + " WHERE published_at IS NULL ORDER BY id LIMIT ?",
          (rs, i) -> new PendingEvent(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
              rs.getString(5), rs.getBytes(6), rs.getString(7)),
          properties.batchSize());
      return publish(batch);
    });
    if (round == null) {
      return 0;
    }
    if (round.failure() != null) {
      throw round.failure();
    }
    return round.published();
  }

  private record Round(int published, OutboxPublishException failure) {}

  private Round publish(List<PendingEvent> batch) {
    if (batch.isEmpty()) {
      return new Round(0, null);
    }
    List<CompletableFuture<SendResult<String, byte[]>>> sends = new ArrayList<>(batch.size());
    RuntimeException sendFailure = null;
    for (PendingEvent event : batch) {
      try {
        sends.add(kafka.send(event.toRecord()));
      } catch (RuntimeException e) {
        sendFailure = e;
        break;
      }
    }
    List<Long> acknowledged = new ArrayList<>(sends.size());
    long deadline = System.nanoTime() + properties.sendTimeout().toNanos();
    Exception ackFailure = sendFailure;
    for (int i = 0; i < sends.size() && ackFailure == null; i++) {
      try {
        sends.get(i).get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        acknowledged.add(batch.get(i).id());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        ackFailure = e;
      } catch (Exception e) {
        ackFailure = e;
      }
    }
    if (!acknowledged.isEmpty()) {
      jdbc.update("UPDATE outbox_event SET published_at = ?, attempts = attempts + 1 WHERE id = ANY (?)",
          Timestamp.from(clock.instant()), acknowledged.toArray(Long[]::new));
      metrics.published(acknowledged.size());
    }
    if (ackFailure != null) {
      PendingEvent stuck = batch.get(acknowledged.size());
      jdbc.update("UPDATE outbox_event SET attempts = attempts + 1, last_error = ? WHERE id = ?",
          String.valueOf(ackFailure.getMessage()), stuck.id());
      metrics.failed();
      return new Round(acknowledged.size(), new OutboxPublishException(
          "could not publish outbox event " + stuck.eventId() + " to " + stuck.topic(), ackFailure));
    }
    return new Round(acknowledged.size(), null);
  }

  /** Deletes published events older than the retention. */
  public int purgePublished() {
    return jdbc.update("DELETE FROM outbox_event WHERE published_at < ?",
        Timestamp.from(clock.instant().minus(properties.retention())));
  }

  private void loop() {
    Duration backoff = Duration.ZERO;
    long nextPurge = 0;
    while (running) {
      try {
        int published = relayOnce();
        metrics.measureBacklog();
        backoff = Duration.ZERO;
        if (System.currentTimeMillis() > nextPurge) {
          purgePublished();
          nextPurge = System.currentTimeMillis() + Duration.ofHours(1).toMillis();
        }
        if (published < properties.batchSize()) {
          await(properties.pollInterval());
        }
      } catch (RuntimeException e) {
        backoff = backoff.isZero() ? Duration.ofMillis(200) : min(backoff.multipliedBy(2), properties.maxBackoff());
        log.warn("outbox relay round failed, retrying in {} ms: {}", backoff.toMillis(), rootMessage(e));
        await(backoff);
      }
    }
  }

  private void await(Duration duration) {
    lock.lock();
    try {
      long remaining = duration.toNanos();
      while (!wakeRequested && running && remaining > 0) {
        remaining = wake.awaitNanos(remaining);
      }
      wakeRequested = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    } finally {
      lock.unlock();
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static String rootMessage(Throwable error) {
    Throwable root = error;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return error.getMessage() + (root != error ? " (" + root.getClass().getSimpleName() + ": " + root.getMessage() + ")" : "");
  }

  @Override
  public void start() {
    running = true;
    Thread thread = new Thread(this::loop, "outbox-relay");
    thread.setDaemon(true);
    worker = thread;
    thread.start();
  }

  @Override
  public void stop() {
    running = false;
    wakeUp();
    Thread thread = worker;
    if (thread != null) {
      try {
        thread.join(Duration.ofSeconds(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    worker = null;
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  private record PendingEvent(
      long id, String topic, String key, String eventId, String eventType, byte[] envelope, String traceparent) {

    ProducerRecord<String, byte[]> toRecord() {
      ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, key, envelope);
      record.headers().add(EventHeaders.EVENT_ID, eventId.getBytes(StandardCharsets.UTF_8));
      record.headers().add(EventHeaders.EVENT_TYPE, eventType.getBytes(StandardCharsets.UTF_8));
      if (traceparent != null) {
        record.headers().add(EventHeaders.TRACEPARENT, traceparent.getBytes(StandardCharsets.UTF_8));
      }
      return record;
    }
  }
}
