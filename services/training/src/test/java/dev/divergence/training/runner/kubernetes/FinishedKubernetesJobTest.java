package dev.divergence.training.runner.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatus;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

class FinishedKubernetesJobTest {

  @Test
  void runningJobHasNoOutcome() {
    assertThat(FinishedKubernetesJob.of(job(new JobStatusBuilder().withActive(1).build()), List.of())).isEmpty();
    assertThat(FinishedKubernetesJob.of(job(null), List.of())).isEmpty();
  }

  @Test
  void failedJobWithoutReadablePodsReportsTheJobsReason() {
    var outcome = FinishedKubernetesJob.of(job(failed("DeadlineExceeded", "Job was active longer than specified deadline")),
        List.of()).orElseThrow();
    assertThat(outcome.succeeded()).isFalse();
    assertThat(outcome.reason()).isEqualTo("kubernetes:DeadlineExceeded");
    assertThat(outcome.message()).isEqualTo("Kubernetes Job training-x-a1 failed: DeadlineExceeded"
        + " (Job was active longer than specified deadline)");
  }

  @Test
  void anEvictedPodIsMoreSpecificThanTheJobsReason() {
    Pod evicted = new PodBuilder().withNewMetadata().withName("training-x-a1-abcde").endMetadata()
        .withNewStatus().withPhase("Failed").withReason("Evicted").withMessage("The node was low on resource: memory.")
        .endStatus().build();
    var outcome = FinishedKubernetesJob.of(job(failed("BackoffLimitExceeded", null)), List.of(evicted)).orElseThrow();
    assertThat(outcome.reason()).isEqualTo("kubernetes:Evicted");
    assertThat(outcome.message()).contains("BackoffLimitExceeded").contains("pod training-x-a1-abcde: The node was low");
  }

  @Test
  void completedJobIsASuccessOfTheWorkerProcess() {
    var outcome = FinishedKubernetesJob.of(job(new JobStatusBuilder().withSucceeded(1)
        .withConditions(new JobConditionBuilder().withType("Complete").withStatus("True").build()).build()), List.of());
    assertThat(outcome).hasValueSatisfying(o -> assertThat(o.succeeded()).isTrue());
  }

  private static JobStatus failed(String reason, String message) {
    return new JobStatusBuilder().withFailed(1).withConditions(new JobConditionBuilder().withType("Failed")
        .withStatus("True").withReason(reason).withMessage(message).build()).build();
  }

  private static Job job(JobStatus status) {
    return new JobBuilder().withNewMetadata().withName("training-x-a1").endMetadata().withStatus(status).build();
  }
}
