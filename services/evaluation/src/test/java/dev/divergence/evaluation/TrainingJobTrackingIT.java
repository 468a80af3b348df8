package dev.divergence.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Any;
import com.google.protobuf.Timestamp;
import dev.divergence.platform.events.Topics;
import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.proto.common.v1.EventEnvelope;
import dev.divergence.proto.training.v1.Budget;
import dev.divergence.proto.training.v1.DistillationSpec;
import dev.divergence.proto.training.v1.DivergenceChoice;
import dev.divergence.proto.training.v1.Job;
import dev.divergence.proto.training.v1.JobSpec;
import dev.divergence.proto.training.v1.JobState;
import dev.divergence.proto.training.v1.JobStateChanged;
import dev.divergence.proto.training.v1.JobSubmitted;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
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
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Kafka → idempotent consumer → evaluation's own schema, with redelivery and poison records. */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class TrainingJobTrackingIT {

  private static KafkaProducer<String, byte[]> producer;
  private final HttpClient http = HttpClient.newHttpClient();
  private final JsonMapper json = JsonMapper.builder().build();

  @LocalServerPort int port;
  @Autowired JdbcTemplate jdbc;

  @BeforeAll
  static void connect() {
    producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, System.getProperty("spring.kafka.bootstrap-servers")),
        new StringSerializer(), new ByteArraySerializer());
  }

  @AfterAll
  static void close() {
    producer.close();
  }

  @Test
  void jobEventIsAppliedOnceEvenWhenRedelivered() throws Exception {
    String jobId = UUID.randomUUID().toString();
    byte[] event = jobSubmitted(jobId).toByteArray();
    send(jobId, event);
    awaitTracked(jobId);
    send(jobId, event);
    send(jobId, event);
    // a later, different event for another job proves the redeliveries were consumed before it
    String witness = UUID.randomUUID().toString();
    send(witness, jobSubmitted(witness).toByteArray());
    awaitTracked(witness);

    assertThat(jdbc.queryForObject("SELECT events_applied FROM tracked_training_job WHERE job_id = ?::uuid", Integer.class, jobId))
        .isEqualTo(1);
    assertThat(jdbc.queryForObject("SELECT count(*) FROM processed_event WHERE event_id = ?::uuid", Long.class,
        EventEnvelope.parseFrom(event).getEventId())).isEqualTo(1);
    assertThat(get("/actuator/prometheus").body()).containsPattern("divergence_inbox_duplicates_total\\S* [1-9]");
  }

  @Test
  void stateChangesUpdateTheTrackedJob() throws Exception {
    String jobId = UUID.randomUUID().toString();
    EventEnvelope submitted = jobSubmitted(jobId);
    send(jobId, submitted.toByteArray());
    Job running = submitted.getPayload().unpack(JobSubmitted.class).getJob().toBuilder().setState(JobState.JOB_STATE_RUNNING).build();
    EventEnvelope changed = submitted.toBuilder().setEventId(UUID.randomUUID().toString())
        .setType("dev.divergence.training.v1.JobStateChanged")
        .setPayload(Any.pack(JobStateChanged.newBuilder().setJob(running).setPrevious(JobState.JOB_STATE_QUEUED).build())).build();
    send(jobId, changed.toByteArray());
    send(jobId, changed.toByteArray());
    await().atMost(Duration.ofSeconds(60)).until(() -> "RUNNING".equals(jdbc.queryForObject(
        "SELECT state FROM tracked_training_job WHERE job_id = ?::uuid", String.class, jobId)));
    String witness = UUID.randomUUID().toString();
    send(witness, jobSubmitted(witness).toByteArray());
    awaitTracked(witness);
    assertThat(jdbc.queryForObject("SELECT events_applied FROM tracked_training_job WHERE job_id = ?::uuid", Integer.class, jobId))
        .as("submission + one state change, the redelivered change ignored").isEqualTo(2);
  }

  @Test
  void unreadableRecordIsSkippedAndLaterEventsStillFlow() throws Exception {
    String jobId = UUID.randomUUID().toString();
    send(jobId, new byte[] {0x01, 0x02, 0x03, (byte) 0xff});
    send(jobId, jobSubmitted(jobId).toByteArray());
    awaitTracked(jobId);
  }

  @Test
  void restApiServesTrackedJobsAndNamesBadParameters() throws Exception {
    String jobId = UUID.randomUUID().toString();
    send(jobId, jobSubmitted(jobId).toByteArray());
    awaitTracked(jobId);
    HttpResponse<String> found = get("/api/v1/evaluation/training-jobs/" + jobId);
    assertThat(found.statusCode()).isEqualTo(200);
    JsonNode job = json.readTree(found.body());
    assertThat(job.get("divergence").asString()).isEqualTo("js");
    assertThat(job.get("state").asString()).isEqualTo("QUEUED");

    assertThat(get("/api/v1/evaluation/training-jobs/" + UUID.randomUUID()).statusCode()).isEqualTo(404);
    HttpResponse<String> badId = get("/api/v1/evaluation/training-jobs/nope");
    assertThat(badId.statusCode()).isEqualTo(400);
    assertThat(badId.body()).contains("\"field\":\"jobId\"");
    HttpResponse<String> badLimit = get("/api/v1/evaluation/training-jobs?limit=0");
    assertThat(badLimit.statusCode()).isEqualTo(400);
    assertThat(badLimit.body()).contains("\"field\":\"limit\"");
    HttpResponse<String> notNumber = get("/api/v1/evaluation/training-jobs?limit=ten");
    assertThat(notNumber.statusCode()).isEqualTo(400);
    assertThat(notNumber.body()).contains("\"field\":\"limit\"");
  }

  private void awaitTracked(String jobId) {
    await().atMost(Duration.ofSeconds(60)).until(() -> jdbc.queryForObject(
        "SELECT count(*) FROM tracked_training_job WHERE job_id = ?::uuid", Long.class, jobId) == 1);
  }

  private void send(String key, byte[] value) throws Exception {
    producer.send(new ProducerRecord<>(Topics.TRAINING_JOB_EVENTS, key, value)).get();
  }

  private static EventEnvelope jobSubmitted(String jobId) {
    Job job = Job.newBuilder().setJobId(jobId).setDisplayName("js distillation").setState(JobState.JOB_STATE_QUEUED)
        .setSpec(JobSpec.newBuilder().setAlgorithm("distillation").setModel("tiny-lm").setDataset("arithmetic")
            .setBudget(Budget.newBuilder().setMaxSteps(10))
            .setDistillation(DistillationSpec.newBuilder().setTeacherModel("tiny-lm-teacher")
                .setDivergence(DivergenceChoice.newBuilder().setName("js"))))
        .setCreatedAt(Timestamp.newBuilder().setSeconds(1_790_000_000L)).setAttempt(1).build();
    return EventEnvelope.newBuilder().setEventId(UUID.randomUUID().toString())
        .setType("dev.divergence.training.v1.JobSubmitted").setTenant("default").setAggregateId(jobId)
        .setProducer("training").setOccurredAt(Timestamp.newBuilder().setSeconds(1_790_000_001L))
        .setPayload(Any.pack(JobSubmitted.newBuilder().setJob(job).build())).build();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
