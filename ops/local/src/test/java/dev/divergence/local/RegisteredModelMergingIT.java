package dev.divergence.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.divergence.proto.common.v1.EventEnvelope;
import dev.divergence.proto.training.v1.Model;
import dev.divergence.proto.training.v1.ModelRegistered;
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
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.zip.GZIPInputStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Merging with a model a training job produced, every part real and in its own process, every request
 * through the gateway: a supervised job fine-tunes the built-in digits generalist on {@code digits-base} (the
 * registered variant holding digits 0-4, the T³ protocol's expert task);
 * a T³ merge of the built-in generalist and the job's output model (looked up in the training service's
 * registry over gRPC and pinned to its version) predicts a batch; a WiSE-FT merge of the same pair is
 * exported to the registry (ModelRegistered on models.registry.v1, lineage naming both parents and the
 * method) and the inference service lists it and serves it.
 */
class RegisteredModelMergingIT {

  private static final String GENERALIST = "digits-cnn-generalist";
  private static final Duration JOB_WAIT = Duration.ofMinutes(8);
  private static final double ALPHA = 0.5;

  private static LocalPlatform platform;
  private static Path repoRoot;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final JsonMapper json = JsonMapper.builder().build();

  @BeforeAll
  static void startPlatform() throws Exception {
    repoRoot = TestPlatforms.repoRoot();
    // the merging service's built-ins with 40 steps (as MergingIT), made in seconds
    platform = LocalPlatform.start(TestPlatforms.builder("registered-merging", Component.KAFKA, Component.POSTGRES,
            Component.TRAINING, Component.INFERENCE, Component.MERGING, Component.GATEWAY)
        .serviceJvmOptions(TestPlatforms.serviceJvm("-Ddivergence.merging.built-in-classifier-steps=40"))
        // six services side by side
        .startTimeout(Duration.ofMinutes(6)).build());
  }

  @AfterAll
  static void stopPlatform() {
    if (platform != null) {
      platform.close();
    }
  }

