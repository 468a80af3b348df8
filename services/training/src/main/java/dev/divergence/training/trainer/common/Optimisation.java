package dev.divergence.training.trainer.common;

import ai.djl.ndarray.NDArray;
import dev.divergence.model.Parameters;
import dev.divergence.model.training.GradientClipping;
import dev.divergence.model.training.LearningRateSchedule;
import dev.divergence.training.job.Budget;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * The optimiser side of a job: micro-batch backward passes (each loss divided by the accumulation
 * count, so k micro-batches equal one k-times larger batch), then clipping to the budget's global
 * norm, the scheduled learning rate and an AdamW update. Checkpointable.
 */
public final class Optimisation implements AutoCloseable {

  private final Parameters params;
  private final LearningRateSchedule schedule;
  private final int accumulation;
  private final double maxGradNorm;
  private final AdamW adamW;
  private final GradientRecording recording = new GradientRecording();

  public record Step(double gradNorm, double learningRate) {}

  public Optimisation(Parameters params, Budget budget) {
    this.params = params;
    this.schedule = schedule(budget);
    this.accumulation = budget.gradientAccumulation();
    this.maxGradNorm = budget.maxGradNorm();
    params.requireGradients();
    this.adamW = AdamW.standard(params);
  }

  /** The budget's schedule: warm-up, then constant, linear or cosine decay to 0 at maxSteps. */
  static LearningRateSchedule schedule(Budget budget) {
    int warmup = budget.warmupSteps();
    int total = (int) Math.max(budget.maxSteps(), warmup + 1);
    return switch (budget.schedule()) {
      case "constant" -> LearningRateSchedule.constant(budget.learningRate(), warmup);
      case "linear" -> LearningRateSchedule.linear(budget.learningRate(), warmup, total);
      default -> LearningRateSchedule.cosine(budget.learningRate(), warmup, total, 0);
    };
  }

  public int accumulation() {
    return accumulation;
  }

  /** Back-propagates one micro-batch's loss (divided by the accumulation count); returns its undivided value. */
  public double backward(Supplier<NDArray> loss) {
    return recording.backward(() -> loss.get().div(accumulation)) * accumulation;
  }

  /** Clips, updates at the rate of optimiser step {@code step} (0-based), zeroes the gradients. */
  public Step step(long step) {
    double norm = GradientClipping.globalNorm(params);
    double rate = schedule.rateAt((int) step);
    // clipping folded into the update: no separate pass over the gradients
    adamW.update(rate, maxGradNorm > 0 ? GradientClipping.clipFactor(norm, maxGradNorm) : 1);
    return new Step(norm, rate);
  }

  public void save(Path dir) {
    adamW.save(dir);
  }

  public void load(Path dir, long stepsDone) {
    adamW.load(dir, stepsDone);
  }

  @Override
  public void close() {
    recording.close();
  }
}
