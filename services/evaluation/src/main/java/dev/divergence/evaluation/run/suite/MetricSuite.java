package dev.divergence.evaluation.run.suite;

import dev.divergence.evaluation.run.RunInputs;
import dev.divergence.evaluation.run.RunSpec;
import dev.divergence.evaluation.run.Suite;
import dev.divergence.evaluation.run.SuiteResult;

/**
 * One suite of metrics. A suite asks the inference service for every model output (through the
 * context), computes its metrics with libs/divergence, reports progress in work units and checks
 * for cancellation between model calls.
 */
public interface MetricSuite {

  Suite suite();

  /** How many units {@link SuiteContext#advance} will be told about, for progress. */
  long workUnits(RunSpec spec, RunInputs inputs);

  SuiteResult run(SuiteContext context);
}