  @Test
  void aTrainingJobsModelIsMergedWithT3AndAWiseFtMergeIsExportedAndServed() throws Exception {
    // 1. a supervised job fine-tunes the built-in generalist on digits 0-4 (a small budget: the point is the
    //    registered output, not its accuracy)
    HttpResponse<String> submitted = post("/api/v1/training/jobs", Map.of("displayName", "digits expert for merging",
        "spec", Map.of("algorithm", "supervised", "model", GENERALIST, "dataset", "digits-base",
            "budget", Map.of("maxSteps", 40, "batchSize", 32, "learningRate", 0.003, "schedule", "constant", "logEvery", 10,
                "checkpointEvery", 40),
            "supervised", Map.of())));
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(201);
    String jobId = json.readTree(submitted.body()).get("jobId").asString();
    JsonNode job = await("job " + jobId + " SUCCEEDED", JOB_WAIT, () -> {
      JsonNode current = getJson("/api/v1/training/jobs/" + jobId);
      String state = current.get("state").asString();
      assertThat(state).as(current.toString()).isNotIn("FAILED", "CANCELLED");
      return state.equals("SUCCEEDED") ? current : null;
    });
    String expert = job.get("outputModel").asString();
    assertThat(expert).contains(":");

    // 2. the merging service's built-ins are ready (made in the background from start-up)
    await("merging built-ins READY", Duration.ofMinutes(5), () -> {
      JsonNode listing = getJson("/api/v1/merging/built-in-models");
      return listing.get("allReady").asBoolean() ? listing : null;
    });

    // 3. a T³ merge of the built-in generalist and the job's model: looked up in the registry, pinned to its version
    HttpResponse<String> created = post("/api/v1/merging/merges", Map.of("generalist", GENERALIST, "expert", expert, "method", "t3",
        "parameters", Map.of("gamma", 4.0, "lambda_min", -1.0, "lambda_max", 1.0)));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonNode t3 = json.readTree(created.body());
    assertThat(t3.get("generalist").asString()).isEqualTo(GENERALIST);
    assertThat(t3.get("expert").asString()).isEqualTo(expert);
    float[][] rows = digits(20);
    HttpResponse<String> predicted = post("/api/v1/merging/merges/" + t3.get("mergeId").asString() + "/predict", Map.of("inputs", rows));
    assertThat(predicted.statusCode()).as(predicted.body()).isEqualTo(200);
    JsonNode predictions = json.readTree(predicted.body()).get("predictions");
    assertThat(predictions).hasSize(rows.length);
    for (JsonNode sample : predictions) {
      double sum = 0;
      for (JsonNode p : sample.get("probabilities")) {
        sum += p.asDouble();
      }
      // ten float64 probabilities normalised by the service: their sum is 1 up to a few ulps of 1
      assertThat(sum).isCloseTo(1.0, within(1e-12));
      assertThat(sample.get("lambda").asDouble()).isBetween(-1.0, 1.0);
    }
    // an unknown registered model is a 400 naming the field (the registry answered NOT_FOUND)
    HttpResponse<String> unknown = post("/api/v1/merging/merges", Map.of("generalist", GENERALIST, "expert", "no-such-model",
        "method", "t3"));
    assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(400);
    assertThat(unknown.body()).contains("\"field\":\"expert\"");

    // 4. a WiSE-FT merge of the same pair exported to the registry
    String consumerGroup = "registered-merging-it-" + UUID.randomUUID();
    HttpResponse<String> wise = post("/api/v1/merging/merges", Map.of("generalist", GENERALIST, "expert", expert, "method", "wise_ft",
        "parameters", Map.of("alpha", ALPHA)));
    assertThat(wise.statusCode()).as(wise.body()).isEqualTo(201);
    String wiseId = json.readTree(wise.body()).get("mergeId").asString();
    String exportName = "digits-wise-ft-" + UUID.randomUUID().toString().substring(0, 8);
    HttpResponse<String> exported = post("/api/v1/merging/merges/" + wiseId + "/export", Map.of("name", exportName));
    assertThat(exported.statusCode()).as(exported.body()).isEqualTo(201);
    String exportedModel = json.readTree(exported.body()).get("model").asString();
    assertThat(exportedModel).isEqualTo(exportName + ":1");

    JsonNode registered = getJson("/api/v1/training/models/" + exportedModel);
    assertThat(registered.at("/mergedFrom/generalist").asString()).isEqualTo(GENERALIST);
    assertThat(registered.at("/mergedFrom/expert").asString()).isEqualTo(expert);
    assertThat(registered.at("/metadata/merge.method").asString()).isEqualTo("wise_ft");
    assertThat(registered.at("/metrics/merge.alpha").asDouble()).isEqualTo(ALPHA);
    assertThat(registered.get("architecture").asString()).isEqualTo("cnn");

    Model announced = registeredEvent(consumerGroup, exportName);
    assertThat(announced.getVersion()).isEqualTo(1);
    assertThat(announced.getMergedFrom().getExpert()).isEqualTo(expert);
    assertThat(announced.getMetadataMap()).containsEntry("merge.id", wiseId);

    // 5. inference serves the exported model (it registers every announced version)
    JsonNode served = await("inference serves " + exportName, Duration.ofMinutes(3), () -> {
      for (JsonNode model : getJson("/api/v1/inference/models")) {
        if (model.get("name").asString().equals(exportName)) {
          assertThat(model.get("state").asString()).as(model.toString()).isNotEqualTo("FAILED");
          return model.get("state").asString().equals("READY") ? model : null;
        }
      }
      return null;
    });
    assertThat(served.get("version").asString()).isEqualTo("1");
    assertThat(served.get("kind").asString()).isEqualTo("CLASSIFIER");
    assertThat(served.get("contextLength").asInt()).as("input features").isEqualTo(64);
  }

  private Model registeredEvent(String group, String name) throws Exception {
    Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, platform.kafkaBootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, group, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of("models.registry.v1"));
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          EventEnvelope envelope = EventEnvelope.parseFrom(record.value());
          if (name.equals(record.key()) && envelope.getPayload().is(ModelRegistered.class)) {
            return envelope.getPayload().unpack(ModelRegistered.class).getModel();
          }
        }
      }
    }
    throw new AssertionError("no ModelRegistered for " + name + " on models.registry.v1 within 90 s");
  }

  /** The first {@code n} images of the bundled digits, pixels scaled from 0..16 to 0..1 as the models were trained on them. */
  private static float[][] digits(int n) throws Exception {
    Path csv = repoRoot.resolve("libs/model/src/main/resources/dev/divergence/model/datasets/digits.csv.gz");
    List<float[]> rows = new ArrayList<>();
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
      }
    }
    return rows.toArray(new float[0][]);
  }

  /** Polls {@code check} (null: not yet; an exception or failed assertion stops the wait) until it returns a value. */
  private static <T> T await(String what, Duration timeout, Callable<T> check) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      T value = check.call();
      if (value != null) {
        return value;
      }
      Thread.sleep(1000);
    }
    throw new AssertionError("timed out after " + timeout + " waiting for " + what);
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
