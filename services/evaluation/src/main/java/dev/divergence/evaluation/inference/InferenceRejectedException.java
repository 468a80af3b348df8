package dev.divergence.evaluation.inference;

import dev.divergence.platform.errors.ErrorKind;
import dev.divergence.platform.errors.FieldViolation;
import java.util.List;

/**
 * The inference service refused the request (INVALID_ARGUMENT, or a message over its size limit):
 * asking again will not help. Fields are named as in the caller's whole list, not the chunk sent.
 */
public class InferenceRejectedException extends InferenceException {

  public InferenceRejectedException(String message) {
    this(message, List.of());
  }

  public InferenceRejectedException(String message, List<FieldViolation> violations) {
    super(ErrorKind.INVALID_ARGUMENT, "the inference service rejected the request: " + message, violations);
  }
}
