package dev.divergence.training.runner.kubernetes;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatus;
import java.util.List;
import java.util.Optional;

/**
 * How a Kubernetes Job ended, in the words the job lifecycle records: the most specific reason
 * Kubernetes gives (a container's OOMKilled beats the Job's BackoffLimitExceeded) and a message.
 */
record FinishedKubernetesJob(boolean succeeded, String reason, String message) {

  /** Whether the Job completed or failed; reading its pods is only worth it then. */
  static boolean isFinished(Job job) {
    return of(job, List.of()).isPresent();
  }

  /** The outcome of a finished Job; empty while it still runs. */
  static Optional<FinishedKubernetesJob> of(Job job, List<Pod> pods) {
    Optional<JobCondition> failed = condition(job, "Failed");
    Optional<JobCondition> complete = condition(job, "Complete");
    JobStatus status = job.getStatus();
    boolean failedByCount = status != null && status.getFailed() != null && status.getFailed() > 0;
    boolean succeededByCount = status != null && status.getSucceeded() != null && status.getSucceeded() > 0;
    String name = job.getMetadata().getName();
    if (failed.isPresent() || (failedByCount && complete.isEmpty())) {
      String jobReason = failed.map(JobCondition::getReason).orElse("JobFailed");
      String jobMessage = failed.map(JobCondition::getMessage).orElse(null);
      Optional<PodFailure> pod = pods.stream().map(FinishedKubernetesJob::podFailure).flatMap(Optional::stream).findFirst();
      String reason = "kubernetes:" + pod.map(PodFailure::reason).orElse(jobReason);
      String message = "Kubernetes Job " + name + " failed: " + jobReason + (jobMessage == null ? "" : " (" + jobMessage + ")")
          + pod.map(p -> "; " + p.reason() + " (" + p.detail() + ")").orElse("");
      return Optional.of(new FinishedKubernetesJob(false, reason, message));
    }
    if (complete.isPresent() || succeededByCount) {
      return Optional.of(new FinishedKubernetesJob(true, "kubernetes:WorkerExitedWithoutOutcome",
          "Kubernetes Job " + name + " completed, but its worker did not record how the attempt ended"));
    }
    return Optional.empty();
  }

  private static Optional<JobCondition> condition(Job job, String type) {
    if (job.getStatus() == null || job.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return job.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()) && "True".equals(c.getStatus()))
        .findFirst();
  }

  /** Why a pod failed: e.g. OOMKilled with "pod training-…-x7k2q, exit code 137", or Evicted with the node's message. */
  private record PodFailure(String reason, String detail) {}

  private static Optional<PodFailure> podFailure(Pod pod) {
    if (pod.getStatus() == null) {
      return Optional.empty();
    }
    String podName = pod.getMetadata().getName();
    List<ContainerStatus> containers = pod.getStatus().getContainerStatuses() == null
        ? List.of() : pod.getStatus().getContainerStatuses();
    for (ContainerStatus container : containers) {
      ContainerStateTerminated terminated = container.getState() == null ? null : container.getState().getTerminated();
      if (terminated != null && terminated.getExitCode() != null && terminated.getExitCode() != 0) {
        String reason = terminated.getReason() == null ? "Error" : terminated.getReason();
        return Optional.of(new PodFailure(reason, "pod " + podName + ", exit code " + terminated.getExitCode()));
      }
    }
    if (pod.getStatus().getReason() != null) {
      String message = pod.getStatus().getMessage();
      return Optional.of(new PodFailure(pod.getStatus().getReason(), "pod " + podName + (message == null ? "" : ": " + message)));
    }
    return Optional.empty();
  }
}
