package dev.divergence.training.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.divergence.platform.errors.GrpcStatusMapper;
import dev.divergence.platform.events.Topics;
import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.proto.common.v1.EventEnvelope;
import dev.divergence.proto.training.v1.GetModelRequest;
import dev.divergence.proto.training.v1.MergedFrom;
import dev.divergence.proto.training.v1.Model;
import dev.divergence.proto.training.v1.ModelRegistered;
import dev.divergence.proto.training.v1.ModelRegistryServiceGrpc;
import dev.divergence.proto.training.v1.RegisterModelRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * ModelRegistryService over a real gRPC socket: a folder registered as the next version with its
 * lineage, metrics and metadata, copied into the store, announced on models.registry.v1 and visible
 * over REST; GetModel by name and name:version; idempotent registration; bad input INVALID_ARGUMENT
 * naming the field, an unknown model NOT_FOUND.
 */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"divergence.grpc.port=0", "divergence.training.workers=0"})
class ModelRegistryGrpcIT {

  @Autowired GrpcServerLifecycle grpc;
  @LocalServerPort int port;
  private ManagedChannel channel;
  private ModelRegistryServiceGrpc.ModelRegistryServiceBlockingStub registry;
  private final JsonMapper json = JsonMapper.builder().build();

  /** A fresh data folder per run: the embedded database starts empty, model folders of an earlier run would collide. */
  @DynamicPropertySource
  static void dataDir(DynamicPropertyRegistry properties) {
    properties.add("divergence.training.data-dir",
        () -> Path.of("target", "registry-grpc-data", UUID.randomUUID().toString()).toAbsolutePath().toString());
  }

  @BeforeEach
  void connect() {
    channel = ManagedChannelBuilder.forAddress("localhost", grpc.port()).usePlaintext().build();
    registry = ModelRegistryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void disconnect() {
    channel.shutdownNow();
  }

  /** A model folder as the registry sees one: a config.json declaring the architecture, and a weights file. */
  private static Path modelFolder(String weights) throws Exception {
    Path dir = Files.createDirectories(Path.of("target", "registry-grpc-sources", UUID.randomUUID().toString()).toAbsolutePath());
    Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"mlp\", \"input_dim\": 4}");
    Files.writeString(dir.resolve("model.safetensors"), weights);
    return dir;
  }

