package dev.divergence.gateway.dashboard;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import tools.jackson.databind.JsonNode;

/**
 * The platform's state: every service's readiness as its own probe reports it; Kafka consumer lag per
 * consumer and topic, queue lengths (each outbox's backlog, training's queued jobs, inference's waiting
 * generation streams) and the model server's state, all as the services' own actuator meters and APIs
 * report them. A service that is down is named in a banner and has no figures.
 */
@Controller
class SystemPageController {

  public record ServiceHealth(String name, String status, String detail) {
    public boolean up() {
      return "UP".equals(status);
    }
  }

  /** A consumer's lag on one topic: records it has yet to read, summed over the topic's partitions. */
  public record ConsumerLag(String service, String group, String clientId, String topic, Double lag) {
    public String shown() {
      return lag == null ? "not measured yet" : ActuatorFigures.shown(lag);
    }
  }

  /** One queue: what waits, read from {@code metric} of {@code service}. */
  public record QueueLength(String service, String queue, String metric, Double value, String unit) {
    public String shown() {
      return value == null ? "not measured yet" : ActuatorFigures.shown(value) + (unit.isEmpty() ? "" : " " + unit);
    }
  }

  /**
   * The serving backend as the inference service sees it.
   *
   * @param server "embedded" or "triton" ("unknown" when the readiness answer does not say)
   * @param modelsByState the inference catalog's models counted by serving state
   * @param ready the models loaded and serving (state READY)
   */
  public record ModelServer(String server, String target, String status, Map<String, Integer> modelsByState, List<String> ready) {}

  static final String RECORDS_LAG = "kafka.consumer.fetch.manager.records.lag";

  private final ServiceClient services;

  SystemPageController(ServiceClient services) {
    this.services = services;
  }

  @GetMapping("/ui/system")
  String system(Model page) {
    List<ServiceHealth> health = new ArrayList<>();
    List<ConsumerLag> lags = new ArrayList<>();
    List<QueueLength> queues = new ArrayList<>();
    ModelServer modelServer = null;
    for (String service : services.services()) {
      JsonNode readiness;
      try {
        ServiceClient.Answer answer = services.health(service);
        readiness = answer.body();
        health.add(new ServiceHealth(service, answer.body().path("status").asString("UNKNOWN"),
            "readiness answered " + answer.status()));
      } catch (ServiceClient.ServiceDownException down) {
        health.add(new ServiceHealth(service, "DOWN", "no answer: " + down.getCause().getClass().getSimpleName()));
        continue;
      }
      try {
        lags.addAll(consumerLags(service));
        queues.addAll(queueLengths(service));
        if ("inference".equals(service)) {
          modelServer = modelServer(readiness);
        }
      } catch (ServiceClient.ServiceDownException wentDown) {
        health.set(health.size() - 1, new ServiceHealth(service, "DOWN", "stopped answering: " + wentDown.getCause().getClass().getSimpleName()));
      }
    }
    page.addAttribute("health", health);
    page.addAttribute("lags", lags);
    page.addAttribute("queues", queues);
    page.addAttribute("modelServer", modelServer);
    return "system";
  }

  private List<ConsumerLag> consumerLags(String service) {
    List<ConsumerLag> out = new ArrayList<>();
    ServiceClient.Answer all = services.metric(service, RECORDS_LAG);
    for (String clientId : ActuatorFigures.tagValues(all, "client.id")) {
      ServiceClient.Answer ofClient = services.metric(service, RECORDS_LAG, "client.id:" + clientId);
      for (String topic : ActuatorFigures.tagValues(ofClient, "topic")) {
        OptionalDouble lag = ActuatorFigures.value(services.metric(service, RECORDS_LAG, "client.id:" + clientId, "topic:" + topic));
        out.add(new ConsumerLag(service, ActuatorFigures.consumerGroup(clientId), clientId, topic,
            lag.isPresent() ? lag.getAsDouble() : null));
      }
    }
    return out;
  }

  private List<QueueLength> queueLengths(String service) {
    List<QueueLength> out = new ArrayList<>();
    ServiceClient.Answer pending = services.metric(service, "divergence.outbox.pending");
    if (pending.status() != 404) {
      out.add(queue(service, "outbox: events not yet published to Kafka", pending, "divergence.outbox.pending", "events"));
      out.add(queue(service, "outbox: age of the oldest unpublished event", services.metric(service, "divergence.outbox.oldest.pending.age"),
          "divergence.outbox.oldest.pending.age", "s"));
    }
    if ("training".equals(service)) {
      out.add(queue(service, "training jobs queued", services.metric(service, "divergence.training.jobs.active", "state:queued"),
          "divergence.training.jobs.active{state=queued}", "jobs"));
      out.add(queue(service, "training jobs running", services.metric(service, "divergence.training.jobs.active", "state:running"),
          "divergence.training.jobs.active{state=running}", "jobs"));
    }
    if ("inference".equals(service)) {
      out.add(queue(service, "generation streams waiting for a slot", services.metric(service, "executor.queued", "name:generation.streams"),
          "executor.queued{name=generation.streams}", "streams"));
      out.add(queue(service, "generation streams decoding", services.metric(service, "executor.active", "name:generation.streams"),
          "executor.active{name=generation.streams}", "streams"));
    }
    return out;
  }

  private static QueueLength queue(String service, String queue, ServiceClient.Answer answer, String metric, String unit) {
    OptionalDouble value = ActuatorFigures.value(answer);
    return new QueueLength(service, queue, metric, value.isPresent() ? value.getAsDouble() : null, unit);
  }

  /** The serving backend from the inference service's readiness details, and its catalog's models by state. */
  private ModelServer modelServer(JsonNode readiness) {
    JsonNode backend = readiness.path("components").path("servingBackend");
    Map<String, Integer> byState = new TreeMap<>();
    List<String> ready = new ArrayList<>();
    ServiceClient.Answer models = services.get("inference", "/api/v1/inference/models");
    if (models.ok() && models.body().isArray()) {
      for (JsonNode model : models.body()) {
        String state = model.path("state").asString("UNKNOWN");
        byState.merge(state, 1, Integer::sum);
        if ("READY".equals(state)) {
          ready.add(model.path("name").asString());
        }
      }
    }
    return new ModelServer(backend.path("details").path("server").asString("unknown"),
        backend.path("details").path("target").asString(""), backend.path("status").asString("UNKNOWN"), byState, ready);
  }
}
