package dev.divergence.merging.models;

import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.DynamicPropertyRegistry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.divergence.model.assets.TinyAssets;
import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.platform.test.ServiceSmokeChecks;
import dev.divergence.proto.merging.v1.CreateMergeRequest;
import dev.divergence.proto.merging.v1.MergingServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The built-in classifiers are prepared in the background, not by the first request that needs them:
 * the background preparation is held back (prepare-built-ins-after: 1 h) so that the PREPARING phase is
 * observable, then released. While preparing, the service is ready, bad input is still 400, merges
 * of the built-ins answer 503 problem+json + Retry-After / UNAVAILABLE naming the model at once, and an
 * experiment is accepted and waits RUNNING (reason waiting-for-models), and can be cancelled while it
 * waits; once READY, merges succeed and
 * the experiment runs to its end (a pair that turns out incompatible then FAILS naming the field).
 * The context is closed after the class, so its worker takes no other class's experiments.
 */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"divergence.grpc.port=0", "divergence.merging.data-dir=target/merging-test-data",
        "divergence.merging.built-in-classifier-steps=40", "divergence.merging.prepare-built-ins-at-start=true",
        "divergence.merging.prepare-built-ins-after=1h", "divergence.merging.experiments.workers=1",
        "divergence.merging.experiments.heartbeat-interval=200ms"})
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class BuiltInPreparationIT {

  /** Models other than the built-ins are looked up in a model registry: unknown names are 400, not 503 (registry out of reach). */
  @DynamicPropertySource
  static void modelRegistry(DynamicPropertyRegistry properties) {
    properties.add("divergence.clients.training.target", () -> TestModelRegistry.shared().target());
  }


  @LocalServerPort int port;
  @Autowired GrpcServerLifecycle grpc;
  @Autowired BuiltInPreparation preparation;
  private final HttpClient http = HttpClient.newHttpClient();
  private final JsonMapper json = JsonMapper.builder().build();

  @Test
  void builtInsArePreparedInTheBackgroundAndRequestsForThemAnswerRetryMeanwhile() throws Exception {
    // ready while preparing: everything that needs no built-in is served
    ServiceSmokeChecks.readyWithDatabaseAndKafka(port);
    JsonNode listing = json.readTree(get("/api/v1/merging/built-in-models").body());
    assertThat(listing.get("allReady").asBoolean()).isFalse();
    List<String> states = new ArrayList<>();
    listing.get("models").forEach(m -> states.add(m.get("name").asString() + "=" + m.get("state").asString()));
    assertThat(states).containsExactly(TinyAssets.DIGITS_GENERALIST + "=PREPARING", TinyAssets.DIGITS_EXPERT + "=PREPARING",
        TinyAssets.CANCER_GENERALIST + "=PREPARING", TinyAssets.CANCER_EXPERT + "=PREPARING",
        TinyAssets.CANCER_TEACHER + "=PREPARING", TinyAssets.CANCER_STUDENT + "=PREPARING");

    // bad input is still rejected first, naming the field
    HttpResponse<String> unknown = post("/api/v1/merging/merges", Map.of("generalist", "no-such-model",
        "expert", TinyAssets.DIGITS_EXPERT, "method", "t3"));
    assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(400);

    // a merge of built-ins being prepared: 503 at once (the preparation is held back for an hour)
    Map<String, Object> digitsMerge = Map.of("generalist", TinyAssets.DIGITS_GENERALIST, "expert", TinyAssets.DIGITS_EXPERT, "method", "t3");
    long started = System.nanoTime();
    HttpResponse<String> notReady = post("/api/v1/merging/merges", digitsMerge);
    assertThat(notReady.statusCode()).as(notReady.body()).isEqualTo(503);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
    assertThat(notReady.headers().firstValue("Retry-After")).hasValue("5");
    assertThat(notReady.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).contains("application/problem+json"));
    JsonNode problem = json.readTree(notReady.body());
    assertThat(problem.get("model").asString()).isEqualTo(TinyAssets.DIGITS_GENERALIST);
    assertThat(problem.get("state").asString()).isEqualTo("PREPARING");
    assertThat(problem.get("detail").asString()).contains(TinyAssets.DIGITS_GENERALIST, "retry");

    ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", grpc.port()).usePlaintext().build();
    try {
      MergingServiceGrpc.MergingServiceBlockingStub merging = MergingServiceGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
      assertThatThrownBy(() -> merging.createMerge(CreateMergeRequest.newBuilder().setGeneralist(TinyAssets.CANCER_TEACHER)
          .setExpert(TinyAssets.CANCER_TEACHER).setMethod("t3").build()))
          .isInstanceOfSatisfying(StatusRuntimeException.class, error -> {
            assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(error.getStatus().getDescription()).contains(TinyAssets.CANCER_TEACHER, "PREPARING");
          });
    } finally {
      channel.shutdownNow();
    }

    // experiments are accepted and wait, RUNNING, for their models; a waiting one can be cancelled
    Map<String, Object> digitsExperiment = Map.of("generalist", TinyAssets.DIGITS_GENERALIST, "expert", TinyAssets.DIGITS_EXPERT,
        "methods", List.of("t3", "expert"), "splits", List.of(Map.of("name", "digits")), "seeds", 1);
    String cancelled = createExperiment(digitsExperiment);
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      JsonNode experiment = experiment(cancelled);
      assertThat(experiment.get("state").asString()).isEqualTo("RUNNING");
      assertThat(experiment.get("reason").asString()).isEqualTo("waiting-for-models");
    });
    HttpResponse<String> cancel = post("/api/v1/merging/experiments/" + cancelled + "/cancel", Map.of());
    assertThat(cancel.statusCode()).as(cancel.body()).isLessThan(300);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(experiment(cancelled).get("state").asString()).isEqualTo("CANCELLED"));
    String waiting = createExperiment(digitsExperiment);
    // teacher and student differ in architecture: only checkable once they are loaded
    String incompatible = createExperiment(Map.of("generalist", TinyAssets.CANCER_TEACHER, "expert", TinyAssets.CANCER_STUDENT,
        "methods", List.of("t3"), "splits", List.of(Map.of("name", "cancer", "inputs", List.of(new float[30]), "labels", List.of(0))),
        "seeds", 1));
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      JsonNode experiment = experiment(waiting);
      assertThat(experiment.get("state").asString()).isEqualTo("RUNNING");
      assertThat(experiment.get("reason").asString()).isEqualTo("waiting-for-models");
      assertThat(experiment.get("message").asString()).contains(TinyAssets.DIGITS_GENERALIST);
    });

    preparation.prepareNow();
    // six models of 40 steps each on a fresh folder, loads only when an earlier class made them
    await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofSeconds(1))
        .until(() -> json.readTree(get("/api/v1/merging/built-in-models").body()).get("allReady").asBoolean());

    HttpResponse<String> created = post("/api/v1/merging/merges", digitsMerge);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(500))
        .until(() -> List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(experiment(waiting).get("state").asString()));
    JsonNode done = experiment(waiting);
    assertThat(done.get("state").asString()).as(done.toString()).isEqualTo("SUCCEEDED");
    await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(500))
        .until(() -> List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(experiment(incompatible).get("state").asString()));
    JsonNode failed = experiment(incompatible);
    assertThat(failed.get("state").asString()).as(failed.toString()).isEqualTo("FAILED");
    assertThat(failed.get("reason").asString()).isEqualTo("invalid-input");
    assertThat(failed.get("message").asString()).contains("hidden_sizes");
  }

  private String createExperiment(Map<String, Object> spec) throws Exception {
    HttpResponse<String> created = post("/api/v1/merging/experiments", Map.of("spec", spec));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    return json.readTree(created.body()).get("experimentId").asString();
  }

  private JsonNode experiment(String id) throws Exception {
    return json.readTree(get("/api/v1/merging/experiments/" + id).body());
  }

  private HttpResponse<String> post(String path, Object body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body))).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }
}
