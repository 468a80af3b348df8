package dev.divergence.inference.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Any;
import com.google.protobuf.Timestamp;
import dev.divergence.inference.InferenceTestBase;
import dev.divergence.inference.RestCalls;
import dev.divergence.inference.models.CatalogWaits;
import dev.divergence.inference.models.ModelCatalog;
import dev.divergence.inference.models.ModelLifecycle;
import dev.divergence.inference.models.StartupLoading;
import dev.divergence.inference.models.ServingState;
import dev.divergence.inference.models.TritonNames;
import dev.divergence.inference.store.Lineage;
import dev.divergence.modelserver.client.TritonClient;
import dev.divergence.platform.events.Topics;
import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.proto.common.v1.EventEnvelope;
import dev.divergence.proto.inference.v1.LoadModelRequest;
import dev.divergence.proto.inference.v1.ModelServiceGrpc;
import dev.divergence.proto.inference.v1.ServedModel;
import dev.divergence.proto.inference.v1.UnloadModelRequest;
import dev.divergence.proto.training.v1.Model;
import dev.divergence.proto.training.v1.ModelRegistered;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import tools.jackson.databind.JsonNode;

/** models.registry.v1 → catalog → repository entries → loaded in the serving backend, once per event, failures kept. */
class ModelRegistryEventsIT extends InferenceTestBase {

  private static KafkaProducer<String, byte[]> producer;

  @LocalServerPort int port;
  @Autowired ModelCatalog catalog;
  @Autowired TritonClient client;
  @Autowired JdbcTemplate jdbc;
  @Autowired MeterRegistry meters;
  @Autowired GrpcServerLifecycle grpc;
  @Autowired ModelLifecycle lifecycle;
  @Autowired StartupLoading startup;

