package dev.divergence.training.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import dev.divergence.platform.events.Topics;
import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.proto.common.v1.EventEnvelope;
import dev.divergence.proto.training.v1.ModelRegistered;
import dev.divergence.training.JsonLines;
import dev.divergence.training.trainer.data.TrainingData;
import java.nio.file.Path;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * REST → PostgreSQL → Kafka → local worker → trainer → registry, with the tiny built-in models
 * (and a small preference upload, so the f-DPO run can learn within the test):
 * a distillation job and an f-DPO job run to SUCCEEDED; every step metric is logged at each log step
 * with a finite value, the metrics move the right way by stated margins (the student's KL to its
 * teacher and the loss fall by half, the preference accuracy rises by 0.2 to above 0.8), each
 * produced model is registered once with the job's final metrics and announced on models.registry.v1.
 */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "divergence.grpc.port=0", "divergence.training.workers=1", "divergence.training.built-in-budget=small"})
class TrainingJobsEndToEndIT extends JobEndToEndSupport {

  private static final String DISTILLATION = """
      {"algorithm":"distillation","model":"breast-cancer-mlp-student","dataset":"breast-cancer",
       "budget":{"maxSteps":60,"batchSize":32,"learningRate":0.003,"schedule":"constant","logEvery":2,"checkpointEvery":20},
       "distillation":{"teacherModel":"breast-cancer-mlp-teacher","divergence":{"name":"reverse_kl"},"temperature":1.0}}""";
  private static final String F_DPO = """
      {"algorithm":"f_dpo","model":"tiny-lm","dataset":"DATASET",
       "budget":{"maxSteps":30,"batchSize":8,"learningRate":0.003,"schedule":"constant","logEvery":1,"checkpointEvery":10},
       "fDpo":{"referenceModel":"tiny-lm","divergence":{"name":"js"},"beta":0.5}}""";

  private static KafkaConsumer<String, byte[]> consumer;

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

    // one attempt, by the local worker, ended SUCCEEDED; its checkpoints went once the model was registered
    JsonNode attempts = json.readTree(get("/api/v1/training/jobs/" + distillation + "/attempts").body()).get("attempts");
    assertThat(attempts).hasSize(1);
    assertThat(attempts.get(0).get("attempt").asInt()).isEqualTo(1);
    assertThat(attempts.get(0).get("state").asString()).isEqualTo("SUCCEEDED");
    assertThat(attempts.get(0).get("worker").asString()).isNotBlank();
    assertThat(attempts.get(0).get("finishedAt").asString()).isGreaterThanOrEqualTo(attempts.get(0).get("startedAt").asString());
    assertThat(json.readTree(get("/api/v1/training/jobs/" + distillation + "/checkpoints").body()).get("checkpoints")).isEmpty();

    Map<String, List<Double>> distilled = allSeries(distillation);
    Map<String, List<Double>> aligned = allSeries(fDpo);
    // logEvery 2 over 60 steps: steps 2, 4, ..., 60; logEvery 1 over 30 steps: every step
    for (String metric : List.of("loss", "grad_norm", "learning_rate", "samples_per_second", "epoch", "divergence/kl",
        "divergence/reverse_kl")) {
      assertThat(distilled.get(metric)).as("distillation %s", metric).hasSize(30).allSatisfy(v -> assertThat(v).isFinite());
    }
    for (String metric : List.of("loss", "grad_norm", "learning_rate", "tokens_per_second", "epoch", "rewards/chosen",
        "rewards/rejected", "rewards/margins", "rewards/accuracies", "f_scores/margins", "logps/chosen", "logps/rejected",
        "logratios/chosen", "logratios/rejected", "entropy", "ref_logps_cache_hit_rate")) {
      assertThat(aligned.get(metric)).as("f-DPO %s", metric).hasSize(30).allSatisfy(v -> assertThat(v).isFinite());
    }
    assertThat(distilled.get("learning_rate")).as("constant schedule").containsOnly(0.003);
    assertThat(distilled.get("divergence/kl")).allSatisfy(v -> assertThat(v).isGreaterThanOrEqualTo(0.0));
    assertThat(aligned.get("rewards/accuracies")).allSatisfy(v -> assertThat(v).isBetween(0.0, 1.0));

