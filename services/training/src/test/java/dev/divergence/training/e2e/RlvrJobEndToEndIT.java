package dev.divergence.training.e2e;

import static org.assertj.core.api.Assertions.assertThat;
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
 * One RLVR job with DPH-RL rehearsal through the API (REST → PostgreSQL → Kafka → local worker →
 * trainer → registry) with the built-in tiny-lm on an uploaded dataset whose answer it can hit (the
 * one-character answer "4" to "a+b=" prompts, about 1 in 4 of its first characters; it does not
 * solve the built-in arithmetic task): JS rehearsal with one reference sample per prompt, cancelled
 * once mid-job and retried, so the second attempt resumes from the job's checkpoint with the stored
 * rehearsal set; it succeeds, streams finite RLVR metrics for every step and pass@k every 5 steps,
 * raises the reward, and registers its model once, announced on models.registry.v1.
 */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "divergence.grpc.port=0", "divergence.training.workers=1", "divergence.training.built-in-budget=small",
    // the worker reads a cancel at its heartbeat (see FDpgJobEndToEndIT)
    "divergence.training.heartbeat-interval=100ms"})
class RlvrJobEndToEndIT extends JobEndToEndSupport {

  private static final int STEPS = 20;
  private static final String RLVR = """
      {"algorithm":"rlvr","model":"tiny-lm","dataset":"answer-four",
       "budget":{"maxSteps":20,"learningRate":0.003,"schedule":"constant","logEvery":1,"checkpointEvery":2},
       "rlvr":{"groupSize":8,"promptsPerStep":4,"maxNewTokens":1,"task":"dataset","checker":"exact",
        "regulariser":{"kind":"rehearsal","divergence":"js","coefficient":0.1,"referenceSamples":1},
        "evaluation":{"prompts":8,"samples":8,"k":4,"every":5}}}""";

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
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "training-rlvr-e2e-" + UUID.randomUUID());
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    consumer.subscribe(List.of(Topics.MODELS_REGISTRY));
  }

  @AfterAll
  static void close() {
    consumer.close();
  }

  @Test
  void rlvrJobWithRehearsalResumesAfterACancelRaisesTheRewardAndRegistersItsModelOnce() throws Exception {
    StringBuilder records = new StringBuilder();
    for (int a = 0; a < 20; a++) {
      for (int b = 0; b < 20; b++) {
        records.append("{\"prompt\":\"").append(a).append('+').append(b).append("=\",\"completion\":\"4\"}\n");
      }
    }
    HttpResponse<String> uploaded = post("/api/v1/training/datasets?name=answer-four&kind=text", records.toString());
    assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(201);
    // the worker to itself: other test classes' queued jobs would otherwise run first (WorkerQueue)
    WorkerQueue.clear(http, "http://localhost:" + port);
    String job = submit(RLVR);
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
    assertThat(logs).contains("resumed at step").contains("rehearsal set read from");

    Map<String, List<Double>> series = allSeries(job);
    for (String metric : List.of("loss", "grad_norm", "tokens_per_second", "reward", "skipped", "clip_ratio", "entropy",
        "rehearsal", "rehearsal_set_size", "answer_tokens")) {
      // every step logged once: the steps redone after the resume replace the cancelled attempt's
      assertThat(series.get(metric)).as("RLVR %s", metric).hasSize(STEPS).allSatisfy(v -> assertThat(v).isFinite());
    }
    // evaluated before the updates of steps 1, 6, 11 and 16
    assertThat(series.get("pass@1")).hasSize(4).allSatisfy(v -> assertThat(v).isBetween(0.0, 1.0));
    assertThat(series.get("pass@4")).hasSize(4);
    assertThat(series.get("rehearsal_set_size").getFirst()).isPositive();
    List<Double> reward = series.get("reward");
    double before = mean(reward.subList(0, 5));
    double after = mean(reward.subList(STEPS - 5, STEPS));
    System.out.printf("RLVR reward: first five %.3f, last five %.3f; by step %s; pass@1 %s%n", before, after, reward,
        series.get("pass@1"));
    // each step's reward is a fraction of 32 answers: the margin is as argued in RlvrTrainerTest
    assertThat(after).isGreaterThan(before + 0.15);

    JsonNode models = json.readTree(get("/api/v1/training/models").body()).get("models");
    List<JsonNode> produced = new ArrayList<>();
    models.forEach(m -> {
      if (m.hasNonNull("producingJob") && m.get("producingJob").asString().equals(job)) {
        produced.add(m);
      }
    });
    assertThat(produced).as("model of job %s registered once", job).hasSize(1);

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


  /**
   * A verifiable dataset (records {"question", "solution", "completion"}, the job naming question
   * and solution) trains exactly as the text dataset whose prompt and completion are that question
   * and solution: same seed, same problems, so the same rewards step by step. The verifiable
   * records carry a wrong "completion" ("9") as a decoy: a job that read it instead of the named
   * answer field would score other answers right.
   */
  @Test
  void rlvrOnAVerifiableDatasetChecksTheNamedAnswerField() throws Exception {
    WorkerQueue.clear(http, "http://localhost:" + port);
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    StringBuilder text = new StringBuilder();
    StringBuilder verifiable = new StringBuilder();
    for (int a = 0; a < 6; a++) {
      for (int b = 0; b < 6; b++) {
        text.append("{\"prompt\":\"").append(a).append('+').append(b).append("=\",\"completion\":\"4\"}\n");
        verifiable.append("{\"question\":\"").append(a).append('+').append(b)
            .append("=\",\"solution\":\"4\",\"completion\":\"9\"}\n");
      }
    }
    HttpResponse<String> textUpload = post("/api/v1/training/datasets?name=four-text-" + suffix + "&kind=text", text.toString());
    assertThat(textUpload.statusCode()).as(textUpload.body()).isEqualTo(201);
    HttpResponse<String> qaUpload = post("/api/v1/training/datasets?name=four-qa-" + suffix + "&kind=verifiable", verifiable.toString());
    assertThat(qaUpload.statusCode()).as(qaUpload.body()).isEqualTo(201);
    String spec = """
        {"algorithm":"rlvr","model":"tiny-lm","dataset":"@D@",
         "budget":{"maxSteps":4,"learningRate":0.003,"schedule":"constant","logEvery":1,"checkpointEvery":100},
         "rlvr":{"groupSize":8,"promptsPerStep":4,"maxNewTokens":1,"task":"dataset","checker":"exact"@F@,
          "evaluation":{"prompts":2,"samples":2,"every":100}}}""";
    String textJob = submit(spec.replace("@D@", "four-text-" + suffix).replace("@F@", ""));
    String qaJob = submit(spec.replace("@D@", "four-qa-" + suffix)
        .replace("@F@", ",\"promptField\":\"question\",\"answerField\":\"solution\""));
    awaitSucceeded(textJob);
    awaitSucceeded(qaJob);
    List<Double> textReward = allSeries(textJob).get("reward");
    List<Double> qaReward = allSeries(qaJob).get("reward");
    System.out.printf("RLVR reward by step: text dataset %s, verifiable dataset %s%n", textReward, qaReward);
    assertThat(textReward).hasSize(4);
    // about 1 in 4 first characters after "=" is a 4 (see the class comment): 128 answers all wrong has probability ~1e-16
    assertThat(mean(textReward)).isPositive();
    assertThat(qaReward).isEqualTo(textReward);
  }
}
