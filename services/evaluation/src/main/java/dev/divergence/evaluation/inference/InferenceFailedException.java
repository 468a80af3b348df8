package dev.divergence.evaluation.inference;

import dev.divergence.platform.errors.ErrorKind;
import java.util.List;

/** The inference service failed in a way that is neither the caller's nor the model's state (INTERNAL, UNKNOWN, ...). */
public class InferenceFailedException extends InferenceException {

  public InferenceFailedException(String message) {
    super(ErrorKind.UNAVAILABLE, message, List.of());
  }
}
