package dev.divergence.training.trainer.common;

import dev.divergence.training.checkpoint.CheckpointStore;
import dev.divergence.training.job.Budget;
import dev.divergence.training.trainer.TrainingRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The step loop every trainer shares: resume from the job's latest checkpoint, then per step check
 * for cancellation, run the trainer's micro-batches, clip and update, report metrics (TRL names:
 * loss, grad_norm, learning_rate, tokens_per_second or samples_per_second, epoch, plus the trainer's
 * own), and checkpoint every {@code budget.checkpointEvery} steps and at the last step.
 *
 * <p>A checkpoint folder holds {@code model/} (the Hugging Face folder: config.json +
 * model.safetensors), {@code optimizer/} (AdamW moments as safetensors) and
 * {@code trainer_state.json} (step = scheduler position, seed = RNG state, samples seen = data position).
 */
public final class TrainingLoop {

  /**
   * What one optimiser step's micro-batches produced (the step's loss comes from
   * {@link Optimisation}, which weighs the micro-batches as their gradients are weighed).
   *
   * @param metrics the trainer's own metrics, over all the step's micro-batches ({@link StepMetrics})
   */
  public record StepOutput(Map<String, Double> metrics, long samples, long tokens) {}

  @FunctionalInterface
  public interface StepFunction {
    /**
     * Runs the micro-batches of optimiser step {@code step} (backward passes through
     * {@link Optimisation#backward}); {@code samplesSeen} is the data position before it.
     */
    StepOutput run(long step, long samplesSeen);
  }

  private final TrainingRun run;
  private final Budget budget;
  private final Optional<CheckpointStore.Checkpoint> resumeFrom;
  private Consumer<Path> extraState = dir -> { };

  public TrainingLoop(TrainingRun run) {
    this.run = run;
    this.budget = run.spec().budget();
    this.resumeFrom = run.checkpoints().latest();
  }

  /** The checkpoint folder this run resumes from, if it resumes (trainers read their extra state from it). */
  public Optional<Path> resumeDir() {
    return resumeFrom.map(CheckpointStore.Checkpoint::dir);
  }

  /**
   * What a trainer keeps besides weights, optimiser and position (e.g. f-DPG's moving averages):
   * {@code writer} adds its files to each checkpoint folder, written after the step it belongs to.
   */
  public TrainingLoop withExtraState(Consumer<Path> writer) {
    this.extraState = writer;
    return this;
  }

  /** The folder to load the trained model's weights from: the checkpoint's when resuming, else {@code base}. */
  public Path weightsDir(Path base) {
    return resumeFrom.map(c -> c.dir().resolve("model")).filter(Files::isDirectory).orElse(base);
  }

  /**
   * Runs to {@code budget.maxSteps}; returns the metrics of the last step.
   *
   * @param datasetSize examples per epoch (for the epoch metric; 0 when unknown)
   * @param saveModel writes the model's Hugging Face folder into the given directory
   * @param tokensUnit "tokens" for language models, "samples" for classifiers (throughput metric name)
   */
  public Map<String, Double> run(Optimisation optimisation, StepFunction stepFunction, Consumer<Path> saveModel,
      long datasetSize, String tokensUnit) {
    long step = 0;
    long samplesSeen = 0;
    if (resumeFrom.isPresent()) {
      TrainerState state = TrainerState.read(resumeFrom.get().dir());
      step = state.step();
      samplesSeen = state.samplesSeen();
      optimisation.load(resumeFrom.get().dir().resolve("optimizer"), step);
      run.log("resumed at step " + step + " (" + samplesSeen + " samples seen)");
    }
    Map<String, Double> last = new LinkedHashMap<>();
    long maxSteps = budget.maxSteps();
    while (step < maxSteps) {
      run.throwIfCancelled();
      long started = System.nanoTime();
      StepOutput output = stepFunction.run(step, samplesSeen);
      Optimisation.Step update = optimisation.step(step);
      double seconds = Math.max((System.nanoTime() - started) / 1e9, 1e-9);
      samplesSeen += output.samples();
      step++;
      Map<String, Double> metrics = new LinkedHashMap<>();
      metrics.put("loss", update.loss());
      metrics.put("grad_norm", update.gradNorm());
      metrics.put("learning_rate", update.learningRate());
      metrics.put(tokensUnit + "_per_second", ("tokens".equals(tokensUnit) ? output.tokens() : output.samples()) / seconds);
      if (datasetSize > 0) {
        metrics.put("epoch", (double) samplesSeen / datasetSize);
      }
      metrics.putAll(output.metrics());
      run.reportStep(step, metrics);
      last = metrics;
      if (step % budget.checkpointEvery() == 0 || step == maxSteps) {
        save(optimisation, saveModel, step, samplesSeen);
      }
    }
    return last;
  }

  private void save(Optimisation optimisation, Consumer<Path> saveModel, long step, long samplesSeen) {
    run.checkpoints().save(step, dir -> {
      saveModel.accept(dir.resolve("model"));
      optimisation.save(dir.resolve("optimizer"));
      new TrainerState(step, budget.seed(), samplesSeen).write(dir);
      extraState.accept(dir);
    });
  }
}
