package dev.divergence.training.trainer.common;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.divergence.model.Parameters;
import dev.divergence.model.io.Checkpoints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW with PyTorch's semantics (decoupled weight decay, bias-corrected moments), written out so
 * that its state (first and second moments, step count) can be checkpointed and restored exactly.
 * Weight decay applies to matrices and convolution kernels only, not to biases and norm weights
 * (the Hugging Face Trainer's convention).
 */
public final class AdamW {

  private final Parameters params;
  private final double beta1;
  private final double beta2;
  private final double epsilon;
  private final double weightDecay;
  private final Map<String, NDArray> first = new LinkedHashMap<>();
  private final Map<String, NDArray> second = new LinkedHashMap<>();
  private long updates;

  public AdamW(Parameters params, double beta1, double beta2, double epsilon, double weightDecay) {
    this.params = params;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.weightDecay = weightDecay;
    for (Map.Entry<String, NDArray> e : params.asMap().entrySet()) {
      first.put(e.getKey(), stateArray(e.getValue()));
      second.put(e.getKey(), stateArray(e.getValue()));
    }
  }

  public static AdamW standard(Parameters params) {
    return new AdamW(params, 0.9, 0.999, 1e-8, 0.01);
  }

  private NDArray stateArray(NDArray like) {
    NDArray zeros = params.manager().zeros(like.getShape(), like.getDataType());
    zeros.setRequiresGradient(false);
    return zeros;
  }

  public long updates() {
    return updates;
  }

  /** One update with the gradients currently held by the parameters; then zeroes them. */
  public void update(double learningRate) {
    updates++;
    double correction1 = 1 - Math.pow(beta1, updates);
    double correction2 = 1 - Math.pow(beta2, updates);
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      for (Map.Entry<String, NDArray> e : params.asMap().entrySet()) {
        NDArray p = e.getValue();
        if (!p.hasGradient()) {
          continue;
        }
        NDArray g = p.getGradient();
        NDArray m = first.get(e.getKey());
        NDArray v = second.get(e.getKey());
        m.muli((float) beta1).addi(g.mul((float) (1 - beta1)));
        v.muli((float) beta2).addi(g.square().mul((float) (1 - beta2)));
        if (weightDecay > 0 && p.getShape().dimension() >= 2) {
          p.muli((float) (1 - learningRate * weightDecay));
        }
        NDArray denominator = v.div((float) correction2).sqrt().add((float) epsilon);
        p.subi(m.div(denominator).mul((float) (learningRate / correction1)));
        g.subi(g); // zero in place: the next step accumulates into fresh zeros
      }
    }
  }

  public void save(Path dir) {
    Map<String, NDArray> state = new LinkedHashMap<>();
    first.forEach((name, a) -> state.put("exp_avg." + name, a));
    second.forEach((name, a) -> state.put("exp_avg_sq." + name, a));
    Checkpoints.save(dir, state, Checkpoints.DEFAULT_MAX_SHARD_BYTES);
  }

  /** Restores moments saved by {@link #save}; {@code updates} comes from the trainer state. */
  public void load(Path dir, long updatesDone) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException("checkpoint has no optimizer state at " + dir);
    }
    try (NDManager scratch = params.manager().newSubManager()) {
      Map<String, NDArray> state = Checkpoints.load(scratch, dir);
      for (String name : first.keySet()) {
        first.get(name).set(state.get("exp_avg." + name).toFloatArray());
        second.get(name).set(state.get("exp_avg_sq." + name).toFloatArray());
      }
    }
    this.updates = updatesDone;
  }
}
