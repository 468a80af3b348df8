package dev.divergence.platform.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.StringValue;
import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.proto.common.v1.EventEnvelope;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.transaction.support.TransactionTemplate;

/** The outbox, its relay and the idempotent consumer against a real PostgreSQL and Kafka. */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE)
class OutboxAndConsumerIT {

  private static final String TOPIC = Topics.EVALUATION_EVENTS;

  @Autowired OutboxEventPublisher outbox;
  @Autowired OutboxRelay relay;
  @Autowired OutboxMetrics metrics;
  @Autowired IdempotentConsumer consumer;
  @Autowired TransactionTemplate transactions;
  @Autowired JdbcTemplate jdbc;

  @Test
  void eventsOfOneKeyArriveInTheOrderTheyWereWritten() {
    String key = "aggregate-" + UUID.randomUUID();
    for (int i = 0; i < 30; i++) {
      String value = "event-" + i;
      transactions.executeWithoutResult(status -> outbox.publish(TOPIC, key, StringValue.of(value)));
    }
    List<String> received = readValues(key, 30);
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      expected.add("event-" + i);
    }
    assertThat(received).containsExactlyElementsOf(expected);
  }

  @Test
  void rolledBackChangeLeavesNoEvent() {
    String key = "rolled-back-" + UUID.randomUUID();
    assertThatThrownBy(() -> transactions.executeWithoutResult(status -> {
      outbox.publish(TOPIC, key, StringValue.of("never"));
      throw new IllegalStateException("the domain change failed");
    })).hasMessageContaining("domain change failed");
    assertThat(jdbc.queryForObject("SELECT count(*) FROM outbox_event WHERE record_key = ?", Long.class, key)).isZero();
  }

  @Test
  void publishingOutsideATransactionIsRefused() {
    assertThatThrownBy(() -> outbox.publish(TOPIC, "k", StringValue.of("v")))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("inside the transaction");
  }

  @Test
  void eventsWaitWhileKafkaIsUnreachableAndGoOutWhenItIsBack() {
    relay.stop();
    try {
      String key = "outage-" + UUID.randomUUID();
      for (int i = 0; i < 5; i++) {
        String value = "during-outage-" + i;
        transactions.executeWithoutResult(status -> outbox.publish(TOPIC, key, StringValue.of(value)));
      }
      OutboxRelay unreachable = relayTo("localhost:1");
      assertThatThrownBy(unreachable::relayOnce).isInstanceOf(OutboxPublishException.class);
      assertThat(jdbc.queryForObject("SELECT count(*) FROM outbox_event WHERE record_key = ? AND published_at IS NULL",
          Long.class, key)).isEqualTo(5);
      assertThat(jdbc.queryForObject("SELECT max(attempts) FROM outbox_event WHERE record_key = ?", Integer.class, key))
          .isPositive();
      metrics.measureBacklog();
      assertThat(metrics.pending()).isGreaterThanOrEqualTo(5);

      relay.start();
      assertThat(readValues(key, 5)).containsExactly(
          "during-outage-0", "during-outage-1", "during-outage-2", "during-outage-3", "during-outage-4");
    } finally {
      if (!relay.isRunning()) {
        relay.start();
      }
    }
  }

  @Test
  void idempotentConsumerAppliesAnEventOnce() {
    ReceivedEvent event = new ReceivedEvent(EventEnvelope.newBuilder().setEventId(UUID.randomUUID().toString())
        .setType("google.protobuf.StringValue").build(), TOPIC, 0, 0);
    AtomicInteger effects = new AtomicInteger();
    assertThat(consumer.handleOnce("test-effect", event, e -> effects.incrementAndGet())).isTrue();
    assertThat(consumer.handleOnce("test-effect", event, e -> effects.incrementAndGet())).isFalse();
    assertThat(effects).hasValue(1);
    // another effect of the same event is independent
    assertThat(consumer.handleOnce("another-effect", event, e -> effects.incrementAndGet())).isTrue();
    assertThat(effects).hasValue(2);
  }

  @Test
  void failedEffectIsNotRecordedAsProcessed() {
    ReceivedEvent event = new ReceivedEvent(EventEnvelope.newBuilder().setEventId(UUID.randomUUID().toString())
        .setType("google.protobuf.StringValue").build(), TOPIC, 0, 0);
    assertThatThrownBy(() -> consumer.handleOnce("flaky", event, e -> {
      throw new IllegalStateException("database hiccup");
    })).hasMessageContaining("hiccup");
    AtomicInteger effects = new AtomicInteger();
    assertThat(consumer.handleOnce("flaky", event, e -> effects.incrementAndGet())).as("the retry applies it").isTrue();
    assertThat(effects).hasValue(1);
  }

  private OutboxRelay relayTo(String bootstrap) {
    var producers = new DefaultKafkaProducerFactory<String, byte[]>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.MAX_BLOCK_MS_CONFIG, 1000,
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 2000,
        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 1000), new StringSerializer(), new ByteArraySerializer());
    return new OutboxRelay(jdbc, transactions, new KafkaTemplate<>(producers),
        new OutboxProperties(null, null, Duration.ofSeconds(3), null, null), new OutboxMetrics(new SimpleMeterRegistry(), jdbc),
        Clock.systemUTC(), "commons-test");
  }

  private static List<String> readValues(String key, int count) {
    Properties config = new Properties();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, System.getProperty("spring.kafka.bootstrap-servers"));
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "outbox-it-" + UUID.randomUUID());
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> kafka = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
      kafka.subscribe(List.of(TOPIC));
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        for (ConsumerRecord<String, byte[]> record : kafka.poll(Duration.ofMillis(200))) {
          if (key.equals(record.key())) {
            values.add(ReceivedEvent.of(record).payload(StringValue.class).getValue());
          }
        }
        return values.size() >= count;
      });
    }
    return values;
  }
}
