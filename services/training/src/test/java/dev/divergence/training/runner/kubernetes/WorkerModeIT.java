package dev.divergence.training.runner.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.training.TrainingApplication;
import dev.divergence.training.job.Job;
import dev.divergence.training.job.JobSpec;
import dev.divergence.training.job.JobState;
import dev.divergence.training.job.Progress;
import dev.divergence.training.store.JobRepository;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.JdbcTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * Worker mode as a Kubernetes Job starts it: the application with a job id runs that job to its
 * end and returns the exit code. This test's own context (no runner: workers=0) creates the schema
 * and the jobs; the worker is a second application in the same JVM.
 */
@EmbeddedInfrastructure
@SpringBootTest(properties = {"divergence.grpc.port=-1", "divergence.training.workers=0"})
class WorkerModeIT {

  @Autowired JobRepository jobs;
  @Autowired JdbcTemplate jdbc;
  @Autowired JsonMapper json;

  @Test
  void workerClaimsItsJobRunsItAndExitsWithItsOutcome() {
    // a job whose trainer fails at once (its model does not exist), inserted past the API's validation
    Job broken = queued("no-such-model");
    Job other = queued("no-such-model-either");

    int exitCode = WorkerMode.run(TrainingApplication.class,
        "--" + WorkerMode.JOB_ID_PROPERTY + "=" + broken.id(),
        "--divergence.training.worker.name=training-test-a1-pod",
        "--divergence.training.data-dir=" + System.getProperty("java.io.tmpdir") + "/worker-mode-it");

    assertThat(exitCode).as("FAILED").isEqualTo(SingleJobWorker.EXIT_FAILED);
    assertThat(jobs.find(broken.id()).orElseThrow().state()).isEqualTo(JobState.FAILED);
    Map<String, Object> attempt = jdbc.queryForMap("SELECT worker, state FROM job_attempt WHERE job_id = ? AND attempt = 1",
        broken.id());
    assertThat(attempt).containsEntry("worker", "training-test-a1-pod").containsEntry("state", "FAILED");
    assertThat(jobs.find(other.id()).orElseThrow().state())
        .as("a worker runs its own job only: no local worker pool claims others").isEqualTo(JobState.QUEUED);
  }

  @Test
  void workerWhoseJobIsNoLongerQueuedHasNothingToDo() {
    Job cancelled = queued("no-such-model");
    jobs.transition(cancelled.id(), JobState.QUEUED, JobState.CANCELLED, "cancelled-by-user", null, Instant.now());

    int exitCode = WorkerMode.run(TrainingApplication.class, "--" + WorkerMode.JOB_ID_PROPERTY + "=" + cancelled.id(),
        "--divergence.training.data-dir=" + System.getProperty("java.io.tmpdir") + "/worker-mode-it");

    assertThat(exitCode).isEqualTo(SingleJobWorker.EXIT_SUCCEEDED_OR_CANCELLED);
    assertThat(jobs.find(cancelled.id()).orElseThrow().state()).isEqualTo(JobState.CANCELLED);
  }

  @Test
  void workerModeIsRecognisedFromArgumentsBeforeSpringStarts() {
    assertThat(WorkerMode.requested(new String[] {"--divergence.training.worker.job-id=" + UUID.randomUUID()})).isTrue();
    assertThat(WorkerMode.requested(new String[] {"--server.port=0"})).isFalse();
  }

  private Job queued(String model) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    JobSpec spec = json.readValue("""
        {"algorithm":"distillation","model":"%s","dataset":"breast-cancer","budget":{"maxSteps":5},
         "distillation":{"teacherModel":"breast-cancer-mlp-teacher","divergence":{"name":"reverse_kl"}}}"""
        .formatted(model), JobSpec.class).withDefaults();
    Job job = new Job(UUID.randomUUID(), "default", null, "worker-mode test", spec, JobState.QUEUED, 1,
        new Progress(0, 5, null), null, null, now, null, null, now, null, false);
    assertThat(jobs.insert(job)).isTrue();
    return job;
  }
}
