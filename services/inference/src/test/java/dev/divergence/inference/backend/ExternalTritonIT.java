package dev.divergence.inference.backend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.inference.InferenceApplication;
import dev.divergence.inference.RestCalls;
import dev.divergence.inference.models.CatalogWaits;
import dev.divergence.inference.models.ModelCatalog;
import dev.divergence.inference.models.TritonNames;
import dev.divergence.model.DjlRuntime;
import dev.divergence.modelserver.ModelServer;
import dev.divergence.modelserver.client.ClientOptions;
import dev.divergence.modelserver.client.TritonClient;
import dev.divergence.platform.test.EmbeddedInfrastructure;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * With the embedded server off, the service drives an external Triton-protocol server it did not
 * start (here a standalone model server in explicit model-control mode, as Triton runs): it writes
 * the entries into the repository that server serves, loads them with RepositoryModelLoad and scores
 * through it. The service runs as its own application beside the shared test context (own schema,
 * no Kafka listener) rather than as a second cached test context, so the shared one is never paused.
 */
@EmbeddedInfrastructure
class ExternalTritonIT {

  private static final Path REPOSITORY = Path.of("target", "external-triton", "model-repository").toAbsolutePath();
  private static ModelServer triton;
  private static ConfigurableApplicationContext service;

  @BeforeAll
  static void start() throws Exception {
    DjlRuntime.configure(Path.of("target", "djl-cache"));
    Files.createDirectories(REPOSITORY);
    triton = ModelServer.start(REPOSITORY, "localhost", 0, List.of());
    service = new SpringApplicationBuilder(InferenceApplication.class).run(
        "--server.port=0",
        "--divergence.grpc.port=0",
        "--divergence.service.schema=inference_external_it",
        "--spring.kafka.listener.auto-startup=false",
        "--divergence.inference.embedded-server.enabled=false",
        "--divergence.inference.triton.target=localhost:" + triton.port(),
        "--divergence.inference.repository-dir=" + REPOSITORY,
        "--divergence.inference.data-dir=target/it-data",
        "--divergence.inference.djl-cache-dir=target/djl-cache",
        "--divergence.inference.built-in-budget=small",
        "--divergence.inference.built-in-models=tiny-lm");
  }

  @AfterAll
  static void stop() {
    if (service != null) {
      service.close();
    }
    if (triton != null) {
      triton.close();
    }
  }

  @Test
  void modelsAreLoadedIntoTheExternalServerAndScoredThroughIt() throws Exception {
    assertThat(service.getBeanProvider(ModelServer.class).getIfAvailable()).as("no embedded server").isNull();
    CatalogWaits.ready(service.getBean(ModelCatalog.class), "tiny-lm");
    int port = ((WebServerApplicationContext) service).getWebServer().getPort();
    assertThat(Files.isRegularFile(REPOSITORY.resolve("tiny-lm").resolve("config.pbtxt"))).isTrue();
    assertThat(Files.isRegularFile(REPOSITORY.resolve(TritonNames.decoding("tiny-lm")).resolve("1").resolve("model.safetensors")))
        .isTrue();
    try (TritonClient client = TritonClient.connect("localhost:" + triton.port(), ClientOptions.defaults())) {
      assertThat(client.modelReady(TritonNames.stateless("tiny-lm"), "1")).isTrue();
      assertThat(client.modelReady(TritonNames.decoding("tiny-lm"), "1")).isTrue();
      long before = client.statistics(TritonNames.stateless("tiny-lm"), "1").getModelStats(0).getInferenceCount();
      HttpResponse<String> scored = new RestCalls(port).post("/api/v1/inference/score/next-token",
          Map.of("model", "tiny-lm", "prefixes", List.of("1+2=", "ab"), "topK", 2));
      assertThat(scored.statusCode()).as(scored.body()).isEqualTo(200);
      assertThat(client.statistics(TritonNames.stateless("tiny-lm"), "1").getModelStats(0).getInferenceCount())
          .as("both rows ran on the external server").isEqualTo(before + 2);
      // continuations of 5 and 3 tokens: one row per item (its all_logits), not one per token
      long beforeItems = client.statistics(TritonNames.stateless("tiny-lm"), "1").getModelStats(0).getInferenceCount();
      List<Map<String, String>> items = List.of(Map.of("prompt", "1+2=", "continuation", "3 and"),
          Map.of("prompt", "ab", "continuation", "cde"));
      HttpResponse<String> distributions = new RestCalls(port).post("/api/v1/inference/score/token-distributions",
          Map.of("model", "tiny-lm", "items", items, "topK", 2));
      assertThat(distributions.statusCode()).as(distributions.body()).isEqualTo(200);
      HttpResponse<String> continuations = new RestCalls(port).post("/api/v1/inference/score/continuations",
          Map.of("model", "tiny-lm", "items", items));
      assertThat(continuations.statusCode()).as(continuations.body()).isEqualTo(200);
      assertThat(client.statistics(TritonNames.stateless("tiny-lm"), "1").getModelStats(0).getInferenceCount())
          .as("one row per item for each call").isEqualTo(beforeItems + 4);
    }
    assertThat(new RestCalls(port).get("/actuator/health/readiness").statusCode()).isEqualTo(200);
  }
}
