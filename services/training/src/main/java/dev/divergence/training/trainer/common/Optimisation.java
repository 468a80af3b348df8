package dev.divergence.training.trainer.common;

import ai.djl.ndarray.NDArray;
import dev.divergence.model.Parameters;
import dev.divergence.model.training.GradientClipping;
import dev.divergence.model.training.LearningRateSchedule;
import dev.divergence.training.job.Budget;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The optimiser side of a job: micro-batch backward passes, then clipping to the budget's global
 * norm, the scheduled learning rate and an AdamW update. Checkpointable.
 *
 * <p>Gradient accumulation: each micro-batch's loss is a mean over its own units (counted tokens,
 * preference pairs or samples, {@code count}). Its gradient is accumulated weighted by that count
 * and the step divides by the step's total count, so the step's gradient (and its loss) is the mean
 * over every unit of the step: k micro-batches equal one batch holding all of them, also when they
 * hold different numbers of tokens (TRL's normalisation by the number of items in the step). The
 * mean of per-micro-batch means would weigh a token of a short micro-batch more than one of a long
 * micro-batch.
 */
public final class Optimisation implements AutoCloseable {

  private final Parameters params;
  private final LearningRateSchedule schedule;
  private final int accumulation;
  private final double maxGradNorm;
  private final AdamW adamW;
  private final GradientRecording recording = new GradientRecording();
  private long stepCount;
  private double stepLossSum;

  /**
   * @param gradNorm the global norm of the step's (mean) gradient, before clipping
   * @param loss the step's loss: the count-weighted mean of its micro-batches' losses
   */
  public record Step(double gradNorm, double learningRate, double loss) {}

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

  /**
   * Back-propagates one micro-batch's loss, a mean over {@code count} units (counted tokens, pairs or
   * samples; 0 when the micro-batch has none, then it adds nothing); returns the loss's value.
   */
  public double backward(Supplier<NDArray> loss, long count) {
    if (count < 0) {
      throw new IllegalArgumentException("count must not be negative, got " + count);
    }
    // loss x count is the micro-batch's sum over its units; the step divides by the total count
    double sum = recording.backward(() -> loss.get().mul((float) count));
    stepCount += count;
    stepLossSum += sum;
    return count == 0 ? 0 : sum / count;
  }

  /**
   * The step's gradient so far, per parameter, as {@link #step} applies it before clipping: the
   * count-weighted mean of the micro-batches' gradients.
   */
  public Map<String, float[]> gradients() {
    double scale = gradientScale();
    Map<String, float[]> out = new LinkedHashMap<>();
    params.asMap().forEach((name, p) -> {
      float[] g = p.getGradient().toFloatArray();
      for (int i = 0; i < g.length; i++) {
        g[i] = (float) (g[i] * scale);
      }
      out.put(name, g);
    });
    return out;
  }

  /** Clips, updates at the rate of optimiser step {@code step} (0-based), zeroes the gradients. */
  public Step step(long step) {
    double scale = gradientScale();
    double norm = GradientClipping.globalNorm(params) * scale;
    double rate = schedule.rateAt((int) step);
    // the division by the step's count and the clipping folded into the update: no separate pass
    // over the gradients
    adamW.update(rate, scale * (maxGradNorm > 0 ? GradientClipping.clipFactor(norm, maxGradNorm) : 1));
    double loss = stepCount == 0 ? 0 : stepLossSum / stepCount;
    stepCount = 0;
    stepLossSum = 0;
    return new Step(norm, rate, loss);
  }

  /** 1 / (the step's total count); 1 when nothing counted (the gradients are then all zero). */
  private double gradientScale() {
    return stepCount == 0 ? 1 : 1.0 / stepCount;
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
