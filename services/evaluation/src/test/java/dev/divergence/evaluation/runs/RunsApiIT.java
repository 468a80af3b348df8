package dev.divergence.evaluation.runs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Any;
import com.google.protobuf.Timestamp;
import dev.divergence.platform.events.Topics;
import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.proto.common.v1.EventEnvelope;
import dev.divergence.proto.evaluation.v1.CreateRunRequest;
import dev.divergence.proto.evaluation.v1.EvaluationServiceGrpc;
import dev.divergence.proto.evaluation.v1.GetRunRequest;
import dev.divergence.proto.evaluation.v1.PromptSource;
import dev.divergence.proto.evaluation.v1.Run;
import dev.divergence.proto.evaluation.v1.RunSpec;
import dev.divergence.proto.evaluation.v1.RunState;
import dev.divergence.proto.evaluation.v1.WatchRunRequest;
import dev.divergence.proto.training.v1.Model;
import dev.divergence.proto.training.v1.ModelRegistered;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Evaluation runs through the real service (REST, gRPC, PostgreSQL, Kafka, the outbox) with the
 * inference service absent: its address is a port nobody listens on. What must hold then: a run is
 * accepted, runs, and FAILS with a reason instead of hanging; its lifecycle events are published;
 * watchers see it end; bad input is refused naming the field; a model registration queues one
 * automatic run however often it is delivered. The runs that reach the real inference service are
 * tested end to end in ops/local.
 */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "divergence.grpc.port=0")
class RunsApiIT {

  private static KafkaProducer<String, byte[]> producer;
  private final HttpClient http = HttpClient.newHttpClient();
  private final JsonMapper json = JsonMapper.builder().build();

  @LocalServerPort int port;
  @Autowired GrpcServerLifecycle grpc;
  @Autowired JdbcTemplate jdbc;

  @DynamicPropertySource
  static void inferenceNowhere(DynamicPropertyRegistry registry) throws Exception {
    int unused;
    try (ServerSocket socket = new ServerSocket(0)) {
      unused = socket.getLocalPort();
    }
    int nowhere = unused;
    registry.add("divergence.clients.inference.target", () -> "localhost:" + nowhere);
    registry.add("divergence.clients.training.target", () -> "localhost:" + nowhere);
    registry.add("divergence.clients.inference.deadline", () -> "3s");
    // nobody listens there: one attempt each, so that checks at creation do not wait out retries
    registry.add("divergence.clients.inference.max-attempts", () -> "1");
    registry.add("divergence.clients.training.max-attempts", () -> "1");
    registry.add("divergence.evaluation.runs.workers", () -> "1");
  }

