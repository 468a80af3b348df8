package dev.divergence.evaluation.inference;

import dev.divergence.platform.errors.ErrorKind;
import java.util.List;

/**
 * The model exists but cannot answer now: not loaded or failed to load (FAILED_PRECONDITION), still
 * being prepared, or the inference service unreachable after every retry (UNAVAILABLE), or no
 * answer within the deadline.
 */
public class ModelUnavailableException extends InferenceException {

  private final String model;
  private final String reason;

  public ModelUnavailableException(String model, String reason) {
    super(ErrorKind.UNAVAILABLE, "model '" + model + "' is not available: " + reason, List.of());
    this.model = model;
    this.reason = reason;
  }

  public String model() {
    return model;
  }

  public String reason() {
    return reason;
  }
}
