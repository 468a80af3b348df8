package dev.divergence.training.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.training.job.Job;
import dev.divergence.training.job.JobSpec;
import dev.divergence.training.job.JobState;
import dev.divergence.training.job.Progress;
import dev.divergence.training.store.JobRepository;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * The job meters move with real jobs run by the local worker on the embedded database: a job that
 * succeeds and one that fails are each counted once, with their state and algorithm; the steps of
 * the succeeded job are timed; an attempt whose worker vanished is counted once and its job, run again,
 * ends once; a job cancelled while queued is counted as cancelled; the queued
 * gauge reads the database; the names reach /actuator/prometheus as the alert rules spell them.
 */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "divergence.grpc.port=0", "divergence.training.workers=1", "divergence.training.built-in-budget=small"})
class TrainingMetricsTest {

  private static final int STEPS = 6;

  @Autowired MeterRegistry registry;
  @Autowired JobRepository jobs;
  @Autowired JsonMapper json;
  @Autowired JdbcTemplate jdbc;
  @Autowired PlatformTransactionManager transactions;
  @LocalServerPort int port;

  private final HttpClient http = HttpClient.newHttpClient();
  private TransactionTemplate tx;

  @BeforeEach
  void transactions() {
    tx = new TransactionTemplate(transactions);
  }

  @Test
  void aSucceededAndAFailedJobAreEachCountedOnceAndTheirStepsTimed() throws Exception {
    double succeededBefore = ended("succeeded");
    double failedBefore = ended("failed");
    long stepsBefore = steps();

    Job good = insertQueued("breast-cancer-mlp-student");
    // its trainer fails at once: the model does not exist (inserted past the API's validation)
    Job broken = insertQueued("no-such-model");
    awaitEnded(good, JobState.SUCCEEDED);
    awaitEnded(broken, JobState.FAILED);

    // the counters move after the commit that ended the job, which is just after the state is visible
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(ended("succeeded") - succeededBefore).isEqualTo(1.0);
      assertThat(ended("failed") - failedBefore).isEqualTo(1.0);
    });
    // the first step of an attempt includes loading, so STEPS steps give STEPS - 1 timed intervals
    assertThat(steps() - stepsBefore).isEqualTo(STEPS - 1);

    String scrape = get("/actuator/prometheus");
    assertThat(scrape)
        .containsPattern("divergence_training_jobs_ended_total\\{[^}]*algorithm=\"distillation\"[^}]*state=\"succeeded\"")
        .containsPattern("divergence_training_jobs_ended_total\\{[^}]*algorithm=\"distillation\"[^}]*state=\"failed\"")
        .contains("divergence_training_step_duration_seconds_bucket{")
        .contains("divergence_training_jobs_active{")
        .contains("divergence_training_attempts_abandoned_total{");
  }

  @Test
  void aJobCancelledWhileQueuedIsCountedAndTheQueuedGaugeReadsTheDatabase() throws Exception {
    double cancelledBefore = ended("cancelled");
    // a QUEUED job the local worker never claims (flagged for cancellation in the transaction that
    // inserts it, which the claim query skips), which the API then cancels
    Job queued = tx.execute(status -> {
      Job job = insertQueued("breast-cancer-mlp-student");
      jdbc.update("UPDATE training_job SET cancel_requested = true WHERE job_id = ?", job.id());
      return job;
    });
    // the gauge reads the database at most once a second
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(registry.get(TrainingMetrics.JOBS_ACTIVE).tag("state", "queued").gauge().value()).isGreaterThanOrEqualTo(1.0));

    HttpResponse<String> cancel = http.send(HttpRequest.newBuilder(uri("/api/v1/training/jobs/" + queued.id() + "/cancel"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(200);
    assertThat(ended("cancelled") - cancelledBefore).isEqualTo(1.0);
    // a second cancel is refused (409) and counts nothing
    http.send(HttpRequest.newBuilder(uri("/api/v1/training/jobs/" + queued.id() + "/cancel"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(ended("cancelled") - cancelledBefore).isEqualTo(1.0);
  }

  @Test
  void anAttemptWhoseWorkerVanishedIsCountedOnceAndItsJobEndsOnce() {
    double lostBefore = abandoned("worker-lost");
    double succeededBefore = ended("succeeded");
    // a RUNNING attempt of a worker that stopped heartbeating an hour ago: the local pool's reaper requeues it
    Job orphan = tx.execute(status -> {
      Job job = insertQueued("breast-cancer-mlp-student");
      jdbc.update("UPDATE training_job SET state = 'RUNNING', worker = 'vanished-worker', heartbeat_at = now() - interval '1 hour'"
          + " WHERE job_id = ?", job.id());
      return job;
    });

    awaitEnded(orphan, JobState.SUCCEEDED);
    assertThat(jobs.find(orphan.id()).orElseThrow().attempt()).as("the second attempt ran it").isEqualTo(2);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(ended("succeeded") - succeededBefore).as("one job end for two attempts").isEqualTo(1.0));
    assertThat(abandoned("worker-lost") - lostBefore).isEqualTo(1.0);
  }

  private double abandoned(String reason) {
    return registry.get(TrainingMetrics.ATTEMPTS_ABANDONED).tag("reason", reason).counter().count();
  }

  private double ended(String state) {
    Counter counter = registry.find(TrainingMetrics.JOBS_ENDED).tag("state", state).tag("algorithm", "distillation").counter();
    return counter == null ? 0 : counter.count();
  }

  private long steps() {
    Timer timer = registry.find(TrainingMetrics.STEP_DURATION).tag("algorithm", "distillation").timer();
    return timer == null ? 0 : timer.count();
  }

  private void awaitEnded(Job job, JobState expected) {
    await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(300)).until(() -> {
      JobState state = jobs.find(job.id()).orElseThrow().state();
      return state == JobState.SUCCEEDED || state == JobState.FAILED || state == JobState.CANCELLED;
    });
    assertThat(jobs.find(job.id()).orElseThrow().state()).as("job " + job.id()).isEqualTo(expected);
  }

  private Job insertQueued(String model) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    JobSpec spec = json.readValue("""
        {"algorithm":"distillation","model":"%s","dataset":"breast-cancer",
         "budget":{"maxSteps":%d,"batchSize":16,"logEvery":1,"checkpointEvery":100},
         "distillation":{"teacherModel":"breast-cancer-mlp-teacher","divergence":{"name":"reverse_kl"}}}"""
        .formatted(model, STEPS), JobSpec.class).withDefaults();
    Job job = new Job(UUID.randomUUID(), "default", null, "metrics test", spec, JobState.QUEUED, 1,
        new Progress(0, STEPS, null), null, null, now, null, null, now, null, false);
    jobs.insert(job);
    return job;
  }

  private String get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  private URI uri(String path) {
    return URI.create("http://localhost:" + port + path);
  }
}
