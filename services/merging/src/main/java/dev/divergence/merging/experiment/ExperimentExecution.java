package dev.divergence.merging.experiment;

import ai.djl.ndarray.NDManager;
import dev.divergence.merging.engine.ModelPair;
import dev.divergence.merging.models.BuiltInModelNotReadyException;
import dev.divergence.merging.models.ModelRegistryUnavailableException;
import dev.divergence.merging.models.ModelResolver;
import dev.divergence.platform.errors.ApiException;
import dev.divergence.platform.tenancy.TenantContext;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One claimed experiment on a worker thread, run as the experiment's tenant: load the pair (waiting for
 * built-in models still being prepared), run the
 * protocol, and end it SUCCEEDED with the results, CANCELLED, or FAILED with a reason a user can act on.
 */
final class ExperimentExecution {

  private static final Logger log = LoggerFactory.getLogger(ExperimentExecution.class);

  private final MergeExperiment experiment;
  private final ExperimentLifecycle lifecycle;
  private final ModelResolver models;
  private final Duration progressInterval;
  private final Duration modelsWait;
  private volatile boolean cancelRequested;
  private volatile boolean workerStopping;

  /** The reason a RUNNING experiment shows while it waits for built-in models being prepared. */
  static final String WAITING_FOR_MODELS = "waiting-for-models";

  ExperimentExecution(MergeExperiment experiment, ExperimentLifecycle lifecycle, ModelResolver models, Duration progressInterval,
      Duration modelsWait) {
    this.experiment = experiment;
    this.lifecycle = lifecycle;
    this.models = models;
    this.progressInterval = progressInterval;
    this.modelsWait = modelsWait;
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
      ExperimentResults results;
      try (ModelResolver.Pair leases = readyPair(spec); NDManager m = models.manager().newSubManager()) {
        ModelPair pair = new ModelPair(leases.generalist().classifier(), leases.expert().classifier());
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
    } catch (BuiltInModelNotReadyException e) {
      String message = "the built-in model '" + e.model() + "' was still PREPARING after waiting " + modelsWait.toSeconds()
          + " s (divergence.merging.experiments.models-wait); GET /api/v1/merging/built-in-models shows when it is READY,"
          + " then create the experiment again";
      log.warn("merge experiment {} failed (models-not-ready): {}", experiment.id(), message);
      lifecycle.end(experiment.id(), ExperimentState.FAILED, "models-not-ready", message);
    } catch (ModelRegistryUnavailableException e) {
      fail("models-unavailable", e);
    } catch (ApiException | IllegalArgumentException e) {
      fail("invalid-input", e);
    } catch (RuntimeException e) {
      log.error("merge experiment {} failed unexpectedly", experiment.id(), e);
      fail("internal-error", e);
    }
  }

  /**
   * The pair, waiting (bounded by {@code models-wait}, still RUNNING with reason {@code waiting-for-models})
   * while the background preparation still has one of them, then checked as at creation: an experiment
   * accepted while its models were being prepared was not checked against them yet.
   */
  private ModelResolver.Pair readyPair(ExperimentSpec spec) {
    List<String> preparing = Stream.of(spec.generalist(), spec.expert()).filter(models::isPreparing).distinct().toList();
    if (!preparing.isEmpty()) {
      log.info("merge experiment {} waits for built-in models being prepared: {}", experiment.id(), preparing);
      lifecycle.note(experiment.id(), WAITING_FOR_MODELS, "waiting for the built-in models " + preparing
          + " being prepared since the service started (at most " + modelsWait.toSeconds() + " s)");
    }
    long deadline = System.nanoTime() + modelsWait.toNanos();
    Runnable checkpoint = () -> {
      if (cancelRequested || workerStopping) {
        throw new ExperimentCancelledException();
      }
    };
    ModelResolver.Lease generalist = models.await("generalist", spec.generalist(), modelsWait, checkpoint);
    try {
      ModelResolver.Lease expert = models.await("expert", spec.expert(), Duration.ofNanos(Math.max(0, deadline - System.nanoTime())),
          checkpoint);
      ModelResolver.Pair pair = new ModelResolver.Pair(generalist, expert);
      try {
        if (!preparing.isEmpty()) {
          lifecycle.note(experiment.id(), null, null);
        }
        ExperimentSpecValidator.checkAgainstModels(generalist.classifier(), expert.classifier(), spec.splits());
        return pair;
      } catch (RuntimeException e) {
        pair.close();
        throw e;
      }
    } catch (RuntimeException e) {
      generalist.close();
      throw e;
    }
  }

  private void fail(String reason, RuntimeException e) {
    log.warn("merge experiment {} failed ({}): {}", experiment.id(), reason, e.getMessage());
    lifecycle.end(experiment.id(), ExperimentState.FAILED, reason, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
  }
}
