package dev.divergence.inference.events;

import dev.divergence.inference.models.BuiltInPreparation;
import dev.divergence.inference.models.ModelLifecycle;
import dev.divergence.inference.store.Lineage;
import dev.divergence.platform.events.IdempotentConsumer;
import dev.divergence.platform.events.ReceivedEvent;
import dev.divergence.platform.events.Topics;
import dev.divergence.proto.training.v1.Model;
import dev.divergence.proto.training.v1.ModelRegistered;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

/**
 * Makes every model version the registry announces on models.registry.v1 servable. Recording the
 * version (state LOADING) commits with the processed-event row, so a redelivered event is skipped
 * and a crash before the load leaves a LOADING row that start-up loads again: the event is never
 * lost. The load itself runs after that commit, so a failed load ends FAILED with its reason
 * instead of rolling the event back into an endless redelivery.
 */
@Component
public class ModelRegistryListener {

  static final String CONSUMER = "inference.servable-models";
  private static final Logger log = LoggerFactory.getLogger(ModelRegistryListener.class);

  private final IdempotentConsumer consumer;
  private final ModelLifecycle lifecycle;
  private final BuiltInPreparation preparation;

  public ModelRegistryListener(IdempotentConsumer consumer, ModelLifecycle lifecycle, BuiltInPreparation preparation) {
    this.consumer = consumer;
    this.lifecycle = lifecycle;
    this.preparation = preparation;
  }

  @KafkaListener(topics = Topics.MODELS_REGISTRY)
  public void on(ConsumerRecord<String, byte[]> record) {
    ReceivedEvent event = ReceivedEvent.of(record);
    if (!event.is(ModelRegistered.class)) {
      log.debug("ignoring {} {}", event.type(), event.eventId());
      return;
    }
    Model model = event.payload(ModelRegistered.class).getModel();
    AtomicBoolean toLoad = new AtomicBoolean();
    consumer.handleOnce(CONSUMER, event, e -> {
      if (model.getName().isBlank() || model.getVersion() < 1) {
        log.warn("ignoring registration {} without a model name or version ({}:{})", event.eventId(), model.getName(),
            model.getVersion());
        return;
      }
      toLoad.set(lifecycle.register(model.getName(), model.getVersion(), model.getUri(), false, lineageOf(model), ownerOf(e, model)));
    });
    if (toLoad.get()) {
      lifecycle.load(model.getName());
    }
  }

  /**
   * The tenant of the event owns the model; a built-in's name (the registry announces a built-in when it is
   * first used, in the tenant of whoever used it) stays every tenant's.
   */
  private String ownerOf(ReceivedEvent event, Model model) {
    String tenant = event.envelope().getTenant();
    return tenant.isBlank() || preparation.builtInModels().contains(model.getName()) ? null : tenant;
  }

  private static Lineage lineageOf(Model model) {
    return new Lineage(emptyToNull(model.getBaseModel()), emptyToNull(model.getTeacherModel()),
        emptyToNull(model.getReferenceModel()), emptyToNull(model.getProducingJob()));
  }

  private static String emptyToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }
}
