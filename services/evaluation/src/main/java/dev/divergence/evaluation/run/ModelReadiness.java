package dev.divergence.evaluation.run;

import dev.divergence.evaluation.inference.InferenceClient;
import dev.divergence.evaluation.inference.ModelNotFoundException;
import dev.divergence.evaluation.inference.ModelUnavailableException;
import dev.divergence.proto.inference.v1.ServedModel;
import dev.divergence.proto.inference.v1.ServingState;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waits, boundedly, until the inference service serves a run's models: a model registered a
 * moment ago may still be LOADING (or not yet known to inference, when the registration event
 * reaches evaluation first). A model that failed to load, was unloaded, or is still missing at the
 * deadline ends the run with a reason instead of hanging.
 */
final class ModelReadiness {

  private static final Duration POLL = Duration.ofMillis(500);

  private ModelReadiness() {
  }

  static void await(InferenceClient inference, String model, Duration timeout, boolean unknownMayAppear,
      BooleanSupplier cancelled) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      String why;
      try {
        ServedModel served = inference.model(model);
        if (served.getState() == ServingState.SERVING_STATE_READY) {
          return;
        }
        if (served.getState() == ServingState.SERVING_STATE_FAILED || served.getState() == ServingState.SERVING_STATE_UNLOADED) {
          throw new ModelUnavailableException(model, "the inference service reports it " + served.getState().name()
              .replace("SERVING_STATE_", "") + (served.getMessage().isEmpty() ? "" : ": " + served.getMessage()));
        }
        why = "still " + served.getState().name().replace("SERVING_STATE_", "");
      } catch (ModelNotFoundException e) {
        if (!unknownMayAppear) {
          throw e;
        }
        why = "not known to the inference service";
      }
      if (System.nanoTime() > deadline) {
        throw new ModelUnavailableException(model, why + " after " + timeout.toSeconds() + " s");
      }
      if (cancelled.getAsBoolean()) {
        throw new RunCancelledException();
      }
      try {
        Thread.sleep(POLL.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RunCancelledException();
      }
    }
  }
}
