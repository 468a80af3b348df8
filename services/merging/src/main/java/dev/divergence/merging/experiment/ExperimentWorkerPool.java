package dev.divergence.merging.experiment;

import dev.divergence.merging.models.ModelResolver;
import dev.divergence.platform.jobs.ClaimLoop;
import dev.divergence.platform.jobs.JobQueue;
import dev.divergence.platform.jobs.JobWorkerPool;
import dev.divergence.platform.jobs.RunningJob;
import org.springframework.stereotype.Component;

/**
 * Runs merge experiments in this process: {@code workers} threads claim QUEUED experiments from the
 * database (so replicas share the queue), a housekeeping thread heartbeats them, passes
 * cancellations on, and queues again the experiments of workers that vanished (the shared
 * {@link ClaimLoop}).
 */
@Component
public class ExperimentWorkerPool extends JobWorkerPool<MergeExperiment> implements ExperimentWakeUp {

  public ExperimentWorkerPool(ExperimentLifecycle lifecycle, ModelResolver models, ExperimentsProperties properties) {
    super(new ClaimLoop.Settings("merge experiment", "merge-experiment", properties.workers(),
        properties.heartbeatInterval()), JobQueue.of(lifecycle::claimNext, MergeExperiment::id, experiment -> {
          ExperimentExecution execution = new ExperimentExecution(experiment, lifecycle, models,
              properties.progressInterval(), properties.modelsWait());
          return RunningJob.of(execution::run, execution::requestCancel, execution::workerStopping);
        }, lifecycle::heartbeat,
        () -> lifecycle.requeueLost(properties.workerLostAfter()).stream().map(MergeExperiment::id).toList()));
  }
}
