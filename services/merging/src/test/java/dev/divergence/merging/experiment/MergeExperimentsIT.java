package dev.divergence.merging.experiment;

import dev.divergence.merging.models.TestModelRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.DynamicPropertyRegistry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.divergence.model.assets.Datasets;
import dev.divergence.model.assets.LabeledData;
import dev.divergence.model.assets.TinyAssets;
import dev.divergence.platform.errors.GrpcStatusMapper;
import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.proto.common.v1.EventEnvelope;
import dev.divergence.proto.merging.v1.CancelExperimentRequest;
import dev.divergence.proto.merging.v1.CreateExperimentRequest;
import dev.divergence.proto.merging.v1.Experiment;
import dev.divergence.proto.merging.v1.ExperimentSplit;
import dev.divergence.proto.merging.v1.ExperimentState;
import dev.divergence.proto.merging.v1.GetExperimentRequest;
import dev.divergence.proto.merging.v1.ListExperimentsRequest;
import dev.divergence.proto.merging.v1.ListExperimentsResponse;
import dev.divergence.proto.merging.v1.MergeExperimentCompleted;
import dev.divergence.proto.merging.v1.MergingServiceGrpc;
import dev.divergence.proto.merging.v1.MethodResult;
import dev.divergence.proto.merging.v1.WatchExperimentRequest;
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
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Merge experiments over real HTTP and gRPC on PostgreSQL with one worker: created → RUNNING →
 * SUCCEEDED with results in the service's schema and Started/Completed in the outbox, watched over
 * SSE and gRPC; a QUEUED experiment (the only worker busy with a long one) is cancelled at once, a
 * RUNNING one at its next evaluation; work runs as the experiment's tenant; a RUNNING experiment whose
 * worker stopped heartbeating is queued again and run; bad specs are 400 problem+json / INVALID_ARGUMENT naming the
 * field. The context is closed after the class, so its worker takes no other class's experiments.
 */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"divergence.grpc.port=0", "divergence.merging.data-dir=target/merging-test-data",
        "divergence.merging.built-in-classifier-steps=40", "divergence.merging.experiments.workers=1",
        "divergence.merging.experiments.heartbeat-interval=200ms", "divergence.merging.experiments.progress-interval=50ms"})
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class MergeExperimentsIT {

  /** Models other than the built-ins are looked up in a model registry: unknown names are 400, not 503 (registry out of reach). */
  @DynamicPropertySource
  static void modelRegistry(DynamicPropertyRegistry properties) {
    properties.add("divergence.clients.training.target", () -> TestModelRegistry.shared().target());
  }


  private static final String EVENT_TYPE = "dev.divergence.merging.v1.";

  @LocalServerPort int port;
  @Autowired GrpcServerLifecycle grpc;
  @Autowired JdbcTemplate jdbc;
  private final HttpClient http = HttpClient.newHttpClient();
  private final JsonMapper json = JsonMapper.builder().build();
  private ManagedChannel channel;
  private MergingServiceGrpc.MergingServiceBlockingStub merging;

  @BeforeEach
  void connect() {
    channel = ManagedChannelBuilder.forAddress("localhost", grpc.port()).usePlaintext().maxInboundMessageSize(64 << 20).build();
    merging = MergingServiceGrpc.newBlockingStub(channel).withDeadlineAfter(300, TimeUnit.SECONDS);
  }

  @AfterEach
  void disconnect() {
    channel.shutdownNow();
  }

  @Test
  void anExperimentOnAMergeRunsToSuccessWithResultsSseAndEvents() throws Exception {
    HttpResponse<String> merge = post("/api/v1/merging/merges", Map.of("generalist", TinyAssets.DIGITS_GENERALIST,
        "expert", TinyAssets.DIGITS_EXPERT, "method", "t3", "parameters", Map.of("gamma", 4.0)));
    assertThat(merge.statusCode()).as(merge.body()).isEqualTo(201);
    String mergeId = json.readTree(merge.body()).get("mergeId").asString();
    // one held-out digit six times: every bootstrap resample is the same six rows, so each seed's score is
    // the Evaluate endpoint's on them and the lambda is Predict's for that digit
    LabeledData test = Datasets.digits().split(TinyAssets.TRAIN_FRACTION, 20251126L)[1];
    float[][] sameRow = new float[6][];
    int[] sameLabel = new int[6];
    for (int i = 0; i < 6; i++) {
      sameRow[i] = test.features()[0];
      sameLabel[i] = test.labels()[0];
    }
    String key = "experiment-" + UUID.randomUUID();
    Map<String, Object> body = Map.of("idempotencyKey", key, "spec", Map.of("mergeId", mergeId, "seeds", 2,
        "splits", List.of(Map.of("name", "digits"), Map.of("name", "digits-noise-3"),
            Map.of("name", "one-digit", "inputs", sameRow, "labels", sameLabel))));
    HttpResponse<String> created = post("/api/v1/merging/experiments", body);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonNode experiment = json.readTree(created.body());
    String id = experiment.get("experimentId").asString();
    assertThat(created.headers().firstValue("Location")).hasValue("/api/v1/merging/experiments/" + id);
    // defaults filled in and stored: the eight methods, 64-row batches; the merge's pair and parameters
    assertThat(strings(experiment.get("spec").get("methods")))
        .containsExactly("t3", "t3_batch", "generalist", "expert", "ensemble", "wise_ft_sweep", "dawin", "confidence");
    assertThat(experiment.get("spec").get("batchSize").asInt()).isEqualTo(64);
    assertThat(experiment.get("spec").get("generalist").asString()).isEqualTo(TinyAssets.DIGITS_GENERALIST);
    assertThat(experiment.get("spec").get("parameters").get("gamma").asDouble()).isEqualTo(4.0);
    // (7 methods + 11 alphas) x 3 splits x 2 seeds
    assertThat(experiment.get("progress").get("total").asLong()).isEqualTo(18L * 3 * 2);

    HttpResponse<String> again = post("/api/v1/merging/experiments", body);
    assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
    assertThat(json.readTree(again.body()).get("experimentId").asString()).isEqualTo(id);

    // SSE: the experiment on every change until it ends
    HttpResponse<Stream<String>> sse = http.send(HttpRequest.newBuilder(URI.create(url("/api/v1/merging/experiments/" + id + "/events")))
        .header("Accept", "text/event-stream").timeout(Duration.ofMinutes(5)).GET().build(), HttpResponse.BodyHandlers.ofLines());
    assertThat(sse.statusCode()).isEqualTo(200);
    List<JsonNode> updates = new ArrayList<>();
    List<String> names = new ArrayList<>();
    try (Stream<String> lines = sse.body()) {
      lines.forEach(line -> {
        if (line.startsWith("data:")) {
          updates.add(json.readTree(line.substring(5)));
        } else if (line.startsWith("event:")) {
          names.add(line.substring(6).strip());
        }
      });
    }
    assertThat(names).isNotEmpty().allMatch("experiment"::equals);
    JsonNode last = updates.get(updates.size() - 1);
    assertThat(last.get("state").asString()).as(last.toString()).isEqualTo("SUCCEEDED");
    long previous = -1;
    for (JsonNode update : updates) {
      long done = update.get("progress").get("done").asLong();
      assertThat(done).isGreaterThanOrEqualTo(previous);
      previous = done;
    }
    assertThat(last.get("progress").get("done").asLong()).isEqualTo(18L * 3 * 2);

    JsonNode read = json.readTree(get("/api/v1/merging/experiments/" + id).body());
    assertThat(read.get("state").asString()).isEqualTo("SUCCEEDED");
    JsonNode results = read.get("results");
    assertThat(results.get("seeds").asInt()).isEqualTo(2);
    assertThat(results.get("seedUse").asString()).contains("bootstrap");
    assertThat(results.get("splits")).hasSize(3);
    assertThat(results.get("splits").get(0).get("split").asString()).isEqualTo("digits");
    assertThat(results.get("splits").get(0).get("samples").asInt()).isEqualTo(359);
    for (JsonNode split : results.get("splits")) {
      checkSplit(split, 2);
    }
    JsonNode t3 = results.get("splits").get(0).get("methods").get(0);
    assertThat(t3.get("method").asString()).isEqualTo("t3");
    assertThat(t3.get("parameters").get("gamma").asDouble()).isEqualTo(4.0);
    assertThat(t3.get("baseline").asBoolean()).isFalse();

    // the inline split against the Evaluate and Predict endpoints on the same six rows
    JsonNode oneDigit = results.get("splits").get(2);
    JsonNode evaluated = json.readTree(post("/api/v1/merging/merges/" + mergeId + "/evaluate",
        Map.of("inputs", sameRow, "labels", sameLabel)).body()).get("metrics");
    // the same six rows as one batch, as the experiment predicted them (a batch of another size may round the
    // float32 logits differently, which moves lambda by ~1e-11)
    JsonNode predicted = json.readTree(post("/api/v1/merging/merges/" + mergeId + "/predict", Map.of("inputs", sameRow))
        .body()).get("predictions").get(0);
    JsonNode t3OnOneDigit = oneDigit.get("methods").get(0);
    assertThat(t3OnOneDigit.get("accuracy").get("mean").asDouble()).isEqualTo(evaluated.get("accuracy").asDouble());
    assertThat(t3OnOneDigit.get("accuracy").get("standardDeviation").asDouble()).isEqualTo(0.0);
    assertThat(t3OnOneDigit.get("ece").get("mean").asDouble()).isCloseTo(evaluated.get("ece").asDouble(), within(1e-12));
    for (JsonNode q : t3OnOneDigit.get("lambda").get("quantiles")) {
      assertThat(q.asDouble()).isCloseTo(predicted.get("lambda").asDouble(), within(1e-12));
    }

    // the results live in the service's schema as json, and the lifecycle went through the outbox
    assertThat(jdbc.queryForObject("SELECT pg_typeof(results)::text FROM merge_experiment WHERE id = ?::uuid", String.class, id))
        .isEqualTo("json");
    List<String> types = jdbc.queryForList("SELECT event_type FROM outbox_event WHERE record_key = ? ORDER BY id", String.class, id);
    assertThat(types).containsExactly(EVENT_TYPE + "MergeExperimentStarted", EVENT_TYPE + "MergeExperimentCompleted");
    byte[] envelope = jdbc.queryForObject("SELECT envelope FROM outbox_event WHERE record_key = ? AND event_type = ?", byte[].class, id,
        EVENT_TYPE + "MergeExperimentCompleted");
    EventEnvelope event = EventEnvelope.parseFrom(envelope);
    Experiment completed = event.getPayload().unpack(MergeExperimentCompleted.class).getExperiment();
    assertThat(event.getTenant()).isEqualTo("default");
    assertThat(completed.getState()).isEqualTo(ExperimentState.EXPERIMENT_SUCCEEDED);
    assertThat(completed.getResults().getSplitsCount()).isEqualTo(3);
    assertThat(completed.getResults().getSplits(0).getMethods(0).getAccuracy().getMean())
        .isEqualTo(t3.get("accuracy").get("mean").asDouble());

    // listed under its merge; an ended experiment cannot be cancelled
    JsonNode listed = json.readTree(get("/api/v1/merging/experiments?mergeId=" + mergeId + "&state=SUCCEEDED").body());
    assertThat(listed.get("experiments")).hasSize(1);
    assertThat(listed.get("experiments").get(0).get("experimentId").asString()).isEqualTo(id);
    assertProblem(post("/api/v1/merging/experiments/" + id + "/cancel", Map.of()), 409, null);
  }

  /** Invariants of a split's summary that hold whatever the models learnt. */
  private static void checkSplit(JsonNode split, int seeds) {
    String best = split.get("bestBaseline").asString();
    double bestAccuracy = -1;
    for (JsonNode m : split.get("methods")) {
      JsonNode accuracy = m.get("accuracy");
      assertThat(accuracy.get("n").asLong()).isEqualTo(seeds);
      assertThat(accuracy.get("mean").asDouble()).isBetween(0.0, 1.0);
      assertThat(accuracy.get("lower").asDouble()).isLessThanOrEqualTo(accuracy.get("mean").asDouble());
      assertThat(accuracy.get("upper").asDouble()).isGreaterThanOrEqualTo(accuracy.get("mean").asDouble());
      long counted = 0;
      for (JsonNode c : m.get("lambda").get("histogram")) {
        counted += c.asLong();
      }
      assertThat(counted).isEqualTo((long) split.get("samples").asInt() * seeds);
      if (m.get("baseline").asBoolean()) {
        bestAccuracy = Math.max(bestAccuracy, accuracy.get("mean").asDouble());
      }
      if (m.get("method").asString().equals("wise_ft_sweep")) {
        assertThat(m.get("sweepAlphas")).hasSize(11);
        double bestCurve = 0;
        for (JsonNode a : m.get("sweepAccuracy")) {
          bestCurve = Math.max(bestCurve, a.asDouble());
        }
        assertThat(accuracy.get("mean").asDouble()).isEqualTo(bestCurve);
      }
    }
    // the sweep's ends are the two models themselves (alpha weights the expert), scored on the same resamples
    Map<String, JsonNode> byName = new LinkedHashMap<>();
    split.get("methods").forEach(m -> byName.put(m.get("method").asString(), m));
    JsonNode sweep = byName.get("wise_ft_sweep");
    if (sweep != null) {
      assertThat(sweep.get("sweepAccuracy").get(0).asDouble()).isEqualTo(byName.get("generalist").get("accuracy").get("mean").asDouble());
      assertThat(sweep.get("sweepAccuracy").get(10).asDouble()).isEqualTo(byName.get("expert").get("accuracy").get("mean").asDouble());
    }
    for (JsonNode m : split.get("methods")) {
      if (m.get("method").asString().equals(best)) {
        assertThat(m.get("accuracy").get("mean").asDouble()).isEqualTo(bestAccuracy);
        if (m.get("errorReduction") != null && !m.get("errorReduction").isNull()) {
          assertThat(m.get("errorReduction").get("mean").asDouble()).isEqualTo(0.0);
        }
      }
    }
  }

  @Test
  void anExperimentOverGrpcIsWatchedToItsEnd() {
    Experiment created = merging.createExperiment(CreateExperimentRequest.newBuilder().setSpec(
        dev.divergence.proto.merging.v1.ExperimentSpec.newBuilder().setGeneralist(TinyAssets.DIGITS_GENERALIST)
            .setExpert(TinyAssets.DIGITS_EXPERT).setMethod("t3_batch")
            .setParameters(Struct.newBuilder().putFields("average", Value.newBuilder().setStringValue("js").build()))
            .addMethods("t3_batch").addMethods("expert").addMethods("generalist")
            .addSplits(ExperimentSplit.newBuilder().setName("digits-novel")).setSeeds(3)).build());
    assertThat(created.getSpec().getSeeds()).isEqualTo(3);
    assertThat(created.getSpec().getParameters().getFieldsOrThrow("average").getStringValue()).isEqualTo("js");
    Iterator<Experiment> stream = merging.watchExperiment(WatchExperimentRequest.newBuilder().setExperimentId(created.getExperimentId()).build());
    Experiment last = null;
    while (stream.hasNext()) {
      last = stream.next();
    }
    assertThat(last).isNotNull();
    assertThat(last.getState()).as(last.getMessage()).isEqualTo(ExperimentState.EXPERIMENT_SUCCEEDED);
    Experiment read = merging.getExperiment(GetExperimentRequest.newBuilder().setExperimentId(created.getExperimentId()).build());
    assertThat(read.getResults().getSplitsCount()).isEqualTo(1);
    var split = read.getResults().getSplits(0);
    assertThat(split.getMethodsList().stream().map(MethodResult::getMethod)).containsExactly("t3_batch", "expert", "generalist");
    assertThat(split.getBestBaseline()).isIn("expert", "generalist");
    assertThat(split.getMethods(0).getAccuracy().getN()).isEqualTo(3);
    assertInvalid(() -> merging.cancelExperiment(CancelExperimentRequest.newBuilder().setExperimentId(created.getExperimentId()).build()),
        Status.Code.FAILED_PRECONDITION, null);
    ListExperimentsResponse succeeded = merging.listExperiments(ListExperimentsRequest.newBuilder()
        .setState(ExperimentState.EXPERIMENT_SUCCEEDED).setPageSize(200).build());
    assertThat(succeeded.getExperimentsList()).extracting(Experiment::getExperimentId).contains(created.getExperimentId());
  }

  @Test
  void aQueuedExperimentIsCancelledAtOnceAndARunningOneAtItsNextEvaluation() throws Exception {
    // a long experiment keeps the only worker busy: 50 seeds on as many built-in digits splits as a spec may name
    List<Map<String, Object>> everySplit = new ArrayList<>();
    for (String name : Splits.builtInNames().stream().filter(name -> Splits.width(name) == 64).limit(ExperimentSpecValidator.MAX_SPLITS).toList()) {
      everySplit.add(Map.of("name", name));
    }
    String running = create(Map.of("generalist", TinyAssets.DIGITS_GENERALIST, "expert", TinyAssets.DIGITS_EXPERT, "seeds", 50,
        "splits", everySplit));
    await().atMost(Duration.ofMinutes(2)).until(() -> state(running).equals("RUNNING"));
    String queued = create(Map.of("generalist", TinyAssets.DIGITS_GENERALIST, "expert", TinyAssets.DIGITS_EXPERT, "seeds", 1,
        "splits", List.of(Map.of("name", "digits"))));
    assertThat(state(queued)).isEqualTo("QUEUED");

    HttpResponse<String> cancelled = post("/api/v1/merging/experiments/" + queued + "/cancel", Map.of());
    assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);
    assertThat(json.readTree(cancelled.body()).get("state").asString()).isEqualTo("CANCELLED");
    assertThat(json.readTree(cancelled.body()).get("reason").asString()).isEqualTo("cancelled-by-user");
    assertThat(jdbc.queryForList("SELECT event_type FROM outbox_event WHERE record_key = ?", String.class, queued))
        .containsExactly(EVENT_TYPE + "MergeExperimentCancelled");
    assertProblem(post("/api/v1/merging/experiments/" + queued + "/cancel", Map.of()), 409, null);

    // the running one is flagged, and its worker stops before its next evaluation
    Experiment flagged = merging.cancelExperiment(CancelExperimentRequest.newBuilder().setExperimentId(running).build());
    assertThat(flagged.getState()).isIn(ExperimentState.EXPERIMENT_RUNNING, ExperimentState.EXPERIMENT_CANCELLED);
    await().atMost(Duration.ofSeconds(30)).until(() -> state(running).equals("CANCELLED"));
    JsonNode ended = json.readTree(get("/api/v1/merging/experiments/" + running).body());
    assertThat(ended.get("progress").get("done").asLong()).isLessThan(ended.get("progress").get("total").asLong());
    assertThat(ended.get("results").isNull()).isTrue();
    assertThat(jdbc.queryForList("SELECT event_type FROM outbox_event WHERE record_key = ? ORDER BY id", String.class, running))
        .containsExactly(EVENT_TYPE + "MergeExperimentStarted", EVENT_TYPE + "MergeExperimentCancelled");

    // newest first, one per page
    JsonNode first = json.readTree(get("/api/v1/merging/experiments?state=CANCELLED&pageSize=1").body());
    assertThat(first.get("experiments")).hasSize(1);
    assertThat(first.get("experiments").get(0).get("experimentId").asString()).isEqualTo(queued);
    String token = first.get("nextPageToken").asString();
    JsonNode second = json.readTree(get("/api/v1/merging/experiments?state=CANCELLED&pageSize=1&pageToken=" + token).body());
    assertThat(second.get("experiments").get(0).get("experimentId").asString()).isEqualTo(running);
  }

  @Test
  void anExperimentRunsAsItsTenantAndBelongsToIt() throws Exception {
    HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(url("/api/v1/merging/experiments")))
        .header("Content-Type", "application/json").header("X-Tenant-Id", "lab-b")
        .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(Map.of("spec", Map.of("generalist", TinyAssets.DIGITS_GENERALIST,
            "expert", TinyAssets.DIGITS_EXPERT, "methods", List.of("t3", "expert"), "seeds", 1,
            "splits", List.of(Map.of("name", "digits-base"))))))).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String id = json.readTree(created.body()).get("experimentId").asString();
    await().atMost(Duration.ofMinutes(2)).until(() -> jdbc.queryForObject("SELECT state FROM merge_experiment WHERE id = ?::uuid",
        String.class, id).equals("SUCCEEDED"));
    // the worker ran it as lab-b: its events carry that tenant; other tenants do not see it
    for (byte[] envelope : jdbc.queryForList("SELECT envelope FROM outbox_event WHERE record_key = ?", byte[].class, id)) {
      assertThat(EventEnvelope.parseFrom(envelope).getTenant()).isEqualTo("lab-b");
    }
    assertThat(get("/api/v1/merging/experiments/" + id).statusCode()).isEqualTo(404);
  }

  @Test
  void anExperimentWhoseWorkerVanishedIsQueuedAgainAndRunToTheEnd() throws Exception {
    // a RUNNING row whose worker stopped heartbeating an hour ago, as a crashed replica leaves it
    String spec = json.writeValueAsString(new ExperimentSpec(null, TinyAssets.DIGITS_GENERALIST, TinyAssets.DIGITS_EXPERT, "t3",
        Map.of(), List.of("t3", "generalist"), List.of(new ExperimentSpec.Split("digits", null, null)), 1, 64));
    UUID id = UUID.randomUUID();
    jdbc.update("INSERT INTO merge_experiment (id, tenant, display_name, spec, state, progress_done, progress_total, attempt, worker,"
        + " heartbeat_at, created_at, started_at, updated_at) VALUES (?, 'default', 'orphan', ?::json, 'RUNNING', 1, 2, 1, 'gone',"
        + " now() - interval '1 hour', now(), now() - interval '1 hour', now() - interval '1 hour')", id, spec);
    await().atMost(Duration.ofMinutes(2)).until(() -> state(id.toString()).equals("SUCCEEDED"));
    assertThat(jdbc.queryForObject("SELECT attempt FROM merge_experiment WHERE id = ?", Integer.class, id)).isEqualTo(2);
    JsonNode read = json.readTree(get("/api/v1/merging/experiments/" + id).body());
    assertThat(read.get("results").get("splits").get(0).get("methods")).hasSize(2);
    assertThat(read.get("progress").get("done").asLong()).isEqualTo(2);
  }

  @Test
  void aBreastCancerPairDefaultsToItsMeasurementShiftSplits() throws Exception {
    String id = create(Map.of("generalist", TinyAssets.CANCER_GENERALIST, "expert", TinyAssets.CANCER_EXPERT,
        "methods", List.of("t3", "generalist", "expert"), "seeds", 2));
    JsonNode spec = json.readTree(get("/api/v1/merging/experiments/" + id).body()).get("spec");
    List<String> names = new ArrayList<>();
    spec.get("splits").forEach(split -> names.add(split.get("name").asString()));
    assertThat(names).containsExactly("breast-cancer", "breast-cancer-noise-3", "breast-cancer-scale-3", "breast-cancer-missing-3");
    await().atMost(Duration.ofMinutes(3)).until(() -> state(id).equals("SUCCEEDED"));
    JsonNode results = json.readTree(get("/api/v1/merging/experiments/" + id).body()).get("results");
    assertThat(results.get("splits")).hasSize(4);
    for (JsonNode split : results.get("splits")) {
      // the test part of the registered dataset: 569 rows, round(0.8 * 569) = 455 for training, 114 held out
      assertThat(split.get("samples").asInt()).isEqualTo(114);
      checkSplit(split, 2);
    }
  }

  @Test
  void anExperimentsSamplesAreInspectedWithEveryMethodsPredictionAsPredictGivesIt() throws Exception {
    // ten held-out digits in batches of 4: the window [3, 8) spans the batches [0, 4) and [4, 8), as T³_B sees them
    LabeledData test = Datasets.digits().split(TinyAssets.TRAIN_FRACTION, 20251126L)[1];
    float[][] rows = java.util.Arrays.copyOf(test.features(), 10);
    int[] labels = java.util.Arrays.copyOf(test.labels(), 10);
    List<String> methods = List.of("t3", "t3_batch", "generalist", "expert", "wise_ft_sweep");
    String id = create(Map.of("generalist", TinyAssets.DIGITS_GENERALIST, "expert", TinyAssets.DIGITS_EXPERT, "methods", methods,
        "seeds", 1, "batchSize", 4, "splits", List.of(Map.of("name", "ten-digits", "inputs", rows, "labels", labels))));
    await().atMost(Duration.ofMinutes(2)).until(() -> state(id).equals("SUCCEEDED"));
    double sweepAlpha = json.readTree(get("/api/v1/merging/experiments/" + id).body()).at("/results/splits/0/methods/4/bestAlpha").asDouble();

    HttpResponse<String> read = get("/api/v1/merging/experiments/" + id + "/samples?split=ten-digits&offset=3&limit=5");
    assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
    JsonNode page = json.readTree(read.body());
    assertThat(page.get("samples").asInt()).isEqualTo(10);
    assertThat(page.get("batchSize").asInt()).isEqualTo(4);
    assertThat(strings(page.get("methods"))).containsExactlyElementsOf(methods);
    assertThat(page.get("sweepAlpha").asDouble()).isEqualTo(sweepAlpha);
    assertThat(page.get("rows")).hasSize(5);

    // every method's prediction is Predict's for a merge of that method on the same batches
    for (String method : methods) {
      Map<String, Object> merge = method.equals("wise_ft_sweep")
          ? Map.of("generalist", TinyAssets.DIGITS_GENERALIST, "expert", TinyAssets.DIGITS_EXPERT, "method", "wise_ft",
              "parameters", Map.of("alpha", sweepAlpha))
          : Map.of("generalist", TinyAssets.DIGITS_GENERALIST, "expert", TinyAssets.DIGITS_EXPERT, "method", method);
      HttpResponse<String> created = post("/api/v1/merging/merges", merge);
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
      String mergeId = json.readTree(created.body()).get("mergeId").asString();
      List<JsonNode> predicted = new ArrayList<>();
      for (int from = 0; from < 8; from += 4) {
        HttpResponse<String> predict = post("/api/v1/merging/merges/" + mergeId + "/predict",
            Map.of("inputs", java.util.Arrays.copyOfRange(rows, from, from + 4)));
        assertThat(predict.statusCode()).as(predict.body()).isEqualTo(200);
        json.readTree(predict.body()).get("predictions").forEach(predicted::add);
      }
      for (int i = 0; i < 5; i++) {
        JsonNode row = page.get("rows").get(i);
        JsonNode expected = predicted.get(3 + i);
        JsonNode actual = row.get("predictions").get(method);
        assertThat(row.get("index").asInt()).isEqualTo(3 + i);
        assertThat(row.get("label").asInt()).isEqualTo(labels[3 + i]);
        int k = expected.get("predictedClass").asInt();
        assertThat(actual.get("predictedClass").asInt()).as(method + " row " + (3 + i)).isEqualTo(k);
        // the same computation on the same batch: equal to the last bit
        assertThat(actual.get("confidence").asDouble()).isEqualTo(expected.get("probabilities").get(k).asDouble());
        assertThat(actual.get("correct").asBoolean()).isEqualTo(k == labels[3 + i]);
        if (method.startsWith("t3")) {
          assertThat(actual.get("lambda").asDouble()).isEqualTo(expected.get("lambda").asDouble());
        } else {
          assertThat(actual.get("lambda").isNull()).as("a baseline has no lambda of its own").isTrue();
        }
      }
    }

    // a window past the end is empty; bad parameters are 400 naming them; another tenant's experiment is 404
    assertThat(json.readTree(get("/api/v1/merging/experiments/" + id + "/samples?split=ten-digits&offset=10").body()).get("rows")).isEmpty();
    assertProblem(get("/api/v1/merging/experiments/" + id + "/samples?split=digits"), 400, "split");
    JsonNode firstSplit = json.readTree(get("/api/v1/merging/experiments/" + id + "/samples?limit=2").body());
    assertThat(firstSplit.get("split").asString()).as("no split named: the first").isEqualTo("ten-digits");
    assertThat(firstSplit.get("rows")).hasSize(2);
    assertProblem(get("/api/v1/merging/experiments/" + id + "/samples?split=ten-digits&offset=-1"), 400, "offset");
    assertProblem(get("/api/v1/merging/experiments/" + id + "/samples?split=ten-digits&limit=0"), 400, "limit");
    assertProblem(get("/api/v1/merging/experiments/" + id + "/samples?split=ten-digits&limit=201"), 400, "limit");
    HttpResponse<String> foreign = http.send(HttpRequest.newBuilder(URI.create(url("/api/v1/merging/experiments/" + id
        + "/samples?split=ten-digits"))).header("X-Tenant-Id", "lab-b").GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(foreign.statusCode()).isEqualTo(404);
  }

  @Test
  void badSpecsAreRejectedNamingTheField() throws Exception {
    Map<String, Object> pair = Map.of("generalist", TinyAssets.DIGITS_GENERALIST, "expert", TinyAssets.DIGITS_EXPERT);
    assertProblem(post("/api/v1/merging/experiments", Map.of("spec", Map.of("mergeId", UUID.randomUUID().toString()))), 400, "spec.mergeId");
    assertProblem(post("/api/v1/merging/experiments", Map.of("spec", Map.of("mergeId", "not-a-merge"))), 400, "spec.mergeId");
    assertProblem(post("/api/v1/merging/experiments", Map.of("spec", Map.of("generalist", "nope", "expert", TinyAssets.DIGITS_EXPERT))),
        400, "spec.generalist");
    assertProblem(post("/api/v1/merging/experiments", Map.of("spec", Map.of("generalist", TinyAssets.DIGITS_GENERALIST,
        "expert", TinyAssets.CANCER_STUDENT))), 400, "spec.expert.model_type");
    assertProblem(post("/api/v1/merging/experiments", Map.of("spec", with(pair, "methods", List.of()))), 400, "spec.methods");
    assertProblem(post("/api/v1/merging/experiments", Map.of("spec", with(pair, "methods", List.of("t3", "magic")))), 400,
        "spec.methods[1]");
    assertProblem(post("/api/v1/merging/experiments", Map.of("spec", with(pair, "seeds", 0))), 400, "spec.seeds");
    assertProblem(post("/api/v1/merging/experiments", Map.of("spec", with(pair, "seeds", 51))), 400, "spec.seeds");
    assertProblem(post("/api/v1/merging/experiments", Map.of("spec", with(pair, "splits", List.of(Map.of("name", "mnist"))))), 400,
        "spec.splits[0].name");
    assertProblem(post("/api/v1/merging/experiments", Map.of("spec", with(pair, "splits", List.of()))), 400, "spec.splits");
    // a built-in split of another width than the pair's: breast-cancer rows have 30 features, the digits models take 64
    HttpResponse<String> otherWidth = post("/api/v1/merging/experiments", Map.of("spec", with(pair, "splits",
        List.of(Map.of("name", "digits-blur-2"), Map.of("name", "breast-cancer-noise-3")))));
    assertProblem(otherWidth, 400, "spec.splits[1].name");
    assertThat(otherWidth.body()).contains("30 features", "64");
    assertProblem(post("/api/v1/merging/experiments", Map.of("spec", with(with(pair, "method", "t3"), "parameters", Map.of("gamma", -1)))),
        400, "spec.parameters.gamma");
    assertProblem(post("/api/v1/merging/experiments", Map.of("spec", with(pair, "splits",
        List.of(Map.of("name", "mine", "inputs", List.of(List.of(1, 2)), "labels", List.of(0)))))), 400, "spec.splits[0].inputs[0]");
    assertProblem(post("/api/v1/merging/experiments", Map.of("spec", with(pair, "methods", List.of("t3", "expert", "t3")))), 400,
        "spec.methods[2]");
    assertProblem(post("/api/v1/merging/experiments", Map.of("spec", with(pair, "splits",
        List.of(Map.of("name", "digits"), Map.of("name", "digits"))))), 400, "spec.splits[1].name");
    assertProblem(post("/api/v1/merging/experiments", Map.of("spec", with(pair, "batchSize", 0))), 400, "spec.batchSize");
    assertProblem(post("/api/v1/merging/experiments", Map.of("spec", Map.of("mergeId", UUID.randomUUID().toString(),
        "generalist", TinyAssets.DIGITS_GENERALIST))), 400, "spec.generalist");
    assertProblem(post("/api/v1/merging/experiments", Map.of("spec", with(pair, "splits",
        List.of(Map.of("name", "mine", "inputs", List.of(new float[64]), "labels", List.of(10)))))), 400, "spec.splits[0].labels[0]");
    assertProblem(post("/api/v1/merging/experiments", Map.of()), 400, "spec");
    assertProblem(get("/api/v1/merging/experiments/not-an-id"), 400, "experimentId");
    assertProblem(get("/api/v1/merging/experiments?state=DONE"), 400, "state");
    assertProblem(get("/api/v1/merging/experiments?pageSize=0"), 400, "pageSize");
    assertThat(get("/api/v1/merging/experiments/" + UUID.randomUUID()).statusCode()).isEqualTo(404);

    var spec = dev.divergence.proto.merging.v1.ExperimentSpec.newBuilder().setGeneralist(TinyAssets.DIGITS_GENERALIST)
        .setExpert(TinyAssets.DIGITS_EXPERT);
    assertInvalid(() -> merging.createExperiment(CreateExperimentRequest.newBuilder().build()), Status.Code.INVALID_ARGUMENT, "spec");
    assertInvalid(() -> merging.createExperiment(CreateExperimentRequest.newBuilder().setSpec(spec.clone().addMethods("magic")).build()),
        Status.Code.INVALID_ARGUMENT, "spec.methods[0]");
    assertInvalid(() -> merging.createExperiment(CreateExperimentRequest.newBuilder().setSpec(spec.clone().setSeeds(-1)).build()),
        Status.Code.INVALID_ARGUMENT, "spec.seeds");
    assertInvalid(() -> merging.createExperiment(CreateExperimentRequest.newBuilder().setSpec(spec.clone()
        .addSplits(ExperimentSplit.newBuilder().setName("imagenet"))).build()), Status.Code.INVALID_ARGUMENT, "spec.splits[0].name");
    assertInvalid(() -> merging.createExperiment(CreateExperimentRequest.newBuilder().setSpec(spec.clone()
        .setMergeId(UUID.randomUUID().toString()).clearGeneralist().clearExpert()).build()), Status.Code.INVALID_ARGUMENT, "spec.mergeId");
    assertInvalid(() -> merging.getExperiment(GetExperimentRequest.newBuilder().setExperimentId("x").build()), Status.Code.INVALID_ARGUMENT,
        "experimentId");
    assertInvalid(() -> merging.getExperiment(GetExperimentRequest.newBuilder().setExperimentId(UUID.randomUUID().toString()).build()),
        Status.Code.NOT_FOUND, null);
    // nothing was stored by a rejected request
    assertThat(jdbc.queryForObject("SELECT count(*) FROM merge_experiment WHERE spec::text LIKE '%mnist%' OR spec::text LIKE '%imagenet%'",
        Long.class)).isZero();
  }

  private String create(Map<String, Object> spec) throws Exception {
    HttpResponse<String> created = post("/api/v1/merging/experiments", Map.of("spec", spec));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    return json.readTree(created.body()).get("experimentId").asString();
  }

  private String state(String id) throws Exception {
    return json.readTree(get("/api/v1/merging/experiments/" + id).body()).get("state").asString();
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asString()));
    return out;
  }

  private static Map<String, Object> with(Map<String, Object> base, String key, Object value) {
    Map<String, Object> copy = new LinkedHashMap<>(base);
    copy.put(key, value);
    return copy;
  }

  private static void assertInvalid(Runnable call, Status.Code code, String field) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, error -> {
      assertThat(error.getStatus().getCode()).as(error.getStatus().toString()).isEqualTo(code);
      if (field != null) {
        assertThat(error.getTrailers().get(GrpcStatusMapper.INVALID_FIELDS)).isEqualTo(field);
      }
    });
  }

  private String url(String path) {
    return "http://localhost:" + port + path;
  }

  private HttpResponse<String> post(String path, Object body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url(path))).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body))).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url(path))).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private void assertProblem(HttpResponse<String> response, int status, String field) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).contains("application/problem+json"));
    if (field != null) {
      JsonNode problem = json.readTree(response.body());
      List<String> fields = new ArrayList<>();
      problem.get("errors").forEach(error -> fields.add(error.get("field").asString()));
      assertThat(fields).as(response.body()).contains(field);
    }
  }
}