  @Test
  void registersAFolderAsTheNextVersionAnnouncesItAndFindsIt() throws Exception {
    KafkaConsumer<String, byte[]> consumer = subscribe();
    String name = "merged-" + UUID.randomUUID().toString().substring(0, 8);
    Path source = modelFolder("first");
    Model first = registry.registerModel(RegisterModelRequest.newBuilder().setName(name).setPath(source.toString())
        .setBaseModel("digits-cnn-generalist")
        .setMergedFrom(MergedFrom.newBuilder().setGeneralist("digits-cnn-generalist").setExpert("digits-sft:2"))
        .putMetrics("merge.alpha", 0.25).putMetadata("merge.method", "wise_ft").build());
    assertThat(first.getName()).isEqualTo(name);
    assertThat(first.getVersion()).isEqualTo(1);
    assertThat(first.getArchitecture()).isEqualTo("mlp");
    assertThat(first.getBaseModel()).isEqualTo("digits-cnn-generalist");
    assertThat(first.getMergedFrom().getGeneralist()).isEqualTo("digits-cnn-generalist");
    assertThat(first.getMergedFrom().getExpert()).isEqualTo("digits-sft:2");
    assertThat(first.getMetricsMap()).containsEntry("merge.alpha", 0.25);
    assertThat(first.getMetadataMap()).containsEntry("merge.method", "wise_ft");
    // copied into the store: the registered folder is not the caller's
    Path stored = Path.of(URI.create(first.getUri()));
    assertThat(stored).isNotEqualTo(source);
    assertThat(Files.readString(stored.resolve("model.safetensors"))).isEqualTo("first");

    Model second = registry.registerModel(RegisterModelRequest.newBuilder().setName(name).setPath(modelFolder("second").toString()).build());
    assertThat(second.getVersion()).isEqualTo(2);
    assertThat(second.hasMergedFrom()).isFalse();

    assertThat(registry.getModel(GetModelRequest.newBuilder().setReference(name).build())).isEqualTo(second);
    assertThat(registry.getModel(GetModelRequest.newBuilder().setReference(name + ":1").build())).isEqualTo(first);

    // REST shows the same registration with its lineage
    HttpResponse<String> rest = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://localhost:" + port + "/api/v1/training/models/" + name + ":1")).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(rest.statusCode()).as(rest.body()).isEqualTo(200);
    JsonNode body = json.readTree(rest.body());
    assertThat(body.at("/mergedFrom/expert").asString()).isEqualTo("digits-sft:2");
    assertThat(body.at("/metadata/merge.method").asString()).isEqualTo("wise_ft");

    List<Model> announced = new ArrayList<>();
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
        Model model = EventEnvelope.parseFrom(record.value()).getPayload().unpack(ModelRegistered.class).getModel();
        if (model.getName().equals(name)) {
          announced.add(model);
        }
      }
      return announced.size() >= 2;
    });
    consumer.close();
    assertThat(announced).containsExactly(first, second);
  }

  @Test
  void theSameIdempotencyKeyReturnsTheFirstRegistration() throws Exception {
    String name = "export-" + UUID.randomUUID().toString().substring(0, 8);
    String key = "merge-export:" + UUID.randomUUID();
    RegisterModelRequest request = RegisterModelRequest.newBuilder().setName(name).setPath(modelFolder("w").toString())
        .setIdempotencyKey(key).build();
    Model first = registry.registerModel(request);
    Model again = registry.registerModel(request.toBuilder().setPath(modelFolder("other").toString()).build());
    assertThat(again).isEqualTo(first);
    assertThat(registry.getModel(GetModelRequest.newBuilder().setReference(name).build()).getVersion()).isEqualTo(1);
    // a key is one registration: reusing it for another name is a mistake the caller hears about
    assertInvalid(request.toBuilder().setName(name + "-other").build(), "idempotency_key");
  }

  @Test
  void badInputIsInvalidArgumentNamingTheField() throws Exception {
    String folder = modelFolder("w").toString();
    assertInvalid(RegisterModelRequest.newBuilder().setPath(folder).build(), "name");
    assertInvalid(RegisterModelRequest.newBuilder().setName("Not A Name").setPath(folder).build(), "name");
    assertInvalid(RegisterModelRequest.newBuilder().setName("ok").build(), "path");
    assertInvalid(RegisterModelRequest.newBuilder().setName("ok").setPath("relative/folder").build(), "path");
    Path empty = Files.createDirectories(Path.of("target", "registry-grpc-sources", "empty-" + UUID.randomUUID()).toAbsolutePath());
    assertInvalid(RegisterModelRequest.newBuilder().setName("ok").setPath(empty.toString()).build(), "path");
    assertInvalid(RegisterModelRequest.newBuilder().setName("ok").setPath(folder).putMetrics("loss", Double.NaN).build(), "metrics.loss");
    assertInvalid(RegisterModelRequest.newBuilder().setName("ok").setPath(folder)
        .setMergedFrom(MergedFrom.newBuilder().setGeneralist("g")).build(), "merged_from.expert");
    assertInvalid(RegisterModelRequest.newBuilder().setName("ok").setPath(folder).setIdempotencyKey("k".repeat(201)).build(),
        "idempotency_key");
    assertThatThrownBy(() -> registry.getModel(GetModelRequest.newBuilder().setReference("x:zero").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, error -> {
          assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(error.getTrailers().get(GrpcStatusMapper.INVALID_FIELDS)).isEqualTo("reference");
        });
    assertThatThrownBy(() -> registry.getModel(GetModelRequest.newBuilder().build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            error -> assertThat(error.getTrailers().get(GrpcStatusMapper.INVALID_FIELDS)).isEqualTo("reference"));
  }

  @Test
  void anUnknownModelIsNotFound() {
    assertThatThrownBy(() -> registry.getModel(GetModelRequest.newBuilder().setReference("no-such-model").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, error -> {
          assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
          assertThat(error.getStatus().getDescription()).contains("no-such-model");
        });
    assertThatThrownBy(() -> registry.getModel(GetModelRequest.newBuilder().setReference("no-such-model:3").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            error -> assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
  }

  private void assertInvalid(RegisterModelRequest request, String field) {
    assertThatThrownBy(() -> registry.registerModel(request)).as(field)
        .isInstanceOfSatisfying(StatusRuntimeException.class, error -> {
          assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(error.getTrailers().get(GrpcStatusMapper.INVALID_FIELDS)).isEqualTo(field);
        });
  }

  private static KafkaConsumer<String, byte[]> subscribe() {
    Properties config = new Properties();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, System.getProperty("spring.kafka.bootstrap-servers"));
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "registry-grpc-" + UUID.randomUUID());
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    consumer.subscribe(List.of(Topics.MODELS_REGISTRY));
    return consumer;
  }
}