  @BeforeAll
  static void connect() {
    producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, System.getProperty("spring.kafka.bootstrap-servers")),
        new StringSerializer(), new ByteArraySerializer());
  }

  @AfterAll
  static void close() {
    producer.close();
  }

  @Test
  void registeredModelBecomesReadyAndScorableAndARedeliveryLoadsNothing() throws Exception {
    CatalogWaits.ready(catalog, "tiny-lm");
    String name = "copy-" + UUID.randomUUID().toString().substring(0, 8);
    Path folder = copyOfTinyLm(name, 3);
    EventEnvelope event = registered(name, 3, folder.toUri().toString());
    send(name, event);

    CatalogWaits.ready(catalog, name);
    assertThat(client.modelReady(TritonNames.stateless(name), "3")).isTrue();
    assertThat(client.modelReady(TritonNames.decoding(name), "3")).isTrue();
    RestCalls rest = new RestCalls(port);
    JsonNode model = RestCalls.json(rest.get("/api/v1/inference/models/" + name));
    assertThat(model.get("version").asString()).isEqualTo("3");
    assertThat(model.get("lineage").get("baseModel").asString()).isEqualTo("tiny-lm");
    assertThat(model.get("lineage").get("producingJob").asString()).isEqualTo("job-" + name);

    // the copy has tiny-lm's weights, so it must give tiny-lm's next-token distribution
    Map<String, Object> copy = Map.of("model", name, "prefixes", java.util.List.of("12+7="), "topK", 5);
    Map<String, Object> original = Map.of("model", "tiny-lm", "prefixes", java.util.List.of("12+7="), "topK", 5);
    HttpResponse<String> scored = rest.post("/api/v1/inference/score/next-token", copy);
    assertThat(scored.statusCode()).as(scored.body()).isEqualTo(200);
    assertThat(RestCalls.json(scored).get("results"))
        .isEqualTo(RestCalls.json(rest.post("/api/v1/inference/score/next-token", original)).get("results"));

    double duplicatesBefore = duplicates();
    send(name, event);
    await().atMost(Duration.ofSeconds(60)).until(() -> duplicates() > duplicatesBefore);
    assertThat(loadRequests(name)).as("the redelivered event loads nothing").isEqualTo(1);
    // the same version announced again under a new event id (as the registry does for built-ins) loads nothing either
    String witnessEvent = UUID.randomUUID().toString();
    send(name, event.toBuilder().setEventId(witnessEvent).build());
    await().atMost(Duration.ofSeconds(60)).until(() -> jdbc.queryForObject(
        "SELECT count(*) FROM processed_event WHERE event_id = ?::uuid", Long.class, witnessEvent) == 1);
    assertThat(loadRequests(name)).isEqualTo(1);
  }

  @Test
  void unreadableUriEndsFailedWithItsReasonAndTheModelLoadsOnceItsFilesExist() throws Exception {
    String name = "missing-" + UUID.randomUUID().toString().substring(0, 8);
    Path folder = Path.of("target", "it-data", "registry", name, "2").toAbsolutePath();
    send(name, registered(name, 2, folder.toUri().toString()));

    CatalogWaits.state(catalog, name, ServingState.FAILED, Duration.ofSeconds(60));
    RestCalls rest = new RestCalls(port);
    JsonNode failed = RestCalls.json(rest.get("/api/v1/inference/models/" + name));
    assertThat(failed.get("message").asString()).contains("config.json does not exist");
    assertThat(failed.get("sourceUri").asString()).isEqualTo(folder.toUri().toString());
    HttpResponse<String> notReady = rest.post("/api/v1/inference/score/next-token",
        Map.of("model", name, "prefixes", java.util.List.of("1+1=")));
    assertThat(notReady.statusCode()).isEqualTo(409);
    assertThat(meters.find("divergence.inference.model.load.failures").tag("model", name).counter().count()).isEqualTo(1.0);

    // the event is not lost: its row keeps the source, and a load once the files exist serves it
    copyOfTinyLm(name, 2);
    HttpResponse<String> loaded = rest.post("/api/v1/inference/models/" + name + "/load", "");
    assertThat(loaded.statusCode()).as(loaded.body()).isEqualTo(200);
    assertThat(RestCalls.json(loaded).get("state").asString()).isEqualTo("READY");
    assertThat(RestCalls.json(loaded).get("kind").asString()).isEqualTo("LANGUAGE_MODEL");
  }

  @Test
  void unloadAndLoadOverRestAndGrpc() throws Exception {
    String name = "cycle-" + UUID.randomUUID().toString().substring(0, 8);
    send(name, registered(name, 1, copyOfTinyLm(name, 1).toUri().toString()));
    CatalogWaits.ready(catalog, name);
    RestCalls rest = new RestCalls(port);

    JsonNode unloaded = RestCalls.json(rest.post("/api/v1/inference/models/" + name + "/unload", ""));
    assertThat(unloaded.get("state").asString()).isEqualTo("UNLOADED");
    assertThat(client.modelReady(TritonNames.stateless(name), "1")).isFalse();
    assertThat(client.modelReady(TritonNames.decoding(name), "1")).isFalse();
    assertThat(rest.post("/api/v1/inference/score/next-token", Map.of("model", name, "prefixes", java.util.List.of("a")))
        .statusCode()).isEqualTo(409);

    JsonNode loaded = RestCalls.json(rest.post("/api/v1/inference/models/" + name + "/load", ""));
    assertThat(loaded.get("state").asString()).isEqualTo("READY");
    assertThat(client.modelReady(TritonNames.decoding(name), "1")).isTrue();

    // gone from the backend behind the catalog's back (an operator on Triton): 409, not a 500
    client.unloadModel(TritonNames.stateless(name));
    HttpResponse<String> gone = rest.post("/api/v1/inference/score/next-token", Map.of("model", name, "prefixes", java.util.List.of("a")));
    assertThat(gone.statusCode()).as(gone.body()).isEqualTo(409);
    assertThat(gone.body()).contains("not loaded in the serving backend");

    // the same lifecycle over gRPC
    ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", grpc.port()).usePlaintext().build();
    try {
      var models = ModelServiceGrpc.newBlockingStub(channel);
      assertThat(models.unloadModel(UnloadModelRequest.newBuilder().setName(name).build()).getState())
          .isEqualTo(dev.divergence.proto.inference.v1.ServingState.SERVING_STATE_UNLOADED);
      ServedModel reloaded = models.loadModel(LoadModelRequest.newBuilder().setName(name).build());
      assertThat(reloaded.getState()).isEqualTo(dev.divergence.proto.inference.v1.ServingState.SERVING_STATE_READY);
      assertThat(reloaded.getTritonModelsList()).containsExactly(name, name + "__decode");
      assertThat(client.modelReady(TritonNames.stateless(name), "1")).isTrue();
      assertThatThrownBy(() -> models.loadModel(LoadModelRequest.newBuilder().setName("no-such-model").build()))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    } finally {
      channel.shutdownNow();
    }

    assertThat(rest.get("/api/v1/inference/models/no-such-model").statusCode()).isEqualTo(404);
    assertThat(rest.post("/api/v1/inference/models/no-such-model/load", "").statusCode()).isEqualTo(404);
    JsonNode list = RestCalls.json(rest.get("/api/v1/inference/models"));
    assertThat(list.findValuesAsString("name")).contains("tiny-lm", "breast-cancer-mlp-student", name);
  }

  @Test
  void aRegistrationRecordedButNeverLoadedIsLoadedAtTheNextStart() throws Exception {
    String name = "recovered-" + UUID.randomUUID().toString().substring(0, 8);
    // what the listener's transaction leaves when the process dies before the load
    lifecycle.register(name, 1, copyOfTinyLm(name, 1).toUri().toString(), false, Lineage.NONE);
    assertThat(catalog.list()).anySatisfy(m -> {
      assertThat(m.name()).isEqualTo(name);
      assertThat(m.state()).isEqualTo(ServingState.LOADING);
    });

    startup.loadInBackground();
    CatalogWaits.ready(catalog, name);
    assertThat(client.modelReady(TritonNames.decoding(name), "1")).isTrue();
    // start-up reloads every model; let it finish before other tests use them
    await().atMost(Duration.ofMinutes(2)).until(() -> catalog.list().stream().noneMatch(m -> m.state() == ServingState.LOADING));
  }

  private double duplicates() {
    var counter = meters.find("divergence.inbox.duplicates").counter();
    return counter == null ? 0 : counter.count();
  }

  private int loadRequests(String name) {
    return jdbc.queryForObject("SELECT load_requests FROM servable_model WHERE name = ?", Integer.class, name);
  }

  /** A registry-style version folder holding tiny-lm's files (the Hugging Face folder libs/model wrote). */
  private static Path copyOfTinyLm(String name, int version) throws Exception {
    Path source = Path.of("target", "it-data", "models", "tiny-lm", "1");
    Path target = Path.of("target", "it-data", "registry", name, Integer.toString(version)).toAbsolutePath();
    Files.createDirectories(target);
    try (Stream<Path> files = Files.list(source)) {
      for (Path file : files.toList()) {
        Files.copy(file, target.resolve(file.getFileName()));
      }
    }
    return target;
  }

  private static EventEnvelope registered(String name, int version, String uri) {
    Model model = Model.newBuilder().setName(name).setVersion(version).setArchitecture("llama").setUri(uri)
        .setBaseModel("tiny-lm").setProducingJob("job-" + name)
        .setCreatedAt(Timestamp.newBuilder().setSeconds(1_790_000_000L)).build();
    return EventEnvelope.newBuilder().setEventId(UUID.randomUUID().toString())
        .setType("dev.divergence.training.v1.ModelRegistered").setTenant("default").setAggregateId(name)
        .setProducer("training").setOccurredAt(Timestamp.newBuilder().setSeconds(1_790_000_001L))
        .setPayload(Any.pack(ModelRegistered.newBuilder().setModel(model).build())).build();
  }

  private static void send(String key, EventEnvelope event) throws Exception {
    producer.send(new ProducerRecord<>(Topics.MODELS_REGISTRY, key, event.toByteArray())).get();
  }
}
