package dev.divergence.training.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import dev.divergence.platform.events.Topics;
import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.proto.common.v1.EventEnvelope;
import dev.divergence.proto.training.v1.ModelRegistered;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
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
 * One f-DPG job through the API (REST → PostgreSQL → Kafka → local worker → trainer → registry)
 * with the built-in tiny-lm: "contains 7" with the default divergence (js), cancelled once
 * mid-job and retried, so the second attempt resumes from the job's checkpoint (with its baseline
 * and Z averages); it succeeds, streams finite f-DPG metrics for every step, raises the constraint
 * satisfaction, and registers its model once, announced on models.registry.v1.
 */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "divergence.grpc.port=0", "divergence.training.workers=1", "divergence.training.built-in-budget=small",
    // the worker reads a cancel at its heartbeat: with the default 2 s a fast machine runs the whole
    // 30-step job (about 0.1 s a step) before it sees the cancel
    "divergence.training.heartbeat-interval=100ms"})
class FDpgJobEndToEndIT extends JobEndToEndSupport {

  private static final int STEPS = 30;
  private static final String F_DPG = """
      {"algorithm":"f_dpg","model":"tiny-lm","dataset":"arithmetic",
       "budget":{"maxSteps":30,"batchSize":32,"learningRate":0.003,"schedule":"constant","logEvery":1,"checkpointEvery":2},
       "fDpg":{"constraint":{"name":"contains","text":"7"},"maxNewTokens":24}}""";

  private static KafkaConsumer<String, byte[]> consumer;


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
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "training-fdpg-e2e-" + UUID.randomUUID());
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    consumer.subscribe(List.of(Topics.MODELS_REGISTRY));
  }

  @AfterAll
  static void close() {
    consumer.close();
  }

  @Test
  void fDpgJobResumesAfterACancelSucceedsRaisesSatisfactionAndRegistersItsModelOnce() throws Exception {
    // the worker to itself: other test classes' queued jobs would otherwise run first (WorkerQueue)
    WorkerQueue.clear(http, "http://localhost:" + port);
    String job = submit(F_DPG);
    // let it pass its first checkpoint (step 2), then stop it early in the job
    await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(50))
        .until(() -> json.readTree(get("/api/v1/training/jobs/" + job).body()).at("/progress/step").asLong() >= 3);
    HttpResponse<String> cancelled = post("/api/v1/training/jobs/" + job + "/cancel", "");
    assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);
    await().atMost(Duration.ofMinutes(1)).until(() -> json.readTree(get("/api/v1/training/jobs/" + job).body())
        .get("state").asString().equals("CANCELLED"));
    HttpResponse<String> retried = post("/api/v1/training/jobs/" + job + "/retry", "");
    assertThat(retried.statusCode()).as(retried.body()).isEqualTo(200);
    awaitSucceeded(job);

    String logs = get("/api/v1/training/jobs/" + job + "/logs").body();
    assertThat(logs).contains("resumed at step");

    Map<String, List<Double>> series = allSeries(job);
    for (String metric : List.of("loss", "grad_norm", "tokens_per_second", "constraint_satisfaction", "kl_target_policy",
        "tv_target_policy", "js_target_policy", "kl_policy_base", "entropy", "distinct_1", "distinct_2", "z", "baseline",
        "pseudo_reward", "importance_weight")) {
      // every step logged once: the steps redone after the resume replace the cancelled attempt's
      assertThat(series.get(metric)).as("f-DPG %s", metric).hasSize(STEPS).allSatisfy(v -> assertThat(v).isFinite());
    }
    assertThat(series.get("constraint_satisfaction")).allSatisfy(v -> assertThat(v).isBetween(0.0, 1.0));
    // step 1 samples the base itself: KL(pi || a) = 0 up to float32 rounding (the per-sample bound 1e-2
    // derived in FDpgTrainerTest.SEQUENCE_LOG_PROB_ERROR)
    assertThat(series.get("kl_policy_base").getFirst()).isCloseTo(0.0, within(1e-2));
    List<Double> satisfaction = series.get("constraint_satisfaction");
    double before = mean(satisfaction.subList(0, 5));
    double after = mean(satisfaction.subList(STEPS - 5, STEPS));
    System.out.printf("f-DPG constraint satisfaction: first five %.3f, last five %.3f; by step %s%n", before, after, satisfaction);
    // each step's value is a fraction of 32 samples: the margin is as argued in FDpgTrainerTest. The
    // resumed job follows that test's uninterrupted trajectory step for step (same seed). Measured: it
    // peaks around step 20-30; continued at this constant rate to step 40 it fell back to about 0.5,
    // so the job stops at 30

    assertThat(after).isGreaterThan(before + 0.15);

    JsonNode models = json.readTree(get("/api/v1/training/models").body()).get("models");
    List<JsonNode> produced = new ArrayList<>();
    models.forEach(m -> {
      if (m.hasNonNull("producingJob") && m.get("producingJob").asString().equals(job)) {
        produced.add(m);
      }
    });
    assertThat(produced).as("model of job %s registered once", job).hasSize(1);
    JsonNode registered = produced.getFirst().get("metrics");
    assertThat(registered.get("constraint_satisfaction").asDouble()).isEqualTo(satisfaction.getLast());

    List<String> announcedJobs = new ArrayList<>();
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
        EventEnvelope envelope = EventEnvelope.parseFrom(record.value());
        announcedJobs.add(envelope.getPayload().unpack(ModelRegistered.class).getModel().getProducingJob());
      }
      return announcedJobs.contains(job);
    });
    assertThat(announcedJobs.stream().filter(job::equals)).hasSize(1);
  }

}
