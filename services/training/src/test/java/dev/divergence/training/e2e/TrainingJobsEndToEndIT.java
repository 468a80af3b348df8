package dev.divergence.training.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.divergence.platform.events.Topics;
import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.proto.common.v1.EventEnvelope;
import dev.divergence.proto.training.v1.ModelRegistered;
import dev.divergence.training.trainer.data.PreferenceExample;
import dev.divergence.training.trainer.data.TrainingData;
import java.net.URI;
import java.nio.file.Path;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * REST → PostgreSQL → Kafka → local worker → trainer → registry, with the tiny built-in models
 * (and a small preference upload, so the f-DPO run can learn within the test):
 * a distillation job and an f-DPO job run to SUCCEEDED, their metric history moves the right way
 * (the student's KL to its teacher falls, the preference accuracy rises), each produced model is
 * registered once and announced on models.registry.v1.
 */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "divergence.grpc.port=0", "divergence.training.workers=1", "divergence.training.built-in-budget=small"})
class TrainingJobsEndToEndIT {

  private static final String DISTILLATION = """
      {"algorithm":"distillation","model":"breast-cancer-mlp-student","dataset":"breast-cancer",
       "budget":{"maxSteps":60,"batchSize":32,"learningRate":0.003,"schedule":"constant","logEvery":2,"checkpointEvery":20},
       "distillation":{"teacherModel":"breast-cancer-mlp-teacher","divergence":{"name":"reverse_kl"},"temperature":1.0}}""";
  private static final String F_DPO = """
      {"algorithm":"f_dpo","model":"tiny-lm","dataset":"DATASET",
       "budget":{"maxSteps":30,"batchSize":8,"learningRate":0.003,"schedule":"constant","logEvery":1,"checkpointEvery":10},
       "fDpo":{"referenceModel":"tiny-lm","divergence":{"name":"js"},"beta":0.5}}""";

  private static KafkaConsumer<String, byte[]> consumer;
  private final HttpClient http = HttpClient.newHttpClient();
  private final JsonMapper json = JsonMapper.builder().build();

  @LocalServerPort int port;

  /**
   * A fresh data folder per run: the embedded database starts empty each time, so model folders
   * left by an earlier run would collide with the versions it hands out again. libtorch is unpacked
   * once under target/ and shared.
   */
  @DynamicPropertySource
  static void dataDir(DynamicPropertyRegistry registry) {
    System.setProperty("DJL_CACHE_DIR", Path.of("target", "djl-cache").toAbsolutePath().toString());
    System.setProperty("ENGINE_CACHE_DIR", Path.of("target", "djl-cache").toAbsolutePath().toString());
    registry.add("divergence.training.data-dir", () -> Path.of("target", "e2e-data", UUID.randomUUID().toString()).toAbsolutePath().toString());
  }

  @BeforeAll
  static void subscribe() {
    Properties config = new Properties();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, System.getProperty("spring.kafka.bootstrap-servers"));
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "training-e2e-" + UUID.randomUUID());
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    consumer.subscribe(List.of(Topics.MODELS_REGISTRY));
  }

  @AfterAll
  static void close() {
    consumer.close();
  }

  @Test
  void distillationAndFDpoJobsSucceedMoveTheirMetricsAndRegisterTheirModels() throws Exception {
    String distillation = submit(DISTILLATION);
    String fDpo = submit(F_DPO.replace("DATASET", uploadPreferences()));
    awaitSucceeded(distillation);
    awaitSucceeded(fDpo);

    List<Double> kl = series(distillation, "divergence/kl");
    assertThat(kl).hasSizeGreaterThanOrEqualTo(10);
    assertThat(mean(kl.subList(kl.size() - 5, kl.size()))).as("student KL to teacher falls").isLessThan(mean(kl.subList(0, 5)));
    assertThat(series(distillation, "divergence/reverse_kl")).isNotEmpty();
    List<Double> accuracy = series(fDpo, "rewards/accuracies");
    assertThat(accuracy).hasSize(30);
    assertThat(mean(accuracy.subList(25, 30))).as("preference accuracy rises").isGreaterThan(mean(accuracy.subList(0, 5))).isGreaterThan(0.8);
    assertThat(series(fDpo, "f_scores/margins")).isNotEmpty();

    JsonNode models = json.readTree(get("/api/v1/training/models").body()).get("models");
    for (String job : List.of(distillation, fDpo)) {
      List<JsonNode> produced = new ArrayList<>();
      models.forEach(m -> {
        if (m.hasNonNull("producingJob") && m.get("producingJob").asString().equals(job)) {
          produced.add(m);
        }
      });
      assertThat(produced).as("model of job %s registered once", job).hasSize(1);
    }
    List<String> announcedJobs = new ArrayList<>();
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
        EventEnvelope envelope = EventEnvelope.parseFrom(record.value());
        announcedJobs.add(envelope.getPayload().unpack(ModelRegistered.class).getModel().getProducingJob());
      }
      return announcedJobs.contains(distillation) && announcedJobs.contains(fDpo);
    });
  }

  /**
   * 18 arithmetic preference pairs as a JSONL upload: 30 steps of 8 pairs see each about 15 times,
   * so the tiny model learns their ranking within the test (fresh pairs would ask it to learn arithmetic).
   */
  private String uploadPreferences() throws Exception {
    StringBuilder jsonl = new StringBuilder();
    for (PreferenceExample e : TrainingData.arithmeticPreferences(18, 99)) {
      jsonl.append("{\"prompt\":\"").append(e.prompt()).append("\",\"chosen\":\"").append(e.chosen())
          .append("\",\"rejected\":\"").append(e.rejected()).append("\"}\n");
    }
    String name = "e2e-prefs-" + UUID.randomUUID().toString().substring(0, 8);
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri("/api/v1/training/datasets?name=" + name + "&kind=preference"))
        .header("Content-Type", "application/x-ndjson").POST(HttpRequest.BodyPublishers.ofString(jsonl.toString())).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    return name;
  }

  private String submit(String spec) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri("/api/v1/training/jobs"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"spec\":" + spec + "}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    return json.readTree(response.body()).get("jobId").asString();
  }

  private void awaitSucceeded(String jobId) {
    await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(1)).until(() -> {
      JsonNode job = json.readTree(get("/api/v1/training/jobs/" + jobId).body());
      String state = job.get("state").asString();
      if (state.equals("FAILED") || state.equals("CANCELLED")) {
        throw new AssertionError("job " + jobId + " ended " + state + ": " + job);
      }
      return state.equals("SUCCEEDED");
    });
  }

  private List<Double> series(String jobId, String metric) throws Exception {
    JsonNode body = json.readTree(get("/api/v1/training/jobs/" + jobId + "/metrics?name=" + java.net.URLEncoder.encode(metric, java.nio.charset.StandardCharsets.UTF_8)).body());
    List<Double> values = new ArrayList<>();
    JsonNode series = body.get("series").get(metric);
    if (series != null) {
      series.get("values").forEach(v -> values.add(v.asDouble()));
    }
    return values;
  }

  private static double mean(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://localhost:" + port + path);
  }
}
