package dev.divergence.training.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.divergence.platform.events.EventHeaders;
import dev.divergence.platform.events.Topics;
import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.proto.common.v1.EventEnvelope;
import dev.divergence.proto.training.v1.JobSubmitted;
import java.net.URI;
import java.net.http.HttpClient;
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
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** REST → PostgreSQL (job + outbox in one transaction) → relay → Kafka, on real infrastructure. */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"divergence.grpc.port=0", "divergence.training.workers=0"})
class JobsApiIT {

  private static final String VALID_SPEC = """
      {"algorithm":"distillation","model":"breast-cancer-mlp-student","dataset":"breast-cancer",
       "budget":{"maxSteps":100},
       "distillation":{"teacherModel":"breast-cancer-mlp-teacher","divergence":{"name":"reverse_kl"},"temperature":2.0}}""";

  private static KafkaConsumer<String, byte[]> consumer;
  private final HttpClient http = HttpClient.newHttpClient();
  private final JsonMapper json = JsonMapper.builder().build();

  @LocalServerPort int port;
  @Autowired JdbcTemplate jdbc;

  @BeforeAll
  static void subscribe() {
    String bootstrap = System.getProperty("spring.kafka.bootstrap-servers");
    Properties config = new Properties();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "jobs-api-it-" + UUID.randomUUID());
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    consumer.subscribe(List.of(Topics.TRAINING_JOB_EVENTS));
  }

  @AfterAll
  static void close() {
    consumer.close();
  }

  @Test
  void submittedJobIsStoredAndAnnouncedOnKafka() throws Exception {
    HttpResponse<String> response = post("{\"displayName\":\"kd run\",\"spec\":" + VALID_SPEC + "}", Map.of());
    assertThat(response.statusCode()).isEqualTo(201);
    JsonNode job = json.readTree(response.body());
    String jobId = job.get("jobId").asString();
    assertThat(job.get("state").asString()).isEqualTo("QUEUED");
    assertThat(response.headers().firstValue("Location")).hasValue("/api/v1/training/jobs/" + jobId);
    assertThat(jdbc.queryForObject("SELECT state FROM training_job WHERE job_id = ?::uuid", String.class, jobId))
        .isEqualTo("QUEUED");

    ConsumerRecord<String, byte[]> record = awaitRecord(jobId);
    EventEnvelope envelope = EventEnvelope.parseFrom(record.value());
    assertThat(envelope.getType()).isEqualTo("dev.divergence.training.v1.JobSubmitted");
    assertThat(envelope.getAggregateId()).isEqualTo(jobId);
    assertThat(envelope.getTenant()).isEqualTo("default");
    assertThat(envelope.getProducer()).isEqualTo("training");
    assertThat(envelope.getPayload().unpack(JobSubmitted.class).getJob().getSpec().getDistillation().getDivergence().getName())
        .isEqualTo("reverse_kl");
    assertThat(record.headers().lastHeader(EventHeaders.EVENT_ID).value()).asString().isEqualTo(envelope.getEventId());
    assertThat(record.headers().lastHeader(EventHeaders.TRACEPARENT)).as("trace context travels with the event").isNotNull();
    await().atMost(Duration.ofSeconds(10)).until(() -> jdbc.queryForObject(
        "SELECT published_at IS NOT NULL FROM outbox_event WHERE record_key = ?", Boolean.class, jobId));

    HttpResponse<String> read = get("/api/v1/training/jobs/" + jobId);
    assertThat(read.statusCode()).isEqualTo(200);
    JsonNode spec = json.readTree(read.body()).get("spec");
    assertThat(spec.get("distillation").get("teacherModel").asString()).isEqualTo("breast-cancer-mlp-teacher");
    assertThat(spec.get("budget").get("batchSize").asInt()).as("defaults filled in").isEqualTo(8);
  }

  @Test
  void callersTraceContinuesIntoTheEvent() throws Exception {
    String traceId = UUID.randomUUID().toString().replace("-", "");
    HttpResponse<String> response = post("{\"spec\":" + VALID_SPEC + "}",
        Map.of("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01"));
    assertThat(response.statusCode()).isEqualTo(201);
    String jobId = json.readTree(response.body()).get("jobId").asString();
    ConsumerRecord<String, byte[]> record = awaitRecord(jobId);
    String header = new String(record.headers().lastHeader(EventHeaders.TRACEPARENT).value());
    assertThat(header).startsWith("00-" + traceId + "-");
    assertThat(EventEnvelope.parseFrom(record.value()).getTrace().getTraceparent()).isEqualTo(header);
  }

  @Test
  void sameIdempotencyKeyReturnsTheFirstJobAndPublishesOnce() throws Exception {
    String key = "key-" + UUID.randomUUID();
    HttpResponse<String> first = post("{\"spec\":" + VALID_SPEC + "}", Map.of("Idempotency-Key", key));
    HttpResponse<String> second = post("{\"spec\":" + VALID_SPEC + "}", Map.of("Idempotency-Key", key));
    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(second.statusCode()).isEqualTo(200);
    String jobId = json.readTree(first.body()).get("jobId").asString();
    assertThat(json.readTree(second.body()).get("jobId").asString()).isEqualTo(jobId);
    assertThat(jdbc.queryForObject("SELECT count(*) FROM outbox_event WHERE record_key = ?", Long.class, jobId)).isEqualTo(1);
  }

  @Test
  void dryRunValidatesAndCompletesTheSpecWithoutStoringAnything() throws Exception {
    Long jobsBefore = jdbc.queryForObject("SELECT count(*) FROM training_job", Long.class);
    Long eventsBefore = jdbc.queryForObject("SELECT count(*) FROM outbox_event", Long.class);

    HttpResponse<String> valid = post("{\"displayName\":\"kd try\",\"spec\":" + VALID_SPEC + "}", Map.of(), "?dryRun=true");
    assertThat(valid.statusCode()).as(valid.body()).isEqualTo(200);
    JsonNode body = json.readTree(valid.body());
    assertThat(body.path("valid").asBoolean()).isTrue();
    assertThat(body.path("displayName").asText()).isEqualTo("kd try");
    // the defaults a submission would store are filled in, so a form can show them before submitting
    assertThat(body.path("spec").path("budget").path("maxSteps").asLong()).isEqualTo(100);
    assertThat(body.path("spec").path("budget").path("batchSize").isNumber()).as(valid.body()).isTrue();
    assertThat(body.path("spec").path("budget").path("seed").isNumber()).as(valid.body()).isTrue();

    assertProblem(post("{\"spec\":" + VALID_SPEC.replace("\"maxSteps\":100", "\"maxSteps\":0") + "}", Map.of(), "?dryRun=true"),
        400, "spec.budget.maxSteps");
    assertProblem(post("{\"spec\":" + VALID_SPEC + "}", Map.of(), "?dryRun=maybe"), 400, "dryRun");

    assertThat(jdbc.queryForObject("SELECT count(*) FROM training_job", Long.class)).as("no job stored").isEqualTo(jobsBefore);
    assertThat(jdbc.queryForObject("SELECT count(*) FROM outbox_event", Long.class)).as("no event").isEqualTo(eventsBefore);
  }

  @Test
  void malformedJsonIs400NamingTheBody() throws Exception {
    assertProblem(post("{\"spec\": {", Map.of()), 400, "body");
  }

  @Test
  void unknownFieldIs400NamingIt() throws Exception {
    String body = "{\"spec\":" + VALID_SPEC.replace("\"maxSteps\":100", "\"maxSteps\":100,\"learningRat\":0.1") + "}";
    assertProblem(post(body, Map.of()), 400, "spec.budget.learningRat");
  }

  @Test
  void missingFieldsAre400NamingThem() throws Exception {
    assertProblem(post("{}", Map.of()), 400, "spec");
    assertProblem(post("{\"spec\":" + VALID_SPEC.replace("\"maxSteps\":100", "") + "}", Map.of()), 400, "spec.budget.maxSteps");
  }

  @Test
  void invalidValuesAre400NamingTheField() throws Exception {
    assertProblem(post("{\"spec\":" + VALID_SPEC.replace("reverse_kl", "kullback") + "}", Map.of()), 400, "spec.distillation.divergence.name");
    assertProblem(post("{\"spec\":" + VALID_SPEC.replace("\"maxSteps\":100", "\"maxSteps\":-5") + "}", Map.of()), 400, "spec.budget.maxSteps");
    assertProblem(post("{\"spec\":" + VALID_SPEC.replace("\"maxSteps\":100", "\"maxSteps\":\"many\"") + "}", Map.of()), 400, "spec.budget.maxSteps");
    assertProblem(post("{\"spec\":" + VALID_SPEC.replace("breast-cancer-mlp-teacher", "no-such-teacher") + "}", Map.of()), 400, "spec.distillation.teacherModel");
    assertProblem(post("{\"spec\":" + VALID_SPEC.replace("\"dataset\":\"breast-cancer\"", "\"dataset\":\"arithmetic-preferences\"") + "}", Map.of()), 400, "spec.dataset");
    assertProblem(post("{\"spec\":" + VALID_SPEC.replace("{\"name\":\"reverse_kl\"}", "{\"name\":\"jsd\",\"beta\":1.5}") + "}", Map.of()), 400, "spec.distillation.divergence.beta");
    // a skew weight of 1 makes the loss identically 0
    for (String skew : new String[] {"skew_kl", "skew_reverse_kl"}) {
      HttpResponse<String> rejected = post("{\"spec\":" + VALID_SPEC.replace("{\"name\":\"reverse_kl\"}",
          "{\"name\":\"" + skew + "\",\"alpha\":1.0}") + "}", Map.of());
      assertProblem(rejected, 400, "spec.distillation.divergence.alpha");
      assertThat(rejected.body()).contains("[0, 1)");
    }
    Long before = jdbc.queryForObject("SELECT count(*) FROM training_job", Long.class);
    assertProblem(post("{\"spec\":" + VALID_SPEC.replace("\"algorithm\":\"distillation\"", "\"algorithm\":\"magic\"") + "}", Map.of()), 400, "spec.algorithm");
    assertThat(jdbc.queryForObject("SELECT count(*) FROM training_job", Long.class)).as("nothing stored").isEqualTo(before);
  }

  @Test
  void teacherCacheTopKOutsideOneToTheVocabularyIs400NamingIt() throws Exception {
    String lm = """
        {"algorithm":"distillation","model":"tiny-lm-student","dataset":"arithmetic","budget":{"maxSteps":10},
         "distillation":{"teacherModel":"tiny-lm","divergence":{"name":"kl"},"teacherCache":{"topK":@K@}}}""";
    assertProblem(post("{\"spec\":" + lm.replace("@K@", "0") + "}", Map.of()), 400, "spec.distillation.teacherCache.topK");
    // tiny-lm's vocabulary has 259 tokens
    assertProblem(post("{\"spec\":" + lm.replace("@K@", "260") + "}", Map.of()), 400, "spec.distillation.teacherCache.topK");
    assertProblem(post("{\"spec\":" + lm.replace("@K@", "8").replace("\"kl\"", "\"sinkhorn\"") + "}", Map.of()), 400,
        "spec.distillation.teacherCache");
    assertProblem(post("{\"spec\":" + VALID_SPEC.replace("\"temperature\":2.0", "\"teacherCache\":{\"topK\":1}") + "}", Map.of()), 400,
        "spec.distillation.teacherCache");
    HttpResponse<String> accepted = post("{\"spec\":" + lm.replace("@K@", "259") + "}", Map.of());
    assertThat(accepted.statusCode()).as(accepted.body()).isBetween(200, 202);
    assertThat(accepted.body()).contains("\"teacherCache\":{\"topK\":259}");
  }

  @Test
  void generationLengthOutsideItsRangeIs400NamingItAndAValidOneIsKept() throws Exception {
    String onPolicy = """
        {"algorithm":"distillation","model":"tiny-lm-student","dataset":"arithmetic","budget":{"maxSteps":10},
         "distillation":{"teacherModel":"tiny-lm","divergence":{"name":"reverse_kl"},"onPolicyFraction":0.5,"maxNewTokens":@N@}}""";
    for (String outside : new String[] {"0", "-3", "4097"}) {
      HttpResponse<String> rejected = post("{\"spec\":" + onPolicy.replace("@N@", outside) + "}", Map.of());
      assertProblem(rejected, 400, "spec.distillation.maxNewTokens");
      assertThat(rejected.body()).contains("between 1 and 4096");
    }
    HttpResponse<String> accepted = post("{\"spec\":" + onPolicy.replace("@N@", "32") + "}", Map.of());
    assertThat(accepted.statusCode()).as(accepted.body()).isBetween(200, 202);
    String jobId = json.readTree(accepted.body()).get("jobId").asString();
    assertThat(json.readTree(get("/api/v1/training/jobs/" + jobId).body()).at("/spec/distillation/maxNewTokens").asInt()).isEqualTo(32);
  }

  @Test
  void badFDpgSpecsAre400NamingTheFieldAndAValidOneIsKeptWithItsDefaults() throws Exception {
    String fDpg = """
        {"algorithm":"f_dpg","model":"tiny-lm","dataset":"arithmetic","budget":{"maxSteps":10},"fDpg":@M@}""";
    assertProblem(post("{\"spec\":" + fDpg.replace("@M@", "{\"constraint\":{\"name\":\"regex\",\"regex\":\"([0-9]\"}}") + "}",
        Map.of()), 400, "spec.fDpg.constraint.regex");
    assertProblem(post("{\"spec\":" + fDpg.replace("@M@", "{\"constraint\":{\"name\":\"rhymes\"}}") + "}", Map.of()), 400,
        "spec.fDpg.constraint.name");
    assertProblem(post("{\"spec\":" + fDpg.replace("@M@", "{\"moments\":{\"means\":[0.5]}}") + "}", Map.of()), 400,
        "spec.fDpg.moments.features");
    // a null list entry is a missing feature, not a server error
    assertProblem(post("{\"spec\":" + fDpg.replace("@M@", "{\"moments\":{\"features\":[null],\"means\":[0.5]}}") + "}", Map.of()), 400,
        "spec.fDpg.moments.features[0]");
    String seven = "{\"constraint\":{\"name\":\"contains\",\"text\":\"7\"}@X@}";
    assertProblem(post("{\"spec\":" + fDpg.replace("@M@", seven.replace("@X@", ",\"divergence\":{\"name\":\"alpha\",\"alpha\":0}"))
        + "}", Map.of()), 400, "spec.fDpg.divergence.alpha");
    assertProblem(post("{\"spec\":" + fDpg.replace("@M@", seven.replace("@X@", ",\"samplesPerStep\":0")) + "}", Map.of()), 400,
        "spec.fDpg.samplesPerStep");
    assertProblem(post("{\"spec\":" + fDpg.replace("@M@", seven.replace("@X@", ",\"moments\":{\"features\":[{\"name\":\"answer_correct\"}],\"means\":[0.5]}"))
        + "}", Map.of()), 400, "spec.fDpg.moments");
    assertProblem(post("{\"spec\":" + fDpg.replace("@M@", seven.replace("@X@", "")).replace("\"arithmetic\"", "\"arithmetic-preferences\"")
        + "}", Map.of()), 400, "spec.dataset");
    HttpResponse<String> accepted = post("{\"spec\":" + fDpg.replace("@M@", seven.replace("@X@", "")) + "}", Map.of());
    assertThat(accepted.statusCode()).as(accepted.body()).isBetween(200, 202);
    JsonNode spec = json.readTree(accepted.body()).get("spec").get("fDpg");
    assertThat(spec.at("/divergence/name").asString()).isEqualTo("js");
    assertThat(spec.at("/proposal").asString()).isEqualTo("on_policy");
    assertThat(spec.at("/baselineWindow").asInt()).isEqualTo(1024);
    assertThat(spec.at("/constraint/text").asString()).isEqualTo("7");
  }

  @Test
  void badRlvrSpecsAre400NamingTheFieldAndAValidOneIsKeptWithItsDefaults() throws Exception {
    String rlvr = """
        {"algorithm":"rlvr","model":"tiny-lm","dataset":"arithmetic","budget":{"maxSteps":10},"rlvr":@M@}""";
    assertProblem(post("{\"spec\":" + rlvr.replace("@M@", "{\"groupSize\":1}") + "}", Map.of()), 400, "spec.rlvr.groupSize");
    assertProblem(post("{\"spec\":" + rlvr.replace("@M@", "{\"clipEpsilonLow\":0}") + "}", Map.of()), 400,
        "spec.rlvr.clipEpsilonLow");
    assertProblem(post("{\"spec\":" + rlvr.replace("@M@", "{\"clipEpsilonHigh\":-0.1}") + "}", Map.of()), 400,
        "spec.rlvr.clipEpsilonHigh");
    assertProblem(post("{\"spec\":" + rlvr.replace("@M@", "{\"updatesPerBatch\":0}") + "}", Map.of()), 400,
        "spec.rlvr.updatesPerBatch");
    assertProblem(post("{\"spec\":" + rlvr.replace("@M@", "{\"task\":\"dataset\",\"checker\":\"fuzzy\"}") + "}", Map.of()), 400,
        "spec.rlvr.checker");
    assertProblem(post("{\"spec\":" + rlvr.replace("@M@", "{\"regulariser\":{\"kind\":\"rehearsal\",\"coefficient\":-0.1}}") + "}",
        Map.of()), 400, "spec.rlvr.regulariser.coefficient");
    assertProblem(post("{\"spec\":" + rlvr.replace("@M@", "{\"regulariser\":{\"kind\":\"kl\",\"estimator\":\"k4\"}}") + "}",
        Map.of()), 400, "spec.rlvr.regulariser.estimator");
    assertProblem(post("{\"spec\":" + rlvr.replace("@M@", "{\"evaluation\":{\"samples\":4,\"k\":8}}") + "}", Map.of()), 400,
        "spec.rlvr.evaluation.k");
    // the built-in tasks check integers
    assertProblem(post("{\"spec\":" + rlvr.replace("@M@", "{\"task\":\"tiny-addition\",\"checker\":\"exact\"}") + "}", Map.of()),
        400, "spec.rlvr.checker");
    HttpResponse<String> tinyAddition = post("{\"spec\":" + rlvr.replace("@M@", "{\"task\":\"tiny-addition\",\"maxNewTokens\":1}") + "}",
        Map.of());
    assertThat(tinyAddition.statusCode()).as(tinyAddition.body()).isBetween(200, 202);
    assertThat(json.readTree(tinyAddition.body()).at("/spec/rlvr/checker").asString()).isEqualTo("integer");
    HttpResponse<String> accepted = post("{\"spec\":" + rlvr.replace("@M@",
        "{\"regulariser\":{\"kind\":\"rehearsal\",\"divergence\":\"js\"}}") + "}", Map.of());
    assertThat(accepted.statusCode()).as(accepted.body()).isBetween(200, 202);
    JsonNode spec = json.readTree(accepted.body()).get("spec").get("rlvr");
    assertThat(spec.at("/groupSize").asInt()).isEqualTo(8);
    assertThat(spec.at("/clipEpsilonHigh").asDouble()).isEqualTo(0.28);
    assertThat(spec.at("/task").asString()).isEqualTo("arithmetic");
    assertThat(spec.at("/regulariser/coefficient").asDouble()).isEqualTo(0.05);
    assertThat(spec.at("/regulariser/referenceSamples").asInt()).isEqualTo(8);
    assertThat(spec.at("/evaluation/k").asInt()).isEqualTo(8);
  }

  /**
   * RLVR on a verifiable dataset: records with any field names, the job naming its prompt and answer
   * fields. Uploads with records of differing fields or non-string values are refused naming the
   * line and field; a job naming a field the records lack (or relying on the default "answer" they
   * lack), or naming fields with a text dataset or the arithmetic task, is refused naming the field.
   */
  @Test
  void rlvrAnswerFieldsMustNameFieldsOfAVerifiableDataset() throws Exception {
    String name = "qa-" + UUID.randomUUID();
    HttpResponse<String> uploaded = upload(name, """
        {"question":"1+2=","solution":"3"}
        {"question":"2+2=","solution":"4"}
        {"question":"3+2=","solution":"5"}
        """);
    assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(201);
    assertThat(json.readTree(uploaded.body()).get("kind").asString()).isEqualToIgnoringCase("verifiable");
    assertProblem(upload("qa-missing-" + UUID.randomUUID(), """
        {"question":"1+2=","solution":"3"}
        {"question":"2+2="}
        """), 400, "line 2.solution");
    assertProblem(upload("qa-extra-" + UUID.randomUUID(), """
        {"question":"1+2=","solution":"3"}
        {"question":"2+2=","solution":"4","hint":"even"}
        """), 400, "line 2.hint");
    assertProblem(upload("qa-number-" + UUID.randomUUID(), """
        {"question":"1+2=","solution":3}
        """), 400, "line 1.solution");

    String rlvr = """
        {"algorithm":"rlvr","model":"tiny-lm","dataset":"@D@","budget":{"maxSteps":10},"rlvr":@M@}""".replace("@D@", name);
    assertProblem(post("{\"spec\":" + rlvr.replace("@M@", "{\"task\":\"dataset\",\"promptField\":\"question\"}") + "}",
        Map.of()), 400, "spec.rlvr.answerField");
    assertProblem(post("{\"spec\":" + rlvr.replace("@M@",
        "{\"task\":\"dataset\",\"promptField\":\"question\",\"answerField\":\"answer\"}") + "}", Map.of()), 400,
        "spec.rlvr.answerField");
    assertProblem(post("{\"spec\":" + rlvr.replace("@M@",
        "{\"task\":\"dataset\",\"promptField\":\"query\",\"answerField\":\"solution\"}") + "}", Map.of()), 400,
        "spec.rlvr.promptField");
    assertProblem(post("{\"spec\":" + rlvr.replace("@M@",
        "{\"task\":\"dataset\",\"promptField\":\"solution\",\"answerField\":\"solution\"}") + "}", Map.of()), 400,
        "spec.rlvr.answerField");
    assertProblem(post("{\"spec\":" + rlvr.replace("@M@", "{\"answerField\":\"solution\"}") + "}", Map.of()), 400,
        "spec.rlvr.answerField");
    assertProblem(post("{\"spec\":" + rlvr.replace(name, "arithmetic").replace("@M@",
        "{\"task\":\"dataset\",\"promptField\":\"prompt\"}") + "}", Map.of()), 400, "spec.rlvr.promptField");

    HttpResponse<String> accepted = post("{\"spec\":" + rlvr.replace("@M@",
        "{\"task\":\"dataset\",\"checker\":\"integer\",\"promptField\":\"question\",\"answerField\":\"solution\"}") + "}",
        Map.of());
    assertThat(accepted.statusCode()).as(accepted.body()).isBetween(200, 202);
    JsonNode spec = json.readTree(accepted.body()).get("spec").get("rlvr");
    assertThat(spec.at("/promptField").asString()).isEqualTo("question");
    assertThat(spec.at("/answerField").asString()).isEqualTo("solution");
    assertThat(spec.at("/checker").asString()).isEqualTo("integer");
  }

  private HttpResponse<String> upload(String name, String jsonl) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/v1/training/datasets?name=" + name
            + "&kind=verifiable")).header("Content-Type", "application/x-ndjson").POST(HttpRequest.BodyPublishers.ofString(jsonl))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void unknownJobIs404AndBadIdIs400() throws Exception {
    HttpResponse<String> missing = get("/api/v1/training/jobs/" + UUID.randomUUID());
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).contains("application/problem+json"));
    assertProblem(get("/api/v1/training/jobs/not-a-uuid"), 400, "jobId");
  }

  @Test
  void unknownPathIs404Problem() throws Exception {
    HttpResponse<String> response = get("/api/v1/training/nothing-here");
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(json.readTree(response.body()).get("status").asInt()).isEqualTo(404);
  }

  @Test
  void readinessCoversDatabaseAndKafka() throws Exception {
    HttpResponse<String> response = get("/actuator/health/readiness");
    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode components = json.readTree(response.body()).get("components");
    assertThat(components.get("db").get("status").asString()).isEqualTo("UP");
    assertThat(components.get("kafka").get("status").asString()).isEqualTo("UP");
    assertThat(get("/actuator/prometheus").body()).contains("divergence_outbox_pending");
  }

  private void assertProblem(HttpResponse<String> response, int status, String field) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).contains("application/problem+json"));
    JsonNode problem = json.readTree(response.body());
    assertThat(problem.get("status").asInt()).isEqualTo(status);
    List<String> fields = new ArrayList<>();
    problem.get("errors").forEach(error -> fields.add(error.get("field").asString()));
    assertThat(fields).contains(field);
    assertThat(problem.get("requestId")).isNotNull();
  }

  private ConsumerRecord<String, byte[]> awaitRecord(String key) {
    List<ConsumerRecord<String, byte[]>> seen = new ArrayList<>();
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
      return seen.stream().anyMatch(r -> key.equals(r.key()));
    });
    return seen.stream().filter(r -> key.equals(r.key())).findFirst().orElseThrow();
  }

  private HttpResponse<String> post(String body, Map<String, String> headers) throws Exception {
    return post(body, headers, "");
  }

  private HttpResponse<String> post(String body, Map<String, String> headers, String query) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/v1/training/jobs" + query))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(request::header);
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
