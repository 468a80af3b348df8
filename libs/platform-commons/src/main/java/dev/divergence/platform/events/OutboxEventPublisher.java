package dev.divergence.platform.events;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import dev.divergence.platform.tenancy.TenantContext;
import dev.divergence.proto.common.v1.EventEnvelope;
import dev.divergence.proto.common.v1.TraceContext;
import java.time.Clock;
import java.time.Instant;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Records an event in the outbox table of the service's schema. It must run inside the
 * transaction that makes the domain change, so the change and its event commit or roll back
 * together; the {@link OutboxRelay} publishes it to Kafka afterwards.
 */
public class OutboxEventPublisher {

  private final JdbcTemplate jdbc;
  private final TraceContextSource traceContext;
  private final OutboxRelay relay;
  private final String producer;
  private final Clock clock;

  public OutboxEventPublisher(
      JdbcTemplate jdbc, TraceContextSource traceContext, OutboxRelay relay, String producer, Clock clock) {
    this.jdbc = jdbc;
    this.traceContext = traceContext;
    this.relay = relay;
    this.producer = producer;
    this.clock = clock;
  }

  /**
   * @param topic one of {@link Topics}
   * @param aggregateId the Kafka key; events of one aggregate are delivered in order
   * @return the event id consumers de-duplicate on
   */
  public UUID publish(String topic, String aggregateId, Message payload) {
    if (!TransactionSynchronizationManager.isActualTransactionActive()) {
      throw new IllegalStateException(
          "outbox events must be published inside the transaction of the change they announce");
    }
    UUID eventId = UUID.randomUUID();
    Instant now = clock.instant();
    TraceContext trace = traceContext.current();
    String type = payload.getDescriptorForType().getFullName();
    EventEnvelope envelope = EventEnvelope.newBuilder()
        .setEventId(eventId.toString())
        .setType(type)
        .setOccurredAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
        .setTenant(TenantContext.current())
        .setAggregateId(aggregateId)
        .setTrace(trace)
        .setProducer(producer)
        .setPayload(Any.pack(payload))
        .build();
    jdbc.update(
        "INSERT INTO outbox_event (event_id, topic, record_key, event_type, envelope, traceparent) VALUES (?, ?, ?, ?, ?, ?)",
        eventId, topic, aggregateId, type, envelope.toByteArray(),
        trace.getTraceparent().isEmpty() ? null : trace.getTraceparent());
    TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
      @Override
      public void afterCommit() {
        relay.wakeUp();
      }
    });
    return eventId;
  }
}