    for (String metric : List.of("divergence/kl", "divergence/reverse_kl", "loss")) {
      System.out.printf("distillation %s: first five %.4f, last five %.4f%n", metric, mean(distilled.get(metric).subList(0, 5)),
          mean(distilled.get(metric).subList(25, 30)));
    }
    for (String metric : List.of("loss", "rewards/accuracies", "rewards/margins")) {
      System.out.printf("f-DPO %s: first five %.4f, last five %.4f%n", metric, mean(aligned.get(metric).subList(0, 5)),
          mean(aligned.get(metric).subList(25, 30)));
    }
    // the student's KL to its teacher and the job's own divergence fall by at least half (measured: about tenfold)
    // (the last five logged steps against the first five)
    for (String metric : List.of("divergence/kl", "divergence/reverse_kl", "loss")) {
      List<Double> values = distilled.get(metric);
      assertThat(mean(values.subList(25, 30))).as("distillation %s falls by half", metric)
          .isLessThan(0.5 * mean(values.subList(0, 5)));
    }
    // f-DPO: policy = reference at the first step, so log-ratios are 0 up to float32 rounding: an
    // answer's log-prob sums about 10 tokens of about -2 (|sum| ~ 20), each token off by at most
    // (V + T) * eps * |log p| = 387 * 1.2e-7 * 2 ~ 1e-4, so ~1e-3 per sequence and 2e-3 for a difference of
    // two; then the ranking is learnt
    assertThat(aligned.get("logratios/chosen").getFirst()).isCloseTo(0.0, within(2e-3));
    assertThat(aligned.get("rewards/margins").getFirst()).isCloseTo(0.0, within(2e-3));
    List<Double> accuracy = aligned.get("rewards/accuracies");
    assertThat(mean(accuracy.subList(25, 30))).as("preference accuracy rises").isGreaterThan(mean(accuracy.subList(0, 5)) + 0.2)
        .isGreaterThan(0.8);
    List<Double> loss = aligned.get("loss");
    // log 2 at the start (margin 0); at most half of the first steps' mean at the end (measured: about a ninth)
    assertThat(loss.getFirst()).isCloseTo(Math.log(2), within(1e-3));
    assertThat(mean(loss.subList(25, 30))).as("f-DPO loss falls by half").isLessThan(0.5 * mean(loss.subList(0, 5)));
    assertThat(mean(aligned.get("rewards/margins").subList(25, 30))).isGreaterThan(0);

    JsonNode models = json.readTree(get("/api/v1/training/models").body()).get("models");
    for (String job : List.of(distillation, fDpo)) {
      List<JsonNode> produced = new ArrayList<>();
      models.forEach(m -> {
        if (m.hasNonNull("producingJob") && m.get("producingJob").asString().equals(job)) {
          produced.add(m);
        }
      });
      assertThat(produced).as("model of job %s registered once", job).hasSize(1);
      // the registered model's metrics are the job's final metrics: every step metric equals the
      // last logged value (the last step is always logged), plus the held-out evaluation before and after
      JsonNode registered = produced.getFirst().get("metrics");
      Map<String, List<Double>> history = job.equals(distillation) ? distilled : aligned;
      List<String> stepMetrics = new ArrayList<>();
      registered.propertyNames().forEach(name -> {
        if (!name.startsWith("eval/")) {
          stepMetrics.add(name);
        }
      });
      assertThat(stepMetrics).containsAll(history.keySet()).hasSameSizeAs(history.keySet());
      for (String name : stepMetrics) {
        assertThat(registered.get(name).asDouble()).as("%s of job %s", name, job).isEqualTo(history.get(name).getLast());
      }
    }
    JsonNode distilledModel = producedBy(models, distillation).get("metrics");
    System.out.printf("distillation eval/divergence/kl: initial %.4f, final %.4f%n",
        distilledModel.get("eval/divergence/kl_initial").asDouble(), distilledModel.get("eval/divergence/kl").asDouble());
    assertThat(distilledModel.get("eval/divergence/kl").asDouble()).as("held-out KL falls")
        .isLessThan(0.5 * distilledModel.get("eval/divergence/kl_initial").asDouble());
    JsonNode alignedModel = producedBy(models, fDpo).get("metrics");
    assertThat(alignedModel.get("eval/rewards/margins_initial").asDouble()).isCloseTo(0.0, within(2e-3));
    assertThat(alignedModel.get("eval/loss").asDouble()).isFinite();
    assertThat(alignedModel.get("eval/rewards/accuracies").asDouble()).isBetween(0.0, 1.0);

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
    String jsonl = JsonLines.of(TrainingData.arithmeticPreferences(18, 99).stream()
        .map(e -> JsonLines.record("prompt", e.prompt(), "chosen", e.chosen(), "rejected", e.rejected())).toList());
    String name = "e2e-prefs-" + UUID.randomUUID().toString().substring(0, 8);
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri("/api/v1/training/datasets?name=" + name + "&kind=preference"))
        .header("Content-Type", "application/x-ndjson").POST(HttpRequest.BodyPublishers.ofString(jsonl)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    return name;
  }

  private static JsonNode producedBy(JsonNode models, String jobId) {
    for (JsonNode m : models) {
      if (m.hasNonNull("producingJob") && m.get("producingJob").asString().equals(jobId)) {
        return m;
      }
    }
    throw new AssertionError("no model of job " + jobId);
  }
}
