package dev.divergence.inference.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.divergence.inference.RestCalls;
import dev.divergence.inference.config.InferenceProperties;
import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.platform.test.EmbeddedInfrastructureExtension;
import dev.divergence.proto.inference.v1.GenerateRequest;
import dev.divergence.proto.inference.v1.GenerationServiceGrpc;
import dev.divergence.proto.inference.v1.ListModelsRequest;
import dev.divergence.proto.inference.v1.ModelServiceGrpc;
import dev.divergence.proto.inference.v1.ServedModel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.test.annotation.DirtiesContext;
import tools.jackson.databind.JsonNode;

/**
 * Requests that arrive right after start-up, while the built-in tiny-lm is still being made: the
 * model is listed PREPARING, generation and scoring answer 503 + Retry-After naming it (gRPC
 * UNAVAILABLE naming it), not 404, and the built-in-models endpoint says it is not servable yet.
 * The real maker runs, held at a gate until the test has asked its questions. Its own context
 * (closed after the class) so that the gate cannot delay the shared context of the other ITs.
 */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "divergence.grpc.port=0",
    "divergence.inference.embedded-server.grpc-port=0",
    "divergence.inference.embedded-server.http-port=0",
    "divergence.inference.embedded-server.metrics-port=0",
    "divergence.inference.data-dir=target/it-data",
    "divergence.inference.djl-cache-dir=target/djl-cache",
    "divergence.inference.built-in-budget=small",
    "divergence.inference.built-in-models=tiny-lm"})
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class BuiltInModelPreparationIT {

  static {
    EmbeddedInfrastructureExtension.start();
  }

  static final CountDownLatch RELEASE = new CountDownLatch(1);

  @TestConfiguration
  static class GatedMaker {

    /** libs/model's real maker, started only once the test opens the gate. */
    @Bean
    @Primary
    BuiltInModelMaker gatedBuiltInModelMaker(InferenceProperties properties) {
      TinyAssetsModelMaker real = new TinyAssetsModelMaker(properties);
      return name -> {
        try {
          if (!RELEASE.await(5, TimeUnit.MINUTES)) {
            throw new IllegalStateException("the test never opened the gate");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
        Path dir = real.make(name);
        return dir;
      };
    }
  }

  @LocalServerPort int port;
  @Autowired GrpcServerLifecycle grpc;
  @Autowired ModelCatalog catalog;

  @AfterAll
  static void openTheGate() {
    RELEASE.countDown();
  }

  @Test
  void aRequestWhileTheBuiltInModelIsPreparedAnswers503WithRetryAfterAndThenIsServed() throws Exception {
    RestCalls rest = new RestCalls(port);

    JsonNode listed = modelNamed(RestCalls.json(rest.get("/api/v1/inference/models")), "tiny-lm");
    assertThat(listed.get("state").asString()).isEqualTo("PREPARING");
    assertThat(listed.get("builtIn").asBoolean()).isTrue();
    assertThat(RestCalls.json(rest.get("/api/v1/inference/models/tiny-lm")).get("state").asString()).isEqualTo("PREPARING");

    // the README's generation example
    HttpResponse<String> generation = rest.post("/api/v1/inference/generate", Map.of(
        "model", "tiny-lm", "prompt", "12+7=", "context", "12+7=25. ",
        "strategy", Map.of("name", "adacad", "alphaFloor", 0), "maxTokens", 8, "diagnostics", true));
    assertNotServableYet(generation);
    assertNotServableYet(rest.post("/api/v1/inference/generate/stream", Map.of("model", "tiny-lm", "prompt", "Ada likes ")));
    assertNotServableYet(rest.post("/api/v1/inference/score/next-token", Map.of("model", "tiny-lm", "prefixes", List.of("1+1="))));
    assertNotServableYet(rest.post("/api/v1/inference/models/tiny-lm/load", ""));
    // an unknown model is still unknown
    assertThat(rest.post("/api/v1/inference/score/next-token", Map.of("model", "no-such-model", "prefixes", List.of("a")))
        .statusCode()).isEqualTo(404);

    JsonNode builtIns = RestCalls.json(rest.get("/api/v1/inference/built-in-models"));
    assertThat(builtIns.get("allServable").asBoolean()).isFalse();
    assertThat(builtIns.get("models").get(0).get("name").asString()).isEqualTo("tiny-lm");
    assertThat(builtIns.get("models").get(0).get("state").asString()).isEqualTo("PREPARING");
    assertThat(builtIns.get("models").get(0).get("servable").asBoolean()).isFalse();

    ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", grpc.port()).usePlaintext().build();
    try {
      List<ServedModel> models = ModelServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
          .listModels(ListModelsRequest.getDefaultInstance()).getModelsList();
      assertThat(models).filteredOn(m -> m.getName().equals("tiny-lm")).singleElement()
          .satisfies(m -> assertThat(m.getState()).isEqualTo(dev.divergence.proto.inference.v1.ServingState.SERVING_STATE_PREPARING));
      assertThatThrownBy(() -> GenerationServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
          .generate(GenerateRequest.newBuilder().setModel("tiny-lm").setPrompt("12+7=").setMaxTokens(4).build()))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(e.getStatus().getDescription()).contains("tiny-lm").contains("PREPARING");
          });

      RELEASE.countDown();
      CatalogWaits.ready(catalog, "tiny-lm");

      HttpResponse<String> served = rest.post("/api/v1/inference/generate", Map.of("model", "tiny-lm", "prompt", "12+7=", "maxTokens", 4));
      assertThat(served.statusCode()).as(served.body()).isEqualTo(200);
      assertThat(RestCalls.json(served).get("tokens").size()).isPositive();
      JsonNode after = RestCalls.json(rest.get("/api/v1/inference/built-in-models"));
      assertThat(after.get("allServable").asBoolean()).isTrue();
      assertThat(after.get("models").get(0).get("state").asString()).isEqualTo("READY");
      assertThat(GenerationServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
          .generate(GenerateRequest.newBuilder().setModel("tiny-lm").setPrompt("12+7=").setMaxTokens(4).build()).getTokensCount())
          .isPositive();
    } finally {
      channel.shutdownNow();
    }
  }

  private static void assertNotServableYet(HttpResponse<String> response) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
    assertThat(response.headers().firstValue("Retry-After")).as("Retry-After").hasValue("5");
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
    JsonNode problem = RestCalls.json(response);
    assertThat(problem.get("status").asInt()).isEqualTo(503);
    assertThat(problem.get("model").asString()).isEqualTo("tiny-lm");
    assertThat(problem.get("state").asString()).isEqualTo("PREPARING");
    assertThat(problem.get("detail").asString()).contains("'tiny-lm'");
  }

  private static JsonNode modelNamed(JsonNode list, String name) {
    for (JsonNode model : list) {
      if (model.get("name").asString().equals(name)) {
        return model;
      }
    }
    throw new AssertionError(name + " is not listed: " + list);
  }
}
