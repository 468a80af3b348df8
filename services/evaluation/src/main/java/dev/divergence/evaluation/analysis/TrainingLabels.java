package dev.divergence.evaluation.analysis;

import dev.divergence.evaluation.run.EvaluationRun;
import dev.divergence.evaluation.store.TrackedTrainingJobRepository;
import dev.divergence.evaluation.tracking.TrackedTrainingJob;
import java.util.Optional;
import java.util.UUID;
import org.springframework.stereotype.Component;

/** The training job behind a run's model, when the run names one and evaluation tracked it. */
@Component
class TrainingLabels {

  private final TrackedTrainingJobRepository jobs;

  TrainingLabels(TrackedTrainingJobRepository jobs) {
    this.jobs = jobs;
  }

  Optional<TrackedTrainingJob> of(EvaluationRun run) {
    if (run.producingJob() == null || run.producingJob().isBlank()) {
      return Optional.empty();
    }
    UUID job;
    try {
      job = UUID.fromString(run.producingJob());
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    return jobs.find(run.tenant(), job);
  }
}
