package dev.divergence.training.trainer.common;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.Parameters;
import dev.divergence.model.training.LearningRateSchedule;
import dev.divergence.model.training.OptimizerSpec;
import dev.divergence.model.training.ParameterTrainer;
import java.util.function.Supplier;

/**
 * Runs one forward + backward pass. DJL's PyTorch gradient collector is process-wide, and
 * libs/model's {@link ParameterTrainer} serialises every recording behind a private lock (built-in
 * models are trained with it, possibly on another worker thread). To take part in that same lock,
 * the backward runs through a ParameterTrainer that owns no parameters: it records, back-propagates
 * into whatever arrays the loss was built from (our model's parameters, which accumulate their
 * gradients) and updates nothing. The optimiser step is {@link AdamW}'s, whose state a checkpoint
 * holds.
 */
public final class GradientRecording implements AutoCloseable {

  private final NDManager manager = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
  private final ParameterTrainer recorder = new ParameterTrainer(new Parameters(manager),
      OptimizerSpec.sgd(LearningRateSchedule.constant(1.0, 0), 0, 0), 1, 0);

  /**
   * Builds the loss inside gradient recording and back-propagates it. Every array made while the
   * loss is built is released afterwards (an NDScope), so copy what you need out as Java values.
   *
   * @return the loss value
   */
  public double backward(Supplier<NDArray> loss) {
    return recorder.microBatch(loss).loss();
  }

  @Override
  public void close() {
    manager.close();
  }
}
