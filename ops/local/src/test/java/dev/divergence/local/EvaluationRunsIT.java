package dev.divergence.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.proto.evaluation.v1.EvaluationServiceGrpc;
import dev.divergence.proto.evaluation.v1.GetRunRequest;
import dev.divergence.proto.evaluation.v1.Run;
import dev.divergence.proto.evaluation.v1.RunState;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Evaluation end to end, every part real and in its own process: a distillation job finishes, its
 * model is registered, inference loads it, evaluation runs the automatic suite through inference's
 * gRPC API (and reads the dataset through training's), publishes EvaluationCompleted, and the
 * result is readable over REST (through the gateway) and gRPC; a full redelivery of the
 * registrations runs nothing twice. Then user runs of the language-model suites on the built-in
 * tiny LM, the decoding comparison on the conflict set, and a run whose model goes away.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EvaluationRunsIT {

  private static final Duration LONG = Duration.ofMinutes(6);
  private static final String REGISTRY_TOPIC = "models.registry.v1";
  private static final String CONSUMER_GROUP = "evaluation";
  private static LocalPlatform platform;
  private static String automaticRunId;
  private static String automaticModelVersion;
  /** A language model distilled from tiny-lm in test 2: the second LM the divergence suite compares. */
  private static String distilledLm;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final JsonMapper json = JsonMapper.builder().build();

  @BeforeAll
  static void startPlatform() throws Exception {
    // small built-in models: made in seconds, enough to exercise every path
    platform = LocalPlatform.start(TestPlatforms.builder("evaluation", Component.KAFKA, Component.POSTGRES,
            Component.TRAINING, Component.INFERENCE, Component.EVALUATION, Component.GATEWAY)
        .serviceJvmOptions(TestPlatforms.serviceJvm("-Ddivergence.inference.built-in-budget=small",
            "-Ddivergence.training.built-in-budget=small")).build());
  }

  @AfterAll
  static void stopPlatform() {
    if (platform != null) {
      platform.close();
    }
  }

  @Test
  @Order(1)
  void aDistilledModelIsEvaluatedAutomaticallyThroughInference() throws Exception {
    HttpResponse<String> submitted = post("/api/v1/training/jobs", """
        {"displayName":"distil for evaluation","spec":{"algorithm":"distillation","model":"breast-cancer-mlp-student",
         "dataset":"breast-cancer","budget":{"maxSteps":20},
         "distillation":{"teacherModel":"breast-cancer-mlp-teacher","divergence":{"name":"js"}}}}""");
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(201);
    String jobId = json.readTree(submitted.body()).get("jobId").asString();
    await("the training job succeeded", () -> "SUCCEEDED".equals(field("/api/v1/training/jobs/" + jobId, "state")));
    automaticModelVersion = field("/api/v1/training/jobs/" + jobId, "outputModel");
    assertThat(automaticModelVersion).contains(":");

    JsonNode[] run = new JsonNode[1];
    await("the automatic evaluation of " + automaticModelVersion + " ended", () -> {
      JsonNode runs = getJson("/api/v1/evaluation/training-jobs/" + jobId + "/evaluations");
      if (runs.isEmpty()) {
        return false;
      }
      run[0] = runs.get(0);
      return List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(run[0].get("state").asString());
    });
    assertThat(run[0].get("state").asString()).as(run[0].toString()).isEqualTo("SUCCEEDED");
    automaticRunId = run[0].get("runId").asString();
    assertThat(run[0].get("trigger").asString()).isEqualTo("automatic");
    assertThat(run[0].get("modelVersion").asString()).isEqualTo(automaticModelVersion);
    assertThat(run[0].at("/spec/referenceModel").asString()).isEqualTo("breast-cancer-mlp-teacher");
    JsonNode metrics = run[0].at("/results/0/metrics");
    double accuracy = metrics.at("/test.accuracy/mean").asDouble();
    assertThat(accuracy).isBetween(0.5, 1.0);
    assertThat(metrics.at("/test.accuracy/lower").asDouble()).isLessThanOrEqualTo(accuracy);
    assertThat(metrics.at("/test.reference.js/mean").asDouble()).isBetween(0.0, Math.log(2));
    assertThat(metrics.at("/test.ece/mean").asDouble()).isBetween(0.0, 1.0);
    // the test split of breast-cancer as training holds it: every row scored once
    assertThat(metrics.at("/test.accuracy/n").asLong()).isEqualTo(run[0].at("/results/0/details/samples/test").asLong());

    await("EvaluationCompleted is published", () -> count("SELECT count(*) FROM evaluation.outbox_event WHERE record_key = '"
        + automaticRunId + "' AND event_type = 'dev.divergence.evaluation.v1.EvaluationCompleted' AND published_at IS NOT NULL") == 1);
    ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", platform.ports().grpc(Component.EVALUATION))
        .usePlaintext().build();
    try {
      Run viaGrpc = EvaluationServiceGrpc.newBlockingStub(channel).withInterceptors(Credentials.grpcIdentity(platform)).withDeadlineAfter(Duration.ofSeconds(30))
          .getRun(GetRunRequest.newBuilder().setRunId(automaticRunId).build());
      assertThat(viaGrpc.getState()).isEqualTo(RunState.RUN_STATE_SUCCEEDED);
      assertThat(viaGrpc.getResults(0).getMetricsMap().get("test.accuracy").getMean()).isEqualTo(accuracy);
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  @Order(2)
  void aDistilledLanguageModelGetsTheLanguageModelSuiteAgainstItsTeacher() throws Exception {
    HttpResponse<String> submitted = post("/api/v1/training/jobs", """
        {"displayName":"distil the tiny LM","spec":{"algorithm":"distillation","model":"tiny-lm-student",
         "dataset":"arithmetic","budget":{"maxSteps":5},
         "distillation":{"teacherModel":"tiny-lm","divergence":{"name":"kl"}}}}""");
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(201);
    String jobId = json.readTree(submitted.body()).get("jobId").asString();
    await("the LM distillation succeeded", () -> "SUCCEEDED".equals(field("/api/v1/training/jobs/" + jobId, "state")));
    String version = field("/api/v1/training/jobs/" + jobId, "outputModel");
    distilledLm = version.substring(0, version.lastIndexOf(':'));
    JsonNode[] run = new JsonNode[1];
    await("the automatic evaluation of " + version + " ended", () -> {
      JsonNode runs = getJson("/api/v1/evaluation/training-jobs/" + jobId + "/evaluations");
      run[0] = runs.isEmpty() ? null : runs.get(0);
      return run[0] != null && List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(run[0].get("state").asString());
    });
    assertThat(run[0].get("state").asString()).as(run[0].toString()).isEqualTo("SUCCEEDED");
    assertThat(run[0].at("/spec/referenceModel").asString()).isEqualTo("tiny-lm");
    assertThat(run[0].at("/spec/suites").toString()).contains("model_divergence", "rewards", "diversity");
    assertThat(run[0].at("/results/0/metrics/texts.kl/mean").asDouble()).isPositive();
  }

  @Test
  @Order(3)
  void redeliveringEveryRegistrationRunsNothingTwice() throws Exception {
    long automaticBefore = count("SELECT count(*) FROM evaluation.evaluation_run WHERE trigger = 'automatic'");
    platform.stop(Component.EVALUATION);
    try (Admin admin = kafkaAdmin()) {
      Map<TopicPartition, OffsetAndMetadata> rewind = new HashMap<>();
      for (var partition : admin.describeTopics(List.of(REGISTRY_TOPIC)).allTopicNames().get().get(REGISTRY_TOPIC).partitions()) {
        rewind.put(new TopicPartition(REGISTRY_TOPIC, partition.partition()), new OffsetAndMetadata(0));
      }
      admin.alterConsumerGroupOffsets(CONSUMER_GROUP, rewind).all().get(30, TimeUnit.SECONDS);
    }
    platform.start(Component.EVALUATION);
    await("evaluation has re-read every registration", this::consumerCaughtUp);
    assertThat(count("SELECT count(*) FROM evaluation.evaluation_run WHERE trigger = 'automatic'")).isEqualTo(automaticBefore);
    assertThat(count("SELECT count(*) FROM evaluation.evaluation_run WHERE model_version = '" + automaticModelVersion + "'"))
        .isEqualTo(1);
    assertThat(field("/api/v1/evaluation/runs/" + automaticRunId, "state")).isEqualTo("SUCCEEDED");
  }

  @Test
  @Order(4)
  void languageModelSuitesRunOnTheTinyLm() throws Exception {
    JsonNode run = runToEnd("""
        {"displayName":"tiny-lm vs its student","spec":{"model":"tiny-lm","referenceModel":"@REF@",
         "suites":["model_divergence","rewards","diversity"],"prompts":{"builtIn":"arithmetic","limit":6},
         "sampling":{"samples":4,"maxTokens":6,"seed":11},"passAtK":[1,2,4]}}""".replace("@REF@", distilledLm));
    assertThat(run.get("state").asString()).as(run.toString()).isEqualTo("SUCCEEDED");
    JsonNode divergence = run.at("/results/0/metrics");
    assertThat(divergence.at("/texts.kl/mean").asDouble()).isPositive();
    assertThat(divergence.at("/texts.js/mean").asDouble()).isBetween(0.0, Math.log(2));
    assertThat(divergence.at("/samples.tv/mean").asDouble()).isBetween(0.0, 1.0);
    assertThat(divergence.at("/texts.kl/n").asLong()).isEqualTo(6);
    assertThat(run.at("/results/0/details/curves/texts/kl").size()).isPositive();
    JsonNode rewards = run.at("/results/1/metrics");
    double pass1 = rewards.at("/pass@1/mean").asDouble();
    double pass4 = rewards.at("/pass@4/mean").asDouble();
    assertThat(pass1).isEqualTo(rewards.at("/reward/mean").asDouble(), org.assertj.core.api.Assertions.within(1e-12));
    assertThat(pass4).isGreaterThanOrEqualTo(pass1);
    assertThat(run.at("/results/1/details/sampling/samples").asInt()).isEqualTo(4);
    JsonNode diversity = run.at("/results/2/metrics");
    assertThat(diversity.at("/vendi/mean").asDouble()).isBetween(1.0, 4.0);
    assertThat(diversity.at("/distinct_1/mean").asDouble()).isBetween(0.0, 1.0);
  }

  @Test
  @Order(5)
  void decodingStrategiesAreComparedOnTheConflictSet() throws Exception {
    JsonNode run = runToEnd("""
        {"displayName":"conflict set","spec":{"model":"tiny-lm","suites":["decoding"],
         "prompts":{"builtIn":"arithmetic-conflict","limit":8},"sampling":{"samples":2,"maxTokens":4},
         "strategies":[{"name":"greedy"},{"name":"cad","alpha":1.0},{"name":"adacad"},{"name":"sample"}]}}""");
    assertThat(run.get("state").asString()).as(run.toString()).isEqualTo("SUCCEEDED");
    JsonNode metrics = run.at("/results/0/metrics");
    long conflicts = run.at("/results/0/details/conflicts").asLong();
    assertThat(conflicts).isBetween(0L, 8L);
    for (String strategy : List.of("greedy", "cad(alpha=1.0)", "adacad", "sample")) {
      JsonNode rate = metrics.get(strategy + ".context_following");
      assertThat(rate).as(strategy + " in " + metrics).isNotNull();
      assertThat(rate.get("n").asLong()).isEqualTo(conflicts);
      if (conflicts > 0) {
        assertThat(rate.get("mean").asDouble()).isBetween(0.0, 1.0);
        assertThat(rate.get("mean").asDouble() + metrics.get(strategy + ".prior_following").get("mean").asDouble())
            .isLessThanOrEqualTo(1.0 + 1e-12);
      }
    }
    assertThat(run.at("/results/0/details/strategies/sample/repeats").asInt()).isEqualTo(2);
  }

  @Test
  @Order(6)
  void aRunningRunStopsWhenCancelled() throws Exception {
    HttpResponse<String> created = post("/api/v1/evaluation/runs", """
        {"displayName":"long, to cancel","spec":{"model":"tiny-lm","suites":["rewards"],
         "prompts":{"builtIn":"arithmetic","limit":500},"sampling":{"samples":16,"maxTokens":8}}}""");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String id = json.readTree(created.body()).get("runId").asString();
    await("run " + id + " made progress", () -> getJson("/api/v1/evaluation/runs/" + id).at("/progress/done").asLong() > 0);
    HttpResponse<String> cancelled = post("/api/v1/evaluation/runs/" + id + "/cancel", "");
    assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);
    await("run " + id + " stopped", () -> "CANCELLED".equals(field("/api/v1/evaluation/runs/" + id, "state")));
    JsonNode run = getJson("/api/v1/evaluation/runs/" + id);
    assertThat(run.get("reason").asString()).isEqualTo("cancelled-by-user");
    assertThat(run.at("/progress/done").asLong()).isLessThan(run.at("/progress/total").asLong());
    await("EvaluationCancelled is published", () -> count("SELECT count(*) FROM evaluation.outbox_event WHERE record_key = '"
        + id + "' AND event_type = 'dev.divergence.evaluation.v1.EvaluationCancelled'") == 1);
  }

  @Test
  @Order(7)
  void aRunWhoseModelIsUnloadedFailsWithAReason() throws Exception {
    HttpResponse<String> unloaded = post("/api/v1/inference/models/" + distilledLm + "/unload", "");
    assertThat(unloaded.statusCode()).as(unloaded.body()).isEqualTo(200);
    JsonNode run = runToEnd("""
        {"spec":{"model":"@M@","suites":["rewards"],"prompts":{"builtIn":"arithmetic","limit":2},
         "sampling":{"samples":1}}}""".replace("@M@", distilledLm));
    assertThat(run.get("state").asString()).isEqualTo("FAILED");
    assertThat(run.get("reason").asString()).isEqualTo("model-unavailable");
    assertThat(run.get("message").asString()).contains(distilledLm);
    HttpResponse<String> unknown = post("/api/v1/evaluation/runs", """
        {"spec":{"model":"no-such-model","suites":["rewards"],"prompts":{"builtIn":"arithmetic"}}}""");
    assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(400);
    assertThat(unknown.body()).contains("spec.model").contains("no-such-model");
    HttpResponse<String> unknownDataset = post("/api/v1/evaluation/runs", """
        {"spec":{"model":"breast-cancer-mlp-teacher","suites":["classifier"],"prompts":{"dataset":"no-such-data"}}}""");
    assertThat(unknownDataset.statusCode()).as(unknownDataset.body()).isEqualTo(400);
    assertThat(unknownDataset.body()).contains("spec.prompts.dataset");
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private JsonNode runToEnd(String body) throws Exception {
    HttpResponse<String> created = post("/api/v1/evaluation/runs", body);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String id = json.readTree(created.body()).get("runId").asString();
    await("run " + id + " ended", () -> List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(field("/api/v1/evaluation/runs/" + id, "state")));
    return getJson("/api/v1/evaluation/runs/" + id);
  }

  private String field(String path, String name) {
    try {
      JsonNode node = getJson(path).get(name);
      return node == null || node.isNull() ? null : node.asString();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private JsonNode getJson(String path) {
    HttpResponse<String> response;
    try {
      response = http.send(Credentials.as(platform, Component.GATEWAY, HttpRequest.newBuilder(URI.create(platform.httpUrl(Component.GATEWAY) + path)))
          .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
    return json.readTree(response.body());
  }

  private HttpResponse<String> post(String path, String body) throws Exception {
    return http.send(Credentials.as(platform, Component.GATEWAY, HttpRequest.newBuilder(URI.create(platform.httpUrl(Component.GATEWAY) + path)))
        .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private boolean consumerCaughtUp() {
    try (Admin admin = kafkaAdmin()) {
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin.listConsumerGroupOffsets(CONSUMER_GROUP).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      committed.keySet().stream().filter(tp -> tp.topic().equals(REGISTRY_TOPIC)).forEach(tp -> latest.put(tp, OffsetSpec.latest()));
      var ends = admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS);
      return !latest.isEmpty() && latest.keySet().stream()
          .allMatch(tp -> committed.get(tp) != null && committed.get(tp).offset() >= ends.get(tp).offset());
    } catch (Exception e) {
      return false;
    }
  }

  private Admin kafkaAdmin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, platform.kafkaBootstrapServers(),
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20000));
  }

  private long count(String sql) {
    try (Connection db = DriverManager.getConnection(platform.jdbcUrl(), LocalPlatformConfig.POSTGRES_USER,
        LocalPlatformConfig.POSTGRES_PASSWORD); PreparedStatement query = db.prepareStatement(sql); ResultSet rows = query.executeQuery()) {
      rows.next();
      return rows.getLong(1);
    } catch (Exception e) {
      throw new IllegalStateException(sql, e);
    }
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + LONG.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
      } catch (RuntimeException | AssertionError retry) {
        // not there yet (a component still starting, a run still queued): keep polling until the deadline
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting until " + what);
      }
    }
    throw new AssertionError("timed out after " + LONG + " waiting until " + what);
  }
}
