package dev.divergence.platform.autoconfigure;

import dev.divergence.platform.events.IdempotentConsumer;
import dev.divergence.platform.events.KafkaHealthIndicator;
import dev.divergence.platform.events.MalformedEventException;
import dev.divergence.platform.events.OutboxEventPublisher;
import dev.divergence.platform.events.OutboxMetrics;
import dev.divergence.platform.events.OutboxProperties;
import dev.divergence.platform.events.OutboxRelay;
import dev.divergence.platform.events.Topics;
import dev.divergence.platform.events.TraceContextSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import java.time.Clock;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.util.backoff.ExponentialBackOff;

/** Outbox, relay, idempotent consumers, platform topics and Kafka readiness for data services. */
@AutoConfiguration(after = {DataSourceAutoConfiguration.class, KafkaAutoConfiguration.class},
    afterName = "org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration")
@ConditionalOnClass({KafkaTemplate.class, JdbcTemplate.class})
@ConditionalOnBean({DataSource.class, ProducerFactory.class})
@EnableConfigurationProperties(OutboxProperties.class)
public class PlatformEventsAutoConfiguration {

  @Bean
  TraceContextSource traceContextSource(ObjectProvider<Tracer> tracer, ObjectProvider<Propagator> propagator) {
    return new TraceContextSource(tracer, propagator);
  }

  @Bean
  OutboxMetrics outboxMetrics(MeterRegistry registry, JdbcTemplate jdbc) {
    return new OutboxMetrics(registry, jdbc);
  }

  @Bean
  @SuppressWarnings("unchecked")
  OutboxRelay outboxRelay(
      JdbcTemplate jdbc,
      TransactionTemplate transactions,
      ProducerFactory<?, ?> producerFactory,
      OutboxProperties properties,
      OutboxMetrics metrics,
      Clock clock,
      @Value("${divergence.service.schema}") String schema) {
    // a template of its own: the relay must not start producer observations, because it forwards
    // the trace context captured when the event was written instead
    KafkaTemplate<String, byte[]> template = new KafkaTemplate<>((ProducerFactory<String, byte[]>) producerFactory);
    return new OutboxRelay(jdbc, transactions, template, properties, metrics, clock, schema);
  }

  @Bean
  OutboxEventPublisher outboxEventPublisher(
      JdbcTemplate jdbc, TraceContextSource trace, OutboxRelay relay, Clock clock,
      @Value("${spring.application.name}") String producer) {
    return new OutboxEventPublisher(jdbc, trace, relay, producer, clock);
  }

  @Bean
  IdempotentConsumer idempotentConsumer(JdbcTemplate jdbc, TransactionTemplate transactions, MeterRegistry registry) {
    return new IdempotentConsumer(jdbc, transactions, registry);
  }

  @Bean("kafka")
  KafkaHealthIndicator kafkaHealthIndicator(KafkaAdmin admin) {
    return new KafkaHealthIndicator(admin.getConfigurationProperties());
  }

  /** Transient failures (database down) are retried with backoff; records that can never be read are skipped. */
  @Bean
  CommonErrorHandler kafkaErrorHandler() {
    ExponentialBackOff backOff = new ExponentialBackOff(500, 2);
    backOff.setMaxInterval(10_000);
    backOff.setMaxElapsedTime(120_000);
    DefaultErrorHandler handler = new DefaultErrorHandler(backOff);
    handler.addNotRetryableExceptions(MalformedEventException.class);
    return handler;
  }

  @Bean
  KafkaAdmin.NewTopics platformTopics(
      @Value("${divergence.kafka.partitions}") int partitions,
      @Value("${divergence.kafka.replication-factor}") short replicas) {
    return new KafkaAdmin.NewTopics(
        TopicBuilder.name(Topics.TRAINING_JOB_EVENTS).partitions(partitions).replicas(replicas).build(),
        TopicBuilder.name(Topics.TRAINING_METRICS).partitions(partitions).replicas(replicas).build(),
        TopicBuilder.name(Topics.MODELS_REGISTRY).partitions(partitions).replicas(replicas).build(),
        TopicBuilder.name(Topics.EVALUATION_EVENTS).partitions(partitions).replicas(replicas).build(),
        TopicBuilder.name(Topics.MERGING_EVENTS).partitions(partitions).replicas(replicas).build());
  }
}
