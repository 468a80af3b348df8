package dev.divergence.training.trainer.common;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.divergence.model.Parameters;
import dev.divergence.model.io.Checkpoints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The jobs' optimiser: libs/model's AdamW (PyTorch's semantics: decoupled weight decay,
 * bias-corrected moments; gradients used as scratch, clipping folded into the update) with weight
 * decay on matrices and convolution kernels only, not on biases and norm weights (the Hugging Face
 * Trainer's convention), and its state saved in checkpoints as {@code exp_avg.<name>} and
 * {@code exp_avg_sq.<name>} safetensors (PyTorch's state names).
 */
public final class AdamW {

  private final Parameters params;
  private final dev.divergence.model.training.AdamW adamW;

  public AdamW(Parameters params, double beta1, double beta2, double epsilon, double weightDecay) {
    this.params = params;
    this.adamW = new dev.divergence.model.training.AdamW(params, beta1, beta2, epsilon, weightDecay,
        p -> p.getShape().dimension() >= 2);
  }

  public static AdamW standard(Parameters params) {
    return new AdamW(params, 0.9, 0.999, 1e-8, 0.01);
  }

  public long updates() {
    return adamW.updates();
  }

  /** One update with the gradients currently held by the parameters; then zeroes them. */
  public void update(double learningRate) {
    update(learningRate, 1);
  }

  /** The same with the gradients multiplied by {@code gradientScale} first (the clipping factor). */
  public void update(double learningRate, double gradientScale) {
    adamW.update(learningRate, gradientScale);
  }

  public void save(Path dir) {
    Map<String, NDArray> state = new LinkedHashMap<>();
    adamW.firstMoments().forEach((name, a) -> state.put("exp_avg." + name, a));
    adamW.secondMoments().forEach((name, a) -> state.put("exp_avg_sq." + name, a));
    Checkpoints.save(dir, state, Checkpoints.DEFAULT_MAX_SHARD_BYTES);
  }

  /** Restores moments saved by {@link #save}; {@code updates} comes from the trainer state. */
  public void load(Path dir, long updatesDone) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException("checkpoint has no optimizer state at " + dir);
    }
    try (NDManager scratch = params.manager().newSubManager()) {
      Map<String, NDArray> state = Checkpoints.load(scratch, dir);
      Map<String, NDArray> first = new LinkedHashMap<>();
      Map<String, NDArray> second = new LinkedHashMap<>();
      for (String name : params.asMap().keySet()) {
        first.put(name, state.get("exp_avg." + name));
        second.put(name, state.get("exp_avg_sq." + name));
      }
      adamW.restore(first, second, updatesDone);
    }
  }
}
