package dev.divergence.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

/**
 * The platform's first real round trip, through the running processes: REST via the gateway →
 * training stores the job and its outbox event in one transaction → the relay publishes to Kafka →
 * evaluation records it in its own schema through its idempotent consumer. Then the hard parts:
 * the consumer restarted mid-stream, every event redelivered, and the broker down for a while.
 * Each step ends by checking that every job was applied exactly once.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EventRoundTripIT {

  private static final String TOPIC = "training.job-events.v1";
  private static final String CONSUMER_GROUP = "evaluation";
  private static final Duration PROPAGATION = Duration.ofSeconds(90);
  private static final Pattern JOB_ID = Pattern.compile("\"jobId\"\\s*:\\s*\"([0-9a-f-]{36})\"");

  private static LocalPlatform platform;
  private static final List<String> submitted = Collections.synchronizedList(new ArrayList<>());
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void startPlatform() throws Exception {
    // inference and merging take no part in this flow; PlatformScriptIT checks that they start
    platform = LocalPlatform.start(TestPlatforms.builder("round-trip", Component.KAFKA, Component.POSTGRES,
        Component.TRAINING, Component.EVALUATION, Component.GATEWAY).build());
  }

  @AfterAll
  static void stopPlatform() {
    if (platform != null) {
      platform.close();
    }
  }

  @Test
  @Order(1)
  void jobSubmittedThroughTheGatewayReachesEvaluation() throws Exception {
    for (int i = 0; i < 3; i++) {
      submitJob("round-trip-" + i);
    }
    awaitAllAppliedOnce();
    String someJob = submitted.get(0);
    HttpResponse<String> tracked = get("/api/v1/evaluation/training-jobs/" + someJob);
    assertThat(tracked.statusCode()).isEqualTo(200);
    assertThat(tracked.body()).contains("\"divergence\":\"reverse_kl\"");
  }

  @Test
  @Order(2)
  void consumerRestartedMidStreamAppliesEveryEventOnce() throws Exception {
    CompletableFuture<Void> stream = CompletableFuture.runAsync(() -> {
      for (int i = 0; i < 15; i++) {
        submitJob("mid-stream-" + i);
        sleep(300);
      }
    });
    sleep(1000);
    platform.restart(Component.EVALUATION);
    stream.get(3, TimeUnit.MINUTES);
    awaitAllAppliedOnce();
  }

  @Test
  @Order(3)
  void forcedRedeliveryOfEveryEventHasNoSecondEffect() throws Exception {
    platform.stop(Component.EVALUATION);
    try (Admin admin = kafkaAdmin()) {
      Map<TopicPartition, OffsetAndMetadata> rewind = new HashMap<>();
      for (var partition : admin.describeTopics(List.of(TOPIC)).allTopicNames().get().get(TOPIC).partitions()) {
        rewind.put(new TopicPartition(TOPIC, partition.partition()), new OffsetAndMetadata(0));
      }
      admin.alterConsumerGroupOffsets(CONSUMER_GROUP, rewind).all().get(30, TimeUnit.SECONDS);
    }
    platform.start(Component.EVALUATION);
    await("evaluation has re-read the whole topic", this::consumerCaughtUp);
    awaitAllAppliedOnce();
    // one statement, one snapshot: every processed event had exactly one effect
    // (only the tracking consumer's rows: evaluation also consumes models.registry.v1 for its automatic runs)
    assertThat(count("SELECT CASE WHEN (SELECT count(*) FROM evaluation.processed_event"
        + " WHERE consumer = 'evaluation.tracked-training-jobs')"
        + " = (SELECT sum(events_applied) FROM evaluation.tracked_training_job) THEN 1 ELSE 0 END")).isEqualTo(1);
  }

  @Test
  @Order(4)
  void brokerOutageLosesNoEvent() throws Exception {
    platform.stop(Component.KAFKA);
    List<String> duringOutage = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      duringOutage.add(submitJob("during-outage-" + i));
    }
    assertThat(count("SELECT count(*) FROM training.outbox_event WHERE published_at IS NULL"))
        .as("accepted while Kafka is down, waiting in the outbox").isGreaterThanOrEqualTo(duringOutage.size());
    sleep(5000);
    platform.start(Component.KAFKA);
    awaitAllAppliedOnce();
    // jobs keep running (and announcing progress) meanwhile, so wait for the backlog to drain
    await("the outbox backlog is published", () -> count("SELECT count(*) FROM training.outbox_event WHERE published_at IS NULL") == 0);
  }

  @Test
  @Order(5)
  void gatewayTurnsAServiceOutageIntoA503Problem() throws Exception {
    platform.stop(Component.TRAINING);
    HttpResponse<String> response = post("/api/v1/training/jobs", jobBody("while-down"));
    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).contains("application/problem+json"));
    assertThat(response.body()).contains("training");
    HttpResponse<String> unknown = get("/api/v1/nowhere");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).contains("application/problem+json"));
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private String submitJob(String name) {
    try {
      HttpResponse<String> response = post("/api/v1/training/jobs", jobBody(name));
      assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
      Matcher id = JOB_ID.matcher(response.body());
      assertThat(id.find()).as(response.body()).isTrue();
      submitted.add(id.group(1));
      return id.group(1);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String jobBody(String name) {
    return """
        {"displayName":"%s","spec":{"algorithm":"distillation","model":"breast-cancer-mlp-student",
         "dataset":"breast-cancer","budget":{"maxSteps":10},
         "distillation":{"teacherModel":"breast-cancer-mlp-teacher","divergence":{"name":"reverse_kl"}}}}""".formatted(name);
  }

  /**
   * Every submitted job is tracked by evaluation, each of its events (submission and every state
   * change, as training wrote them to its outbox) applied exactly once: never more, and in the end
   * not fewer.
   */
  private void awaitAllAppliedOnce() throws Exception {
    List<String> expected = List.copyOf(submitted);
    await(expected.size() + " jobs tracked by evaluation with every event applied once", () -> {
      Map<String, Long> produced = perJob("SELECT record_key, count(*) FROM training.outbox_event"
          + " WHERE topic = '" + TOPIC + "' GROUP BY record_key");
      Map<String, Long> applied = perJob("SELECT job_id::text, events_applied FROM evaluation.tracked_training_job");
      applied.forEach((job, count) -> assertThat(count).as("events applied to job %s (a duplicate effect if above %s)",
          job, produced.get(job)).isLessThanOrEqualTo(produced.getOrDefault(job, 0L)));
      return applied.keySet().containsAll(expected) && expected.stream().allMatch(job -> applied.get(job).equals(produced.get(job)));
    });
    assertThat(perJob("SELECT job_id::text, events_applied FROM evaluation.tracked_training_job").keySet())
        .containsExactlyInAnyOrderElementsOf(expected);
  }

  private Map<String, Long> perJob(String sql) {
    Map<String, Long> counts = new HashMap<>();
    try (Connection db = database(); PreparedStatement query = db.prepareStatement(sql); ResultSet rows = query.executeQuery()) {
      while (rows.next()) {
        counts.put(rows.getString(1), rows.getLong(2));
      }
    } catch (Exception e) {
      throw new IllegalStateException(sql, e);
    }
    return counts;
  }

  private boolean consumerCaughtUp() {
    try (Admin admin = kafkaAdmin()) {
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin.listConsumerGroupOffsets(CONSUMER_GROUP).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      committed.keySet().stream().filter(tp -> tp.topic().equals(TOPIC)).forEach(tp -> latest.put(tp, OffsetSpec.latest()));
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
    try (Connection db = database(); PreparedStatement query = db.prepareStatement(sql); ResultSet rows = query.executeQuery()) {
      rows.next();
      return rows.getLong(1);
    } catch (Exception e) {
      throw new IllegalStateException(sql, e);
    }
  }

  private static Connection database() throws Exception {
    return DriverManager.getConnection(platform.jdbcUrl(), LocalPlatformConfig.POSTGRES_USER, LocalPlatformConfig.POSTGRES_PASSWORD);
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + PROPAGATION.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
      } catch (RuntimeException retry) {
        // not there yet (e.g. a component still starting): keep polling until the deadline
      }
      sleep(500);
    }
    throw new AssertionError("timed out after " + PROPAGATION + " waiting until " + what);
  }

  private HttpResponse<String> post(String path, String json) throws Exception {
    return http.send(Credentials.as(platform, Component.GATEWAY, HttpRequest.newBuilder(URI.create(platform.httpUrl(Component.GATEWAY) + path)))
        .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(Credentials.as(platform, Component.GATEWAY, HttpRequest.newBuilder(URI.create(platform.httpUrl(Component.GATEWAY) + path)))
        .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
