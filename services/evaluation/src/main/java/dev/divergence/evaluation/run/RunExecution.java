package dev.divergence.evaluation.run;

import dev.divergence.evaluation.inference.InferenceClient;
import dev.divergence.evaluation.inference.ModelNotFoundException;
import dev.divergence.evaluation.inference.ModelUnavailableException;
import dev.divergence.evaluation.run.inputs.InputResolver;
import dev.divergence.evaluation.run.suite.MetricSuite;
import dev.divergence.evaluation.run.suite.Samples;
import dev.divergence.evaluation.run.suite.SuiteContext;
import dev.divergence.platform.errors.ApiException;
import dev.divergence.platform.tenancy.TenantContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One claimed run on a worker thread: resolve its inputs, run its suites in order, and end it
 * SUCCEEDED with the results, CANCELLED, or FAILED with a reason a user can act on. Any failure
 * ends the run; nothing waits forever (every model call carries a deadline).
 */
final class RunExecution {

  private static final Logger log = LoggerFactory.getLogger(RunExecution.class);

  private final EvaluationRun run;
  private final RunLifecycle lifecycle;
  private final InputResolver inputs;
  private final Map<Suite, MetricSuite> suites;
  private final InferenceClient inference;
  private final Duration progressInterval;
  private final Duration modelReadyTimeout;
  private volatile boolean cancelRequested;
  private volatile boolean workerStopping;

  RunExecution(EvaluationRun run, RunLifecycle lifecycle, InputResolver inputs, Map<Suite, MetricSuite> suites,
      InferenceClient inference, Duration progressInterval, Duration modelReadyTimeout) {
    this.run = run;
    this.lifecycle = lifecycle;
    this.inputs = inputs;
    this.suites = suites;
    this.inference = inference;
    this.progressInterval = progressInterval;
    this.modelReadyTimeout = modelReadyTimeout;
  }

  private boolean stopping() {
    return cancelRequested || workerStopping;
  }

  void requestCancel() {
    cancelRequested = true;
  }

  /** The process is shutting down: stop at the next model call and hand the run back to the queue. */
  void workerStopping() {
    workerStopping = true;
  }

  void run() {
    TenantContext.runAs(run.tenant(), this::execute);
  }

  private void execute() {
    log.info("evaluation run {} started: model {} suites {}", run.id(), run.spec().model(), run.spec().suites());
    try {
      boolean automatic = run.trigger() == EvaluationRun.Trigger.AUTOMATIC;
      ModelReadiness.await(inference, run.spec().model(), modelReadyTimeout, automatic, this::stopping);
      if (run.spec().referenceModel() != null) {
        ModelReadiness.await(inference, run.spec().referenceModel(), modelReadyTimeout, automatic, this::stopping);
      }
      RunInputs resolved = inputs.resolve(run.spec());
      List<MetricSuite> planned = run.spec().suites().stream()
          .map(name -> suites.get(Suite.byApiName(name).orElseThrow())).toList();
      long total = planned.stream().mapToLong(s -> s.workUnits(run.spec(), resolved)).sum();
      AtomicLong done = new AtomicLong();
      long[] lastWrite = {0};
      lifecycle.progress(run.id(), new RunProgress(0, total));
      List<SuiteResult> results = new ArrayList<>();
      Samples samples = new Samples();
      for (MetricSuite suite : planned) {
        SuiteContext context = new SuiteContext(run.spec(), resolved, inference, units -> {
          long now = System.nanoTime();
          long value = done.addAndGet(units);
          if (now - lastWrite[0] >= progressInterval.toNanos()) {
            lastWrite[0] = now;
            lifecycle.progress(run.id(), new RunProgress(Math.min(value, total), total));
          }
        }, this::stopping, samples);
        context.checkCancelled();
        results.add(suite.run(context));
      }
      lifecycle.succeed(run.id(), results);
      log.info("evaluation run {} succeeded", run.id());
    } catch (RunCancelledException e) {
      if (workerStopping && !cancelRequested) {
        lifecycle.requeue(run.id(), "worker-stopped");
        log.info("evaluation run {} handed back to the queue: this worker is stopping", run.id());
        return;
      }
      lifecycle.end(run.id(), RunState.CANCELLED, "cancelled-by-user", null);
      log.info("evaluation run {} cancelled", run.id());
    } catch (ModelNotFoundException e) {
      fail("model-not-found", e);
    } catch (ModelUnavailableException e) {
      fail("model-unavailable", e);
    } catch (ApiException | IllegalArgumentException e) {
      fail("invalid-input", e);
    } catch (RuntimeException e) {
      log.error("evaluation run {} failed unexpectedly", run.id(), e);
      fail("internal-error", e);
    }
  }

  private void fail(String reason, RuntimeException e) {
    log.warn("evaluation run {} failed ({}): {}", run.id(), reason, e.getMessage());
    lifecycle.end(run.id(), RunState.FAILED, reason, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
  }
}
