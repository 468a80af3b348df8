package dev.divergence.evaluation.run.suite;

import dev.divergence.evaluation.inference.InferenceClient;
import dev.divergence.evaluation.run.RunCancelledException;
import dev.divergence.evaluation.run.RunInputs;
import dev.divergence.evaluation.run.RunSpec;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

/** What a suite gets to run: the validated spec, its inputs, the inference client, progress and cancellation. */
public final class SuiteContext {

  private final RunSpec spec;
  private final RunInputs inputs;
  private final InferenceClient inference;
  private final LongConsumer progress;
  private final BooleanSupplier cancelled;
  private final Samples samples;

  public SuiteContext(RunSpec spec, RunInputs inputs, InferenceClient inference, LongConsumer progress,
      BooleanSupplier cancelled, Samples samples) {
    this.spec = spec;
    this.inputs = inputs;
    this.inference = inference;
    this.progress = progress;
    this.cancelled = cancelled;
    this.samples = samples;
  }

  /** The model's samples per prompt, drawn on first use and shared by every suite of the run. */
  public java.util.List<java.util.List<dev.divergence.proto.inference.v1.GenerateResponse>> samples() {
    return samples.get(this);
  }

  public RunSpec spec() {
    return spec;
  }

  public RunInputs inputs() {
    return inputs;
  }

  public InferenceClient inference() {
    return inference;
  }

  public double confidenceLevel() {
    return spec.confidenceLevel();
  }

  /** Reports {@code units} more work done, and stops the suite when the run was cancelled meanwhile. */
  public void advance(long units) {
    progress.accept(units);
    checkCancelled();
  }

  public void checkCancelled() {
    if (cancelled.getAsBoolean()) {
      throw new RunCancelledException();
    }
  }
}
