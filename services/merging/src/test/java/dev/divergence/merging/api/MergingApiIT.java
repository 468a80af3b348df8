package dev.divergence.merging.api;

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
import dev.divergence.platform.events.Topics;
import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.proto.common.v1.EventEnvelope;
import dev.divergence.proto.merging.v1.CreateMergeRequest;
import dev.divergence.proto.merging.v1.EvaluateRequest;
import dev.divergence.proto.merging.v1.EvaluateResponse;
import dev.divergence.proto.merging.v1.GetMergeRequest;
import dev.divergence.proto.merging.v1.InputRow;
import dev.divergence.proto.merging.v1.Merge;
import dev.divergence.proto.merging.v1.MergeCreated;
import dev.divergence.proto.merging.v1.MergingServiceGrpc;
import dev.divergence.proto.merging.v1.PredictRequest;
import dev.divergence.proto.merging.v1.PredictResponse;
import dev.divergence.proto.merging.v1.SamplePrediction;
import dev.divergence.proto.merging.v1.SweepPoint;
import dev.divergence.proto.merging.v1.SweepWiseFtRequest;
import dev.divergence.proto.merging.v1.SweepWiseFtResponse;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The merging API over real HTTP and gRPC on PostgreSQL: create a T³ merge of the built-in digits
 * pair (40 training steps, made once under target/), read it back from the service's schema,
 * predict a batch, and every rejected input as 400 problem+json / INVALID_ARGUMENT naming the field.
 */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"divergence.grpc.port=0", "divergence.merging.data-dir=target/merging-test-data",
        "divergence.merging.built-in-classifier-steps=40"})
class MergingApiIT {

  /** Models other than the built-ins are looked up in a model registry: unknown names are 400, not 503 (registry out of reach). */
  @DynamicPropertySource
  static void modelRegistry(DynamicPropertyRegistry properties) {
    properties.add("divergence.clients.training.target", () -> TestModelRegistry.shared().target());
  }


  @LocalServerPort int port;
  @Autowired GrpcServerLifecycle grpc;
  private final HttpClient http = HttpClient.newHttpClient();
  private final JsonMapper json = JsonMapper.builder().build();
  private ManagedChannel channel;
  private MergingServiceGrpc.MergingServiceBlockingStub merging;

  private static KafkaConsumer<String, byte[]> consumer;

