package dev.divergence.platform.events;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.divergence.proto.common.v1.EventEnvelope;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** An event as a consumer sees it: the envelope of a Kafka record, with typed access to its payload. */
public record ReceivedEvent(EventEnvelope envelope, String topic, int partition, long offset) {

  public static ReceivedEvent of(ConsumerRecord<String, byte[]> record) {
    try {
      EventEnvelope envelope = EventEnvelope.parseFrom(record.value());
      if (envelope.getEventId().isEmpty()) {
        throw new MalformedEventException("event without id at " + record.topic() + "/" + record.partition() + "@" + record.offset());
      }
      return new ReceivedEvent(envelope, record.topic(), record.partition(), record.offset());
    } catch (InvalidProtocolBufferException e) {
      throw new MalformedEventException(
          "record at " + record.topic() + "/" + record.partition() + "@" + record.offset() + " is not an EventEnvelope", e);
    }
  }

  public UUID eventId() {
    return UUID.fromString(envelope.getEventId());
  }

  public String type() {
    return envelope.getType();
  }

  public boolean is(Class<? extends Message> payloadType) {
    return envelope.getPayload().is(payloadType);
  }

  public <T extends Message> T payload(Class<T> payloadType) {
    try {
      return envelope.getPayload().unpack(payloadType);
    } catch (InvalidProtocolBufferException e) {
      throw new MalformedEventException("payload of event " + envelope.getEventId() + " is not " + payloadType.getSimpleName(), e);
    }
  }
}
