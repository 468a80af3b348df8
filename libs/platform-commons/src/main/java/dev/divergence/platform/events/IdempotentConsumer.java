package dev.divergence.platform.events;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.Consumer;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Applies an event's effect at most once per consumer, however often Kafka redelivers it: the
 * processed-event row and the effect commit in one transaction, so a crash before the offset
 * commit leads to a redelivery that is recognised and skipped.
 */
public class IdempotentConsumer {

  private final JdbcTemplate jdbc;
  private final TransactionTemplate transactions;
  private final Counter duplicates;
  private final Counter applied;

  public IdempotentConsumer(JdbcTemplate jdbc, TransactionTemplate transactions, MeterRegistry registry) {
    this.jdbc = jdbc;
    this.transactions = transactions;
    this.duplicates = Counter.builder("divergence.inbox.duplicates")
        .description("Redelivered events recognised and skipped").register(registry);
    this.applied = Counter.builder("divergence.inbox.applied")
        .description("Events whose effect was applied").register(registry);
  }

  /**
   * @param consumer a stable name of the effect (one service may consume one event several ways)
   * @return true when the effect ran, false when this event had already been processed
   */
  public boolean handleOnce(String consumer, ReceivedEvent event, Consumer<ReceivedEvent> effect) {
    Boolean ran = transactions.execute(status -> {
      int inserted = jdbc.update(
          "INSERT INTO processed_event (consumer, event_id, event_type) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
          consumer, event.eventId(), event.type());
      if (inserted == 0) {
        return false;
      }
      effect.accept(event);
      return true;
    });
    if (Boolean.TRUE.equals(ran)) {
      applied.increment();
      return true;
    }
    duplicates.increment();
    return false;
  }
}