  @BeforeAll
  static void subscribe() {
    Properties config = new Properties();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, System.getProperty("spring.kafka.bootstrap-servers"));
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "merging-api-it-" + UUID.randomUUID());
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    consumer.subscribe(List.of(Topics.MERGING_EVENTS));
  }

  @AfterAll
  static void unsubscribe() {
    consumer.close();
  }

  @BeforeEach
  void connect() {
    channel = ManagedChannelBuilder.forAddress("localhost", grpc.port()).usePlaintext().build();
    merging = MergingServiceGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
  }

  @AfterEach
  void disconnect() {
    channel.shutdownNow();
  }

  @Test
  void createT3MergeReadItAndPredictOverRest() throws Exception {
    HttpResponse<String> created = post("/api/v1/merging/merges", Map.of("generalist", TinyAssets.DIGITS_GENERALIST,
        "expert", TinyAssets.DIGITS_EXPERT, "method", "t3", "parameters", Map.of("gamma", 4.0, "log_base", "bits")));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonNode merge = json.readTree(created.body());
    String id = merge.get("mergeId").asString();
    assertThat(created.headers().firstValue("Location")).hasValue("/api/v1/merging/merges/" + id);
    // defaults are filled in and reported; the effective range is [lambda(0), lambda(1 bit)] = [0.5, sigmoid(4)]
    assertThat(merge.get("parameters").get("lambda_min").asDouble()).isEqualTo(0.0);
    assertThat(merge.get("parameters").get("lambda_weights").asString()).isEqualTo("generalist");
    assertThat(merge.get("effectiveLambdaRange").get("min").asDouble()).isCloseTo(0.5, within(1e-12));
    assertThat(merge.get("effectiveLambdaRange").get("max").asDouble()).isCloseTo(1 / (1 + Math.exp(-4)), within(1e-12));

    // the row and its MergeCreated event commit together; the relay publishes it keyed by merge id
    EventEnvelope envelope = EventEnvelope.parseFrom(awaitRecord(id).value());
    MergeCreated event = envelope.getPayload().unpack(MergeCreated.class);
    assertThat(event.getMerge().getMergeId()).isEqualTo(id);
    assertThat(event.getMerge().getMethod()).isEqualTo("t3");
    assertThat(event.getMerge().getParameters().getFieldsOrThrow("gamma").getNumberValue()).isEqualTo(4.0);
    assertThat(envelope.getTenant()).isEqualTo("default");

    HttpResponse<String> read = get("/api/v1/merging/merges/" + id);
    assertThat(read.statusCode()).isEqualTo(200);
    assertThat(json.readTree(read.body())).isEqualTo(merge);
    // merges belong to the tenant that made them
    HttpResponse<String> otherTenant = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/v1/merging/merges/" + id))
        .header("X-Tenant-Id", "someone-else").GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(otherTenant.statusCode()).isEqualTo(404);

    float[][] batch = digits(8);
    HttpResponse<String> predicted = post("/api/v1/merging/merges/" + id + "/predict", Map.of("inputs", batch));
    assertThat(predicted.statusCode()).as(predicted.body()).isEqualTo(200);
    JsonNode body = json.readTree(predicted.body());
    assertThat(body.get("jsUnit").asString()).isEqualTo("bits");
    assertThat(body.get("predictions")).hasSize(8);
    for (JsonNode sample : body.get("predictions")) {
      double sum = 0;
      for (JsonNode p : sample.get("probabilities")) {
        sum += p.asDouble();
      }
      assertThat(sum).isCloseTo(1.0, within(1e-9));
      double js = sample.get("jsDivergence").asDouble();
      assertThat(js).isBetween(0.0, 1.0);
      // the reported lambda is the formula of the reported JS: lambda_min + (lambda_max - lambda_min) sigmoid(gamma JS)
      assertThat(sample.get("lambda").asDouble()).isCloseTo(1 / (1 + Math.exp(-4 * js)), within(1e-12));
      assertThat(sample.get("dominant").asString()).isEqualTo(sample.get("lambda").asDouble() > 0.5 ? "generalist" : "equal");
    }

    HttpResponse<String> ensemble = post("/api/v1/merging/merges", Map.of("generalist", TinyAssets.DIGITS_GENERALIST,
        "expert", TinyAssets.DIGITS_EXPERT, "method", "ensemble", "parameters", Map.of("weight", 0.25)));
    String ensembleId = json.readTree(ensemble.body()).get("mergeId").asString();
    JsonNode mixed = json.readTree(post("/api/v1/merging/merges/" + ensembleId + "/predict", Map.of("inputs", batch)).body());
    assertThat(mixed.get("predictions").get(0).get("dominant").asString()).isEqualTo("expert");
  }

  @Test
  void evaluateOverRestAgreesWithPredict() throws Exception {
    String id = json.readTree(post("/api/v1/merging/merges", Map.of("generalist", TinyAssets.DIGITS_GENERALIST,
        "expert", TinyAssets.DIGITS_EXPERT, "method", "generalist")).body()).get("mergeId").asString();
    float[][] rows = digits(50);
    int[] labels = digitLabels(50);
    HttpResponse<String> evaluated = post("/api/v1/merging/merges/" + id + "/evaluate", Map.of("inputs", rows, "labels", labels, "batchSize", 16));
    assertThat(evaluated.statusCode()).as(evaluated.body()).isEqualTo(200);
    JsonNode body = json.readTree(evaluated.body());
    JsonNode predictions = json.readTree(post("/api/v1/merging/merges/" + id + "/predict", Map.of("inputs", rows)).body()).get("predictions");
    int correct = 0;
    for (int i = 0; i < 50; i++) {
      correct += predictions.get(i).get("predictedClass").asInt() == labels[i] ? 1 : 0;
    }
    assertThat(body.get("batchSize").asInt()).isEqualTo(16);
    assertThat(body.get("metrics").get("samples").asInt()).isEqualTo(50);
    assertThat(body.get("metrics").get("accuracy").asDouble()).isEqualTo(correct / 50.0);
    assertThat(body.get("metrics").get("lambda").get("histogram").get(9).asInt()).isEqualTo(50);

    // a WiSE-FT sweep's alpha 0 is the generalist alone; alpha 1 the expert alone
    HttpResponse<String> swept = post("/api/v1/merging/sweeps/wise-ft", Map.of("generalist", TinyAssets.DIGITS_GENERALIST,
        "expert", TinyAssets.DIGITS_EXPERT, "parameters", Map.of("alphas", List.of(0, 0.5, 1)), "inputs", rows, "labels", labels));
    assertThat(swept.statusCode()).as(swept.body()).isEqualTo(200);
    JsonNode points = json.readTree(swept.body()).get("points");
    assertThat(points).hasSize(3);
    assertThat(points.get(0).get("alpha").asDouble()).isEqualTo(0.0);
    assertThat(points.get(0).get("metrics").get("accuracy").asDouble()).isEqualTo(correct / 50.0);
    double bestAccuracy = Math.max(points.get(0).get("metrics").get("accuracy").asDouble(),
        Math.max(points.get(1).get("metrics").get("accuracy").asDouble(), points.get(2).get("metrics").get("accuracy").asDouble()));
    double bestAlpha = json.readTree(swept.body()).get("bestAlpha").asDouble();
    assertThat(points.valueStream().filter(p -> p.get("alpha").asDouble() == bestAlpha).findFirst().orElseThrow()
        .get("metrics").get("accuracy").asDouble()).isEqualTo(bestAccuracy);
    assertProblem(post("/api/v1/merging/sweeps/wise-ft", Map.of("generalist", TinyAssets.DIGITS_GENERALIST, "expert", TinyAssets.DIGITS_EXPERT,
        "parameters", Map.of("alphas", List.of(0.5, 2)), "inputs", rows, "labels", labels)), 400, "parameters.alphas[1]");

    String evaluate = "/api/v1/merging/merges/" + id + "/evaluate";
    assertProblem(post(evaluate, Map.of("inputs", rows, "labels", new int[] {1, 2})), 400, "labels");
    assertProblem(post(evaluate, Map.of("inputs", rows, "labels", labels, "batchSize", 0)), 400, "batchSize");
    int[] outOfRange = labels.clone();
    outOfRange[4] = 10;
    assertProblem(post(evaluate, Map.of("inputs", rows, "labels", outOfRange)), 400, "labels[4]");
  }

  @Test
  void badInputIsProblemJsonNamingTheField() throws Exception {
    Map<String, Object> valid = new LinkedHashMap<>(Map.of("generalist", TinyAssets.DIGITS_GENERALIST,
        "expert", TinyAssets.DIGITS_EXPERT, "method", "t3"));
    assertProblem(post("/api/v1/merging/merges", with(valid, "parameters", Map.of("gamma", 0))), 400, "parameters.gamma");
    assertProblem(post("/api/v1/merging/merges", with(valid, "parameters", Map.of("gamma", -1))), 400, "parameters.gamma");
    assertProblem(post("/api/v1/merging/merges", with(valid, "parameters", Map.of("lambda_min", 0.9, "lambda_max", 0.1))), 400,
        "parameters.lambda_min");
    assertProblem(post("/api/v1/merging/merges", with(with(valid, "method", "wise_ft"), "parameters", Map.of("alpha", 1.5))), 400,
        "parameters.alpha");
    assertProblem(post("/api/v1/merging/merges", with(valid, "method", "soup")), 400, "method");
    assertProblem(post("/api/v1/merging/merges", with(valid, "generalist", "no-such-model")), 400, "generalist");
    // both breast-cancer MLPs exist but have different hidden layers
    assertProblem(post("/api/v1/merging/merges", with(with(valid, "generalist", TinyAssets.CANCER_TEACHER), "expert",
        TinyAssets.CANCER_STUDENT)), 400, "expert.hidden_sizes");

    String id = json.readTree(post("/api/v1/merging/merges", valid).body()).get("mergeId").asString();
    String predict = "/api/v1/merging/merges/" + id + "/predict";
    assertProblem(post(predict, Map.of("inputs", new float[0][])), 400, "inputs");
    assertProblem(post(predict, Map.of("inputs", new float[][] {new float[64], new float[63]})), 400, "inputs[1]");
    assertProblem(post(predict, Map.of()), 400, "inputs");
    List<Object> rowWithNull = new ArrayList<>(java.util.Collections.nCopies(64, 0.5));
    rowWithNull.set(3, null);
    assertProblem(post(predict, Map.of("inputs", List.of(rowWithNull))), 400, "inputs[0][3]");
    assertThat(get("/api/v1/merging/merges/00000000-0000-0000-0000-000000000000").statusCode()).isEqualTo(404);
    assertProblem(get("/api/v1/merging/merges/not-a-uuid"), 400, "merge_id");
  }

  @Test
  void createAndPredictOverGrpc() {
    Merge merge = merging.createMerge(CreateMergeRequest.newBuilder().setGeneralist(TinyAssets.DIGITS_GENERALIST)
        .setExpert(TinyAssets.DIGITS_EXPERT).setMethod("t3_batch")
        .setParameters(Struct.newBuilder().putFields("average", Value.newBuilder().setStringValue("js").build())).build());
    assertThat(merge.getParameters().getFieldsOrThrow("average").getStringValue()).isEqualTo("js");
    assertThat(merge.getParameters().getFieldsOrThrow("gamma").getNumberValue()).isEqualTo(0.5);
    assertThat(merging.getMerge(GetMergeRequest.newBuilder().setMergeId(merge.getMergeId()).build())).isEqualTo(merge);

    PredictRequest.Builder request = PredictRequest.newBuilder().setMergeId(merge.getMergeId());
    for (float[] row : digits(6)) {
      InputRow.Builder r = InputRow.newBuilder();
      for (float v : row) {
        r.addValues(v);
      }
      request.addInputs(r);
    }
    PredictResponse response = merging.predict(request.build());
    assertThat(response.getPredictionsList()).hasSize(6);
    // T³_B with average "js": one lambda for the batch, lambda(mean JS) with the defaults (nats, gamma 0.5, range [0, 1])
    double meanJs = response.getPredictionsList().stream().mapToDouble(SamplePrediction::getJsDivergence).average().orElseThrow();
    for (SamplePrediction sample : response.getPredictionsList()) {
      assertThat(sample.getLambda()).isCloseTo(1 / (1 + Math.exp(-0.5 * meanJs)), within(1e-12));
      assertThat(sample.getProbabilitiesCount()).isEqualTo(10);
    }

    EvaluateRequest.Builder evaluate = EvaluateRequest.newBuilder().setMergeId(merge.getMergeId()).addAllInputs(request.getInputsList());
    for (int label : digitLabels(6)) {
      evaluate.addLabels(label);
    }
    EvaluateResponse metrics = merging.evaluate(evaluate.build());
    assertThat(metrics.getSamples()).isEqualTo(6);
    assertThat(metrics.getBatchSize()).isEqualTo(64);
    assertThat(metrics.getLambdaHistogramList().stream().mapToInt(Integer::intValue).sum()).isEqualTo(6);
    // one batch of six: T³_B gives every sample the same lambda
    assertThat(metrics.getLambdaMin()).isEqualTo(metrics.getLambdaMax());
    assertInvalid(() -> merging.evaluate(evaluate.clone().setLabels(0, -1).build()), "labels[0]");

    SweepWiseFtResponse sweep = merging.sweepWiseFt(SweepWiseFtRequest.newBuilder().setGeneralist(TinyAssets.DIGITS_GENERALIST)
        .setExpert(TinyAssets.DIGITS_EXPERT).addAllInputs(request.getInputsList()).addAllLabels(evaluate.getLabelsList()).build());
    assertThat(sweep.getPointsList()).extracting(SweepPoint::getAlpha).containsExactly(0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0);
    assertInvalid(() -> merging.sweepWiseFt(SweepWiseFtRequest.newBuilder().setGeneralist(TinyAssets.DIGITS_GENERALIST)
        .setExpert(TinyAssets.DIGITS_EXPERT).setParameters(Struct.newBuilder().putFields("alphas", Value.newBuilder()
            .setListValue(com.google.protobuf.ListValue.newBuilder().addValues(Value.newBuilder().setNumberValue(-1))).build()))
        .addAllInputs(request.getInputsList()).addAllLabels(evaluate.getLabelsList()).build()), "parameters.alphas[0]");

    assertInvalid(() -> merging.createMerge(CreateMergeRequest.newBuilder().setGeneralist(TinyAssets.DIGITS_GENERALIST)
        .setExpert(TinyAssets.DIGITS_EXPERT).setMethod("t3")
        .setParameters(Struct.newBuilder().putFields("gamma", Value.newBuilder().setNumberValue(0).build())).build()), "parameters.gamma");
    assertInvalid(() -> merging.createMerge(CreateMergeRequest.newBuilder().setGeneralist(TinyAssets.DIGITS_GENERALIST)
        .setExpert(TinyAssets.DIGITS_EXPERT).setMethod("wise_ft")
        .setParameters(Struct.newBuilder().putFields("alpha", Value.newBuilder().setNumberValue(-0.5).build())).build()), "parameters.alpha");
    assertInvalid(() -> merging.predict(PredictRequest.newBuilder().setMergeId(merge.getMergeId()).build()), "inputs");
    assertInvalid(() -> merging.predict(PredictRequest.newBuilder().setMergeId(merge.getMergeId())
        .addInputs(InputRow.newBuilder().addValues(1f)).build()), "inputs[0]");
  }

  private static ConsumerRecord<String, byte[]> awaitRecord(String key) {
    List<ConsumerRecord<String, byte[]>> seen = new ArrayList<>();
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
      return seen.stream().anyMatch(r -> key.equals(r.key()));
    });
    return seen.stream().filter(r -> key.equals(r.key())).findFirst().orElseThrow();
  }

  private static void assertInvalid(Runnable call, String field) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, error -> {
      assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(error.getTrailers().get(GrpcStatusMapper.INVALID_FIELDS)).isEqualTo(field);
    });
  }

  private static float[][] digits(int n) {
    LabeledData test = Datasets.digits().split(TinyAssets.TRAIN_FRACTION, 20251126L)[1];
    float[][] rows = new float[n][];
    for (int i = 0; i < n; i++) {
      rows[i] = test.features()[i];
    }
    return rows;
  }

  private static int[] digitLabels(int n) {
    LabeledData test = Datasets.digits().split(TinyAssets.TRAIN_FRACTION, 20251126L)[1];
    return java.util.Arrays.copyOf(test.labels(), n);
  }

  private static Map<String, Object> with(Map<String, Object> base, String key, Object value) {
    Map<String, Object> copy = new LinkedHashMap<>(base);
    copy.put(key, value);
    return copy;
  }

  private HttpResponse<String> post(String path, Object body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body))).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private void assertProblem(HttpResponse<String> response, int status, String field) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).contains("application/problem+json"));
    JsonNode problem = json.readTree(response.body());
    List<String> fields = new ArrayList<>();
    problem.get("errors").forEach(error -> fields.add(error.get("field").asString()));
    assertThat(fields).as(response.body()).contains(field);
  }
}