  @BeforeAll
  static void connect() {
    producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, System.getProperty("spring.kafka.bootstrap-servers")),
        new StringSerializer(), new ByteArraySerializer());
  }

  @AfterAll
  static void close() {
    producer.close();
  }

  private static final String REWARDS_RUN = """
      {"displayName": "tiny rewards", "spec": {"model": "tiny-lm", "suites": ["rewards"],
       "prompts": {"builtIn": "arithmetic", "limit": 4}, "sampling": {"samples": 2}}}""";

  @Test
  void aRunWhoseModelCannotBeReachedFailsWithAReasonAndAnnouncesIt() throws Exception {
    HttpResponse<String> created = post("/api/v1/evaluation/runs", REWARDS_RUN, Map.of());
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonNode run = json.readTree(created.body());
    String id = run.get("runId").asString();
    assertThat(run.get("state").asString()).isEqualTo("QUEUED");
    assertThat(run.at("/spec/sampling/temperature").asDouble()).as("defaults recorded").isEqualTo(1.0);
    assertThat(created.headers().firstValue("Location")).hasValue("/api/v1/evaluation/runs/" + id);

    JsonNode ended = awaitEnded(id);
    assertThat(ended.get("state").asString()).isEqualTo("FAILED");
    assertThat(ended.get("reason").asString()).isEqualTo("model-unavailable");
    assertThat(ended.get("message").asString()).contains("tiny-lm");
    assertThat(ended.get("startedAt").isNull()).isFalse();
    List<String> types = jdbc.queryForList("SELECT event_type FROM outbox_event WHERE record_key = ? ORDER BY id",
        String.class, id);
    assertThat(types).containsExactly("dev.divergence.evaluation.v1.EvaluationStarted", "dev.divergence.evaluation.v1.EvaluationFailed");
    String prometheus = get("/actuator/prometheus").body();
    assertThat(prometheus).containsPattern("divergence_evaluation_runs_ended_total\\{[^}]*reason=\"model-unavailable\",state=\"failed\"\\} [1-9]")
        .containsPattern("divergence_evaluation_runs_started_total\\{[^}]*trigger=\"user\"\\} [1-9]");
  }

  @Test
  void aTenantsRunAndItsEventsAreTheTenants() throws Exception {
    HttpResponse<String> created = post("/api/v1/evaluation/runs", REWARDS_RUN, Map.of("X-Tenant-Id", "acme"));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String id = json.readTree(created.body()).get("runId").asString();
    await().atMost(Duration.ofSeconds(60)).until(() -> jdbc.queryForObject(
        "SELECT count(*) FROM outbox_event WHERE record_key = ?", Long.class, id) == 2);
    for (byte[] envelope : jdbc.queryForList("SELECT envelope FROM outbox_event WHERE record_key = ?", byte[].class, id)) {
      assertThat(EventEnvelope.parseFrom(envelope).getTenant()).isEqualTo("acme");
    }
    assertThat(get("/api/v1/evaluation/runs/" + id).statusCode()).as("another tenant's run").isEqualTo(404);
  }

  @Test
  void theSameIdempotencyKeyReturnsTheFirstRun() throws Exception {
    String key = "eval-" + UUID.randomUUID();
    HttpResponse<String> first = post("/api/v1/evaluation/runs", REWARDS_RUN, Map.of("Idempotency-Key", key));
    HttpResponse<String> second = post("/api/v1/evaluation/runs", REWARDS_RUN, Map.of("Idempotency-Key", key));
    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(second.statusCode()).isEqualTo(200);
    assertThat(json.readTree(second.body()).get("runId")).isEqualTo(json.readTree(first.body()).get("runId"));
  }

  @Test
  void serverSentEventsFollowTheRunUntilItEnds() throws Exception {
    String id = json.readTree(post("/api/v1/evaluation/runs", REWARDS_RUN, Map.of()).body()).get("runId").asString();
    HttpResponse<String> stream = http.send(HttpRequest.newBuilder(uri("/api/v1/evaluation/runs/" + id + "/events"))
        .header("Accept", "text/event-stream").timeout(Duration.ofSeconds(90)).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(stream.statusCode()).isEqualTo(200);
    List<String> states = new ArrayList<>();
    for (String line : stream.body().split("\n")) {
      if (line.startsWith("data:")) {
        states.add(json.readTree(line.substring(5)).get("state").asString());
      }
    }
    assertThat(states).isNotEmpty();
    assertThat(states.get(states.size() - 1)).isEqualTo("FAILED");
  }

  @Test
  void grpcCreatesReadsAndWatchesTheSameRuns() throws Exception {
    ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", grpc.port()).usePlaintext().build();
    try {
      var stub = EvaluationServiceGrpc.newBlockingStub(channel).withDeadlineAfter(java.time.Duration.ofSeconds(90));
      Run created = stub.createRun(CreateRunRequest.newBuilder().setSpec(RunSpec.newBuilder().setModel("tiny-lm")
          .addSuites("rewards").setPrompts(PromptSource.newBuilder().setBuiltIn("arithmetic").setLimit(3))).build());
      assertThat(created.getState()).isEqualTo(RunState.RUN_STATE_QUEUED);
      assertThat(created.getSpec().getSampling().getSamples()).isEqualTo(8);
      Iterator<Run> updates = stub.watchRun(WatchRunRequest.newBuilder().setRunId(created.getRunId()).build());
      Run last = null;
      while (updates.hasNext()) {
        last = updates.next();
      }
      assertThat(last).isNotNull();
      assertThat(last.getState()).isEqualTo(RunState.RUN_STATE_FAILED);
      assertThat(stub.getRun(GetRunRequest.newBuilder().setRunId(created.getRunId()).build()).getReason())
          .isEqualTo("model-unavailable");
      var unknown = org.assertj.core.api.Assertions.catchThrowableOfType(StatusRuntimeException.class,
          () -> stub.getRun(GetRunRequest.newBuilder().setRunId(UUID.randomUUID().toString()).build()));
      assertThat(unknown.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
      var bad = org.assertj.core.api.Assertions.catchThrowableOfType(StatusRuntimeException.class,
          () -> stub.createRun(CreateRunRequest.newBuilder().setSpec(RunSpec.newBuilder().setModel("tiny-lm")
              .addSuites("rewards").setPrompts(PromptSource.newBuilder().setBuiltIn("arithmetic"))
              .addPassAtK(1).addPassAtK(9)).build()));
      assertThat(bad.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(bad.getStatus().getDescription()).contains("spec.passAtK[1]");
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void badRequestsAreProblemsNamingTheFieldAndStoreNothing() throws Exception {
    long before = count();
    assertProblem(post("/api/v1/evaluation/runs", """
        {"spec": {"model": "tiny-lm", "suites": ["rewards", "nonsense"], "prompts": {"builtIn": "arithmetic"}}}""", Map.of()),
        "spec.suites[1]");
    assertProblem(post("/api/v1/evaluation/runs", """
        {"spec": {"model": "tiny-lm", "suites": ["rewards"], "prompts": {"items": []}}}""", Map.of()), "spec.prompts.items");
    assertProblem(post("/api/v1/evaluation/runs", """
        {"spec": {"model": "tiny-lm", "suites": ["rewards"], "prompts": {"builtIn": "arithmetic"},
         "sampling": {"samples": 4}, "passAtK": [1, 8]}}""", Map.of()), "spec.passAtK[1]");
    assertProblem(post("/api/v1/evaluation/runs", """
        {"spec": {"model": "tiny-lm", "suites": ["model_divergence"], "prompts": {"builtIn": "arithmetic"},
         "referenceModel": "tiny-lm-student", "divergences": ["kl", "bogus"]}}""", Map.of()), "spec.divergences[1]");
    assertProblem(post("/api/v1/evaluation/runs", "{\"spec\": {\"suites\": [\"rewards\"]}}", Map.of()), "spec.model");
    assertProblem(get("/api/v1/evaluation/runs/not-a-uuid"), "runId");
    assertProblem(get("/api/v1/evaluation/runs?state=DONE"), "state");
    assertThat(get("/api/v1/evaluation/runs/" + UUID.randomUUID()).statusCode()).isEqualTo(404);
    assertThat(count()).isEqualTo(before);
  }

  @Test
  void aModelRegistrationQueuesOneAutomaticRunHoweverOftenItIsDelivered() throws Exception {
    String name = "distilled-" + UUID.randomUUID().toString().substring(0, 8);
    byte[] event = registered(name, 3).toByteArray();
    send(name, event);
    send(name, event);
    // a second, distinct event for the same version (a replayed registration) must not add a run either
    send(name, registered(name, 3).toByteArray());
    String witness = "witness-" + UUID.randomUUID().toString().substring(0, 8);
    send(witness, registered(witness, 1).toByteArray());
    await().atMost(Duration.ofSeconds(60)).until(() -> automaticRuns(witness + ":1") == 1);
    await().atMost(Duration.ofSeconds(30)).until(() -> automaticRuns(name + ":3") == 1);
    Thread.sleep(1000);
    assertThat(automaticRuns(name + ":3")).isEqualTo(1);
    JsonNode page = json.readTree(get("/api/v1/evaluation/runs?trigger=automatic&model=" + name).body());
    JsonNode run = page.get("runs").get(0);
    assertThat(run.get("modelVersion").asString()).isEqualTo(name + ":3");
    assertThat(run.at("/spec/referenceModel").asString()).isEqualTo("tiny-lm");
    assertThat(run.at("/spec/suites").toString()).contains("model_divergence", "rewards", "diversity");
    assertThat(run.get("producingJob").asString()).isEqualTo("11111111-2222-3333-4444-555555555555");
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private long automaticRuns(String version) {
    return jdbc.queryForObject("SELECT count(*) FROM evaluation_run WHERE trigger = 'automatic' AND model_version = ?",
        Long.class, version);
  }

  private long count() {
    return jdbc.queryForObject("SELECT count(*) FROM evaluation_run", Long.class);
  }

  private JsonNode awaitEnded(String id) throws Exception {
    JsonNode[] last = new JsonNode[1];
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
      last[0] = json.readTree(get("/api/v1/evaluation/runs/" + id).body());
      return List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(last[0].get("state").asString());
    });
    return last[0];
  }

  private void assertProblem(HttpResponse<String> response, String field) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).contains("problem+json"));
    assertThat(response.body()).contains(field);
  }

  private static EventEnvelope registered(String name, int version) {
    Model model = Model.newBuilder().setName(name).setVersion(version).setArchitecture("llama").setUri("file:///nowhere")
        .setTeacherModel("tiny-lm").setProducingJob("11111111-2222-3333-4444-555555555555").build();
    return EventEnvelope.newBuilder().setEventId(UUID.randomUUID().toString())
        .setType("dev.divergence.training.v1.ModelRegistered").setTenant("default").setAggregateId(name)
        .setProducer("training").setOccurredAt(Timestamp.newBuilder().setSeconds(1_790_000_001L))
        .setPayload(Any.pack(ModelRegistered.newBuilder().setModel(model).build())).build();
  }

  private void send(String key, byte[] value) throws Exception {
    producer.send(new ProducerRecord<>(Topics.MODELS_REGISTRY, key, value)).get();
  }

  private URI uri(String path) {
    return URI.create("http://localhost:" + port + path);
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String body, Map<String, String> headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(request::header);
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
