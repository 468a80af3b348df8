package dev.divergence.evaluation.run;

import dev.divergence.evaluation.inference.InferenceClient;
import dev.divergence.evaluation.run.inputs.InputResolver;
import dev.divergence.evaluation.run.suite.MetricSuite;
import dev.divergence.platform.jobs.ClaimLoop;
import dev.divergence.platform.jobs.JobQueue;
import dev.divergence.platform.jobs.JobWorkerPool;
import dev.divergence.platform.jobs.RunningJob;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Runs evaluation runs in this process: {@code workers} threads claim QUEUED runs from the database
 * (so replicas share the queue), a housekeeping thread heartbeats them, passes cancellations on,
 * and queues again the runs of workers that vanished (the shared {@link ClaimLoop}).
 */
@Component
public class RunWorkerPool extends JobWorkerPool<EvaluationRun> implements RunWakeUp {

  private static final Logger log = LoggerFactory.getLogger(RunWorkerPool.class);

  private final List<Suite> suites;

  public RunWorkerPool(RunLifecycle lifecycle, InputResolver inputs, List<MetricSuite> suites, InferenceClient inference,
      RunsProperties properties) {
    super(new ClaimLoop.Settings("evaluation run", "evaluation", properties.workers(), properties.heartbeatInterval()),
        queue(lifecycle, inputs, suites, inference, properties));
    this.suites = suites.stream().map(MetricSuite::suite).sorted().toList();
  }

  private static JobQueue<EvaluationRun> queue(RunLifecycle lifecycle, InputResolver inputs, List<MetricSuite> suites,
      InferenceClient inference, RunsProperties properties) {
    Map<Suite, MetricSuite> bySuite = new EnumMap<>(Suite.class);
    suites.forEach(suite -> bySuite.put(suite.suite(), suite));
    return JobQueue.of(lifecycle::claimNext, EvaluationRun::id, run -> {
      RunExecution execution = new RunExecution(run, lifecycle, inputs, bySuite, inference, properties.progressInterval(),
          properties.modelReadyTimeout());
      return RunningJob.of(execution::run, execution::requestCancel, execution::workerStopping);
    }, lifecycle::heartbeat,
        () -> lifecycle.requeueLost(properties.workerLostAfter()).stream().map(EvaluationRun::id).toList());
  }

  @Override
  public void start() {
    super.start();
    log.info("evaluation runner {} serves suites {}", workerId(), suites);
  }
}
