package dev.divergence.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.divergence.proto.common.v1.EventEnvelope;
import dev.divergence.proto.merging.v1.Experiment;
import dev.divergence.proto.merging.v1.ExperimentState;
import dev.divergence.proto.merging.v1.MergeCreated;
import dev.divergence.proto.merging.v1.MergeExperimentCompleted;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * T³ merging end to end, every part real and in its own process, every request through the gateway:
 * a T³ merge of the built-in digits pair (the merging service makes the pair itself on first use),
 * a batch predicted with it, a small experiment followed over SSE to SUCCEEDED and its results read,
 * the MergeCreated and MergeExperimentCompleted events consumed from Kafka, and bad input answered
 * as 400 problem+json naming the field.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MergingIT {

  private static final Duration EXPERIMENT_WAIT = Duration.ofMinutes(4);
  private static final String TOPIC = "merging.events.v1";
  private static final String GENERALIST = "digits-cnn-generalist";
  private static final String EXPERT = "digits-cnn-expert";
  /**
   * The merge's parameters: with gamma 4 and lambda in [-1, 1] the effective range is
   * [-1 + 2 sigmoid(0), -1 + 2 sigmoid(4 ln 2)] = [0, -1 + 2 * 16/17] = [0, 15/17] (JS in nats is at most
   * ln 2, and sigmoid(4 ln 2) = 1 / (1 + 2^-4)): agreement gives the expert the lead, disagreement the
   * generalist, so both can dominate (the defaults keep lambda in [0.5, 0.586], the generalist always).
   */
  private static final double GAMMA = 4;
  private static final double LAMBDA_MIN = -1;
  private static final double LAMBDA_MAX = 1;
  private static final double EFFECTIVE_MAX = 15.0 / 17.0;
  private static final List<String> METHODS = List.of("t3", "t3_batch", "generalist", "expert");
  private static final int SEEDS = 2;
  /** digits: the test part of the registered dataset, the 20% held out from the built-in pair's training (docs/merging.md). */
  private static final int DIGITS_TEST_SAMPLES = 359;

  private static LocalPlatform platform;
  private static Path repoRoot;
  private static String mergeId;
  private static String experimentId;
  private static JsonNode experimentResults;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final JsonMapper json = JsonMapper.builder().build();

  @BeforeAll
  static void startPlatform() throws Exception {
    repoRoot = TestPlatforms.repoRoot();
    // the merging service prepares its built-in pairs in the background from start-up (a request for one still
    // being made is 503 with Retry-After); 40 training steps (as its own tests) instead of the demo's 300 make them
    // in seconds, and the test waits for them through the gateway's listing before its first merge
    platform = LocalPlatform.start(TestPlatforms.builder("merging", Component.KAFKA, Component.POSTGRES,
            Component.MERGING, Component.GATEWAY)
        .serviceJvmOptions(TestPlatforms.serviceJvm("-Ddivergence.merging.built-in-classifier-steps=40")).build());
    HttpClient client = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (true) {
      HttpResponse<String> listing = client.send(Credentials.as(platform, Component.GATEWAY, HttpRequest.newBuilder(
          URI.create(platform.httpUrl(Component.GATEWAY) + "/api/v1/merging/built-in-models"))).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      if (listing.statusCode() == 200 && listing.body().contains("\"allReady\":true")) {
        break;
      }
      assertThat(System.nanoTime()).as("built-in models ready within 5 min: " + listing.body()).isLessThan(deadline);
      Thread.sleep(1000);
    }
  }

  @AfterAll
  static void stopPlatform() {
    if (platform != null) {
      platform.close();
    }
  }

  @Test
  @Order(1)
  void aT3MergeOfTheBuiltInPairPredictsABatch() throws Exception {
    HttpResponse<String> created = post("/api/v1/merging/merges", Map.of("generalist", GENERALIST, "expert", EXPERT,
        "method", "t3", "parameters", Map.of("gamma", GAMMA, "lambda_min", LAMBDA_MIN, "lambda_max", LAMBDA_MAX)));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonNode merge = json.readTree(created.body());
    mergeId = merge.get("mergeId").asString();
    assertThat(created.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/api/v1/merging/merges/" + mergeId));
    // every parameter reported, the defaults filled in
    assertThat(merge.at("/parameters/gamma").asDouble()).isEqualTo(GAMMA);
    assertThat(merge.at("/parameters/lambda_min").asDouble()).isEqualTo(LAMBDA_MIN);
    assertThat(merge.at("/parameters/lambda_max").asDouble()).isEqualTo(LAMBDA_MAX);
    assertThat(merge.at("/parameters/log_base").asString()).isEqualTo("nats");
    assertThat(merge.get("lambdaWeights").asString()).isEqualTo("generalist");
    assertThat(merge.at("/effectiveLambdaRange/min").asDouble()).isCloseTo(0.0, within(1e-12));
    assertThat(merge.at("/effectiveLambdaRange/max").asDouble()).isCloseTo(EFFECTIVE_MAX, within(1e-12));
    assertThat(getJson("/api/v1/merging/merges/" + mergeId)).isEqualTo(merge);

    // three images of each digit: the expert was fine-tuned on 0-4, so it agrees with the generalist there
    // and not on 5-9
    List<float[]> rows = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    readDigits(30, rows, labels);
    HttpResponse<String> predicted = post("/api/v1/merging/merges/" + mergeId + "/predict", Map.of("inputs", rows));
    assertThat(predicted.statusCode()).as(predicted.body()).isEqualTo(200);
    JsonNode body = json.readTree(predicted.body());
    assertThat(body.get("mergeId").asString()).isEqualTo(mergeId);
    assertThat(body.get("jsUnit").asString()).isEqualTo("nats");
    JsonNode predictions = body.get("predictions");
    assertThat(predictions).hasSize(rows.size());
    Map<String, List<Integer>> dominantDigits = new HashMap<>();
    double lambdaBase = 0;
    double lambdaNovel = 0;
    for (int i = 0; i < predictions.size(); i++) {
      JsonNode sample = predictions.get(i);
      JsonNode probabilities = sample.get("probabilities");
      assertThat(probabilities).hasSize(10);
      double sum = 0;
      int argmax = 0;
      for (int c = 0; c < probabilities.size(); c++) {
        double p = probabilities.get(c).asDouble();
        assertThat(p).isBetween(0.0, 1.0);
        sum += p;
        argmax = p > probabilities.get(argmax).asDouble() ? c : argmax;
      }
      // a float64 softmax of 10 logits (exp and division each within a few ulp, 2^-53 = 1.1e-16, over
      // 10 terms, JSON keeping doubles exactly) sums to 1 within about 1e-14; 1e-12 leaves room
      assertThat(sum).as("sample %d", i).isCloseTo(1.0, within(1e-12));
      assertThat(sample.get("predictedClass").asInt()).isEqualTo(argmax);
      double js = sample.get("jsDivergence").asDouble();
      assertThat(js).isBetween(0.0, Math.log(2));
      double lambda = sample.get("lambda").asDouble();
      // lambda is the published formula of the reported JS, inside the reported range
      assertThat(lambda).as("sample %d", i).isCloseTo(LAMBDA_MIN + (LAMBDA_MAX - LAMBDA_MIN) / (1 + Math.exp(-GAMMA * js)), within(1e-12));
      assertThat(lambda).isBetween(merge.at("/effectiveLambdaRange/min").asDouble() - 1e-12,
          merge.at("/effectiveLambdaRange/max").asDouble() + 1e-12);
      assertThat(sample.get("generalistWeight").asDouble()).isEqualTo(lambda);
      String dominant = lambda > 0.5 ? "generalist" : lambda < 0.5 ? "expert" : "equal";
      assertThat(sample.get("dominant").asString()).as("sample %d", i).isEqualTo(dominant);
      dominantDigits.computeIfAbsent(dominant, d -> new ArrayList<>()).add(labels.get(i));
      if (labels.get(i) < 5) {
        lambdaBase += lambda / 15;
      } else {
        lambdaNovel += lambda / 15;
      }
    }
    // T³'s direction on this pair (T3DirectionTest: mean JS 0.04 nats on digits 0-4, 0.51 on 5-9): the generalist
    // weighs more where the expert never learnt the classes, and each model leads somewhere
    assertThat(lambdaNovel).as("mean lambda on 5-9 vs 0-4").isGreaterThan(lambdaBase);
    assertThat(dominantDigits).as("digits per dominant model").containsKeys("generalist", "expert");
  }

  @Test
  @Order(2)
  void badInputIsAProblemNamingTheField() throws Exception {
    assertProblem(post("/api/v1/merging/merges", Map.of("generalist", GENERALIST, "expert", EXPERT, "method", "t3",
        "parameters", Map.of("lambda_min", 0.9, "lambda_max", 0.1))), "parameters.lambda_min");
    // this platform runs no training service: a name that is not built in cannot be looked up in the model
    // registry, which is a 503 saying so (RegisteredModelMergingIT, with training running, sees the 400)
    HttpResponse<String> unknown = post("/api/v1/merging/merges", Map.of("generalist", "no-such-model", "expert", EXPERT, "method", "t3"));
    assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(503);
    assertThat(unknown.body()).contains("model registry").contains("no-such-model");
    assertProblem(post("/api/v1/merging/merges/" + mergeId + "/predict", Map.of("inputs", List.of(new float[64], new float[63]))),
        "inputs[1]");
    assertProblem(post("/api/v1/merging/experiments", Map.of("spec", Map.of("mergeId", mergeId, "seeds", 0))), "spec.seeds");
    assertProblem(post("/api/v1/merging/experiments", Map.of("spec", Map.of("mergeId", mergeId, "splits",
        List.of(Map.of("name", "no-such-split"))))), "spec.splits[0].name");
  }

  @Test
  @Order(3)
  void aSmallExperimentRunsToSuccessFollowedOverSse() throws Exception {
    HttpResponse<String> created = post("/api/v1/merging/experiments", Map.of("displayName", "end to end",
        "idempotencyKey", "merging-it-" + UUID.randomUUID(), "spec", Map.of("mergeId", mergeId, "methods", METHODS,
            "splits", List.of(Map.of("name", "digits")), "seeds", SEEDS)));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonNode experiment = json.readTree(created.body());
    experimentId = experiment.get("experimentId").asString();
    long total = (long) METHODS.size() * SEEDS;
    assertThat(experiment.at("/progress/total").asLong()).isEqualTo(total);
    assertThat(experiment.at("/spec/generalist").asString()).isEqualTo(GENERALIST);
    assertThat(experiment.at("/spec/parameters/gamma").asDouble()).isEqualTo(GAMMA);

    // the experiment on every change, through the gateway, until it ends
    HttpResponse<Stream<String>> sse = http.send(Credentials.as(platform, Component.GATEWAY, HttpRequest.newBuilder(url("/api/v1/merging/experiments/" + experimentId + "/events")))
        .header("Accept", "text/event-stream").timeout(EXPERIMENT_WAIT).GET().build(), HttpResponse.BodyHandlers.ofLines());
    assertThat(sse.statusCode()).isEqualTo(200);
    assertThat(sse.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).contains("text/event-stream"));
    List<JsonNode> updates = new ArrayList<>();
    try (Stream<String> lines = sse.body()) {
      lines.filter(line -> line.startsWith("data:")).forEach(line -> updates.add(json.readTree(line.substring(5))));
    }
    assertThat(updates).isNotEmpty();
    long previous = -1;
    for (JsonNode update : updates) {
      assertThat(update.get("experimentId").asString()).isEqualTo(experimentId);
      assertThat(update.at("/progress/done").asLong()).isGreaterThanOrEqualTo(previous);
      previous = update.at("/progress/done").asLong();
    }
    JsonNode last = updates.get(updates.size() - 1);
    assertThat(last.get("state").asString()).as(last.toString()).isEqualTo("SUCCEEDED");
    assertThat(last.at("/progress/done").asLong()).isEqualTo(total);

    JsonNode read = getJson("/api/v1/merging/experiments/" + experimentId);
    assertThat(read.get("state").asString()).isEqualTo("SUCCEEDED");
    experimentResults = read.get("results");
    assertThat(experimentResults.get("seeds").asInt()).isEqualTo(SEEDS);
    assertThat(experimentResults.get("splits")).hasSize(1);
    JsonNode split = experimentResults.get("splits").get(0);
    assertThat(split.get("split").asString()).isEqualTo("digits");
    assertThat(split.get("samples").asInt()).isEqualTo(DIGITS_TEST_SAMPLES);
    List<String> methods = new ArrayList<>();
    Map<String, Double> accuracy = new HashMap<>();
    for (JsonNode method : split.get("methods")) {
      String name = method.get("method").asString();
      methods.add(name);
      JsonNode estimate = method.get("accuracy");
      // a mean over the seeds with its Student-t interval
      assertThat(estimate.get("n").asLong()).as(name).isEqualTo(SEEDS);
      assertThat(estimate.get("level").asDouble()).isEqualTo(0.95);
      assertThat(estimate.get("mean").asDouble()).as(name).isBetween(0.0, 1.0);
      assertThat(estimate.get("lower").asDouble()).as(name).isLessThanOrEqualTo(estimate.get("mean").asDouble());
      assertThat(estimate.get("upper").asDouble()).as(name).isGreaterThanOrEqualTo(estimate.get("mean").asDouble());
      assertThat(method.at("/ece/mean").asDouble()).as(name).isBetween(0.0, 1.0);
      assertThat(method.get("baseline").asBoolean()).as(name).isEqualTo(!name.startsWith("t3"));
      long counted = 0;
      for (JsonNode bin : method.at("/lambda/histogram")) {
        counted += bin.asLong();
      }
      assertThat(counted).as(name + ": lambda of every sample of every seed").isEqualTo((long) DIGITS_TEST_SAMPLES * SEEDS);
      accuracy.put(name, estimate.get("mean").asDouble());
    }
    assertThat(methods).containsExactlyElementsOf(METHODS);
    // the merge's own parameters: T³'s lambdas stay inside its effective range
    JsonNode t3 = split.get("methods").get(0);
    assertThat(t3.at("/parameters/gamma").asDouble()).isEqualTo(GAMMA);
    for (JsonNode q : t3.at("/lambda/quantiles")) {
      assertThat(q.asDouble()).isBetween(-1e-12, EFFECTIVE_MAX + 1e-12);
    }
    // the best baseline is the one of the higher mean accuracy (either on a tie)
    double generalist = accuracy.get("generalist");
    double expert = accuracy.get("expert");
    assertThat(split.get("bestBaseline").asString()).isIn(generalist > expert ? List.of("generalist")
        : expert > generalist ? List.of("expert") : List.of("generalist", "expert"));

    JsonNode listed = getJson("/api/v1/merging/experiments?state=SUCCEEDED&mergeId=" + mergeId);
    assertThat(listed.toString()).contains(experimentId);
  }

  @Test
  @Order(4)
  void theMergeAndTheCompletedExperimentArePublished() throws Exception {
    Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, platform.kafkaBootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "merging-it-" + UUID.randomUUID(), ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    MergeCreated mergeCreated = null;
    Experiment completed = null;
    EventEnvelope completedEnvelope = null;
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(TOPIC));
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while ((mergeCreated == null || completed == null) && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          EventEnvelope envelope = EventEnvelope.parseFrom(record.value());
          if (record.key().equals(mergeId) && envelope.getPayload().is(MergeCreated.class)) {
            mergeCreated = envelope.getPayload().unpack(MergeCreated.class);
          } else if (record.key().equals(experimentId) && envelope.getPayload().is(MergeExperimentCompleted.class)) {
            completed = envelope.getPayload().unpack(MergeExperimentCompleted.class).getExperiment();
            completedEnvelope = envelope;
          }
        }
      }
    }
    assertThat(mergeCreated).as("MergeCreated for " + mergeId + " on " + TOPIC).isNotNull();
    assertThat(mergeCreated.getMerge().getMergeId()).isEqualTo(mergeId);
    assertThat(mergeCreated.getMerge().getMethod()).isEqualTo("t3");
    assertThat(mergeCreated.getMerge().getParameters().getFieldsOrThrow("gamma").getNumberValue()).isEqualTo(GAMMA);
    assertThat(mergeCreated.getMerge().getEffectiveLambdaRange().getMax()).isCloseTo(EFFECTIVE_MAX, within(1e-12));
    assertThat(completed).as("MergeExperimentCompleted for " + experimentId + " on " + TOPIC).isNotNull();
    assertThat(completedEnvelope.getTenant()).isEqualTo("default");
    assertThat(completed.getState()).isEqualTo(ExperimentState.EXPERIMENT_SUCCEEDED);
    // the event carries the very results the API reads
    assertThat(completed.getResults().getSplitsCount()).isEqualTo(1);
    JsonNode restSplit = experimentResults.get("splits").get(0);
    for (int m = 0; m < METHODS.size(); m++) {
      assertThat(completed.getResults().getSplits(0).getMethods(m).getMethod()).isEqualTo(METHODS.get(m));
      assertThat(completed.getResults().getSplits(0).getMethods(m).getAccuracy().getMean())
          .isEqualTo(restSplit.get("methods").get(m).at("/accuracy/mean").asDouble());
    }
  }

  // ---- helpers ---------------------------------------------------------------------------------

  /**
   * The first {@code n} images of the bundled digits (libs/model's copy; the file cycles through the digits
   * 0-9), pixels scaled from 0..16 to 0..1 as the built-in models were trained on them.
   */
  private static void readDigits(int n, List<float[]> rows, List<Integer> labels) throws Exception {
    Path csv = repoRoot.resolve("libs/model/src/main/resources/dev/divergence/model/datasets/digits.csv.gz");
    try (BufferedReader in = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(csv)),
        StandardCharsets.UTF_8))) {
      String line;
      while (rows.size() < n && (line = in.readLine()) != null) {
        String[] cells = line.split(",");
        float[] row = new float[64];
        for (int j = 0; j < 64; j++) {
          row[j] = Float.parseFloat(cells[j]) / 16f;
        }
        rows.add(row);
        labels.add(Integer.parseInt(cells[64].strip()));
      }
    }
    assertThat(labels.stream().filter(l -> l < 5).count()).isEqualTo(n / 2);
  }

  private void assertProblem(HttpResponse<String> response, String field) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).contains("application/problem+json"));
    List<String> fields = new ArrayList<>();
    json.readTree(response.body()).get("errors").forEach(error -> fields.add(error.get("field").asString()));
    assertThat(fields).as(response.body()).contains(field);
  }

  private URI url(String path) {
    return URI.create(platform.httpUrl(Component.GATEWAY) + path);
  }

  private JsonNode getJson(String path) throws Exception {
    HttpResponse<String> response = http.send(Credentials.as(platform, Component.GATEWAY, HttpRequest.newBuilder(url(path))).timeout(Duration.ofSeconds(30)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
    return json.readTree(response.body());
  }

  private HttpResponse<String> post(String path, Object body) throws Exception {
    return http.send(Credentials.as(platform, Component.GATEWAY, HttpRequest.newBuilder(url(path))).timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body))).build(), HttpResponse.BodyHandlers.ofString());
  }
}
