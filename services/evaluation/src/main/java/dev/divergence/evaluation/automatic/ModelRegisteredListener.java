package dev.divergence.evaluation.automatic;

import dev.divergence.evaluation.run.RunService;
import dev.divergence.evaluation.run.RunSpec;
import dev.divergence.evaluation.run.RunsProperties;
import dev.divergence.evaluation.store.TrackedTrainingJobRepository;
import dev.divergence.evaluation.tracking.TrackedTrainingJob;
import dev.divergence.platform.events.IdempotentConsumer;
import dev.divergence.platform.events.ReceivedEvent;
import dev.divergence.platform.events.Topics;
import dev.divergence.proto.training.v1.Model;
import dev.divergence.proto.training.v1.ModelRegistered;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

/**
 * Queues the default evaluation of every model version announced on models.registry.v1. The run
 * is inserted in the processed-event transaction, and the table allows one automatic run per
 * model version, so neither a redelivered event nor a second registration event of the same
 * version runs it twice.
 */
@Component
public class ModelRegisteredListener {

  static final String CONSUMER = "evaluation.automatic-runs";
  private static final Logger log = LoggerFactory.getLogger(ModelRegisteredListener.class);

  private final IdempotentConsumer consumer;
  private final RunService runs;
  private final TrackedTrainingJobRepository jobs;
  private final RunsProperties properties;

  public ModelRegisteredListener(IdempotentConsumer consumer, RunService runs, TrackedTrainingJobRepository jobs,
      RunsProperties properties) {
    this.consumer = consumer;
    this.runs = runs;
    this.jobs = jobs;
    this.properties = properties;
  }

  @KafkaListener(topics = Topics.MODELS_REGISTRY)
  public void on(ConsumerRecord<String, byte[]> record) {
    ReceivedEvent event = ReceivedEvent.of(record);
    if (!event.is(ModelRegistered.class) || !properties.automatic()) {
      return;
    }
    Model model = event.payload(ModelRegistered.class).getModel();
    consumer.handleOnce(CONSUMER, event, e -> {
      if (model.getName().isBlank() || model.getVersion() < 1) {
        log.warn("ignoring registration {} without a model name or version", event.eventId());
        return;
      }
      String version = model.getName() + ":" + model.getVersion();
      String tenant = event.envelope().getTenant().isBlank() ? "default" : event.envelope().getTenant();
      Optional<RunSpec> spec = plan(model);
      if (spec.isEmpty()) {
        log.info("no automatic evaluation for {}: a classifier whose training dataset is unknown", version);
        return;
      }
      runs.createAutomatic(tenant, spec.get(), version, emptyToNull(model.getProducingJob())).ifPresentOrElse(
          run -> log.info("automatic evaluation {} queued for {}", run.id(), version),
          () -> log.info("{} already has its automatic evaluation", version));
    });
  }

  private Optional<RunSpec> plan(Model model) {
    String lineage = DefaultSuites.lineage(model.getReferenceModel(), model.getTeacherModel(), model.getBaseModel());
    if (!DefaultSuites.isClassifier(model.getArchitecture())) {
      return Optional.of(DefaultSuites.languageModel(model.getName(), lineage));
    }
    return datasetOf(model.getProducingJob()).map(dataset -> DefaultSuites.classifier(model.getName(), lineage, dataset));
  }

  private Optional<String> datasetOf(String producingJob) {
    try {
      return producingJob.isBlank() ? Optional.empty()
          : jobs.find(UUID.fromString(producingJob)).map(TrackedTrainingJob::dataset);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static String emptyToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }
}
