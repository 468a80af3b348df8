package dev.divergence.merging.experiment;

import ai.djl.ndarray.NDManager;
import dev.divergence.merging.engine.ModelPair;
import dev.divergence.merging.models.BuiltInClassifiers;
import dev.divergence.platform.errors.ApiException;
import dev.divergence.platform.tenancy.TenantContext;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One claimed experiment on a worker thread, run as the experiment's tenant: load the pair, run the
 * protocol, and end it SUCCEEDED with the results, CANCELLED, or FAILED with a reason a user can act on.
 */
final class ExperimentExecution {

  private static final Logger log = LoggerFactory.getLogger(ExperimentExecution.class);

  private final MergeExperiment experiment;
  private final ExperimentLifecycle lifecycle;
  private final BuiltInClassifiers models;
  private final Duration progressInterval;
  private volatile boolean cancelRequested;
  private volatile boolean workerStopping;

  ExperimentExecution(MergeExperiment experiment, ExperimentLifecycle lifecycle, BuiltInClassifiers models, Duration progressInterval) {
    this.experiment = experiment;
    this.lifecycle = lifecycle;
    this.models = models;
    this.progressInterval = progressInterval;
  }

  void requestCancel() {
    cancelRequested = true;
  }

  /** The process is shutting down: stop before the next evaluation and hand the experiment back to the queue. */
  void workerStopping() {
    workerStopping = true;
  }

  void run() {
    TenantContext.runAs(experiment.tenant(), this::execute);
  }

  private void execute() {
    ExperimentSpec spec = experiment.spec();
    log.info("merge experiment {} started: {} / {} methods {} splits {} seeds {}", experiment.id(), spec.generalist(), spec.expert(),
        spec.methods(), spec.splits().stream().map(ExperimentSpec.Split::name).toList(), spec.seeds());
    try {
      long total = ExperimentProtocol.workUnits(spec);
      lifecycle.progress(experiment.id(), new ExperimentProgress(0, total));
      long[] lastWrite = {System.nanoTime()};
      ModelPair pair = new ModelPair(models.get("generalist", spec.generalist()), models.get("expert", spec.expert()));
      ExperimentResults results;
      try (NDManager m = models.manager().newSubManager()) {
        results = ExperimentProtocol.run(spec, pair, m, done -> {
          long now = System.nanoTime();
          if (now - lastWrite[0] >= progressInterval.toNanos()) {
            lastWrite[0] = now;
            lifecycle.progress(experiment.id(), new ExperimentProgress(Math.min(done, total), total));
          }
        }, () -> {
          if (cancelRequested || workerStopping) {
            throw new ExperimentCancelledException();
          }
        });
      }
      lifecycle.succeed(experiment.id(), results);
      log.info("merge experiment {} succeeded", experiment.id());
    } catch (ExperimentCancelledException e) {
      if (workerStopping && !cancelRequested) {
        lifecycle.requeue(experiment.id(), "worker-stopped");
        log.info("merge experiment {} handed back to the queue: this worker is stopping", experiment.id());
        return;
      }
      lifecycle.end(experiment.id(), ExperimentState.CANCELLED, "cancelled-by-user", null);
      log.info("merge experiment {} cancelled", experiment.id());
    } catch (ApiException | IllegalArgumentException e) {
      fail("invalid-input", e);
    } catch (RuntimeException e) {
      log.error("merge experiment {} failed unexpectedly", experiment.id(), e);
      fail("internal-error", e);
    }
  }

  private void fail(String reason, RuntimeException e) {
    log.warn("merge experiment {} failed ({}): {}", experiment.id(), reason, e.getMessage());
    lifecycle.end(experiment.id(), ExperimentState.FAILED, reason, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
  }
}
