package dev.divergence.training.runner.kubernetes;

import dev.divergence.training.job.Job;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * One attempt of one training job, and how its Kubernetes Job is named and labelled. The name is
 * deterministic so that creating it twice (a second poll, a restarted or second runner) finds the
 * first one; it holds the whole job id, because two jobs sharing a shorter prefix would otherwise
 * be mistaken for each other.
 */
record TrainingAttempt(UUID jobId, int attempt) {

  static final String PART_OF = "app.kubernetes.io/part-of";
  static final String PART_OF_VALUE = "divergence";
  static final String COMPONENT = "app.kubernetes.io/component";
  static final String COMPONENT_VALUE = "training-worker";
  static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  static final String MANAGED_BY_VALUE = "divergence-training";
  static final String JOB_ID = "divergence.dev/job-id";
  static final String ATTEMPT = "divergence.dev/attempt";

  /** The labels that select every training Job of this runner. */
  static final Map<String, String> RUNNER_SELECTOR = Map.of(PART_OF, PART_OF_VALUE, COMPONENT, COMPONENT_VALUE);

  static TrainingAttempt of(Job job) {
    return new TrainingAttempt(job.id(), job.attempt());
  }

  /** The attempt a Kubernetes object was created for, if it carries this runner's labels. */
  static Optional<TrainingAttempt> of(HasMetadata resource) {
    Map<String, String> labels = resource.getMetadata().getLabels();
    if (labels == null || !labels.containsKey(JOB_ID) || !labels.containsKey(ATTEMPT)) {
      return Optional.empty();
    }
    try {
      return Optional.of(new TrainingAttempt(UUID.fromString(labels.get(JOB_ID)), Integer.parseInt(labels.get(ATTEMPT))));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** {@code training-<job id>-a<attempt>}: at most 50 characters, within the 63 a Job name may have. */
  String kubernetesName() {
    return "training-" + jobId + "-a" + attempt;
  }

  Map<String, String> labels() {
    return Map.of(PART_OF, PART_OF_VALUE, COMPONENT, COMPONENT_VALUE, MANAGED_BY, MANAGED_BY_VALUE,
        JOB_ID, jobId.toString(), ATTEMPT, Integer.toString(attempt));
  }

  /** Whether this attempt is the job's current one and may still run. */
  boolean isCurrentAndActiveFor(Job job) {
    return job.id().equals(jobId) && job.attempt() == attempt && !job.isTerminal();
  }

  @Override
  public String toString() {
    return "job " + jobId + " attempt " + attempt;
  }
}
