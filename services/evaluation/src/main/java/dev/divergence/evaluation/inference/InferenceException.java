package dev.divergence.evaluation.inference;

import dev.divergence.platform.errors.ApiException;
import dev.divergence.platform.errors.ErrorKind;
import dev.divergence.platform.errors.FieldViolation;
import java.util.List;

/**
 * A call to the inference service that did not give an answer. The message is meant for the user:
 * an evaluation run that fails with it stores it as the run's reason. Being an {@link ApiException},
 * it also becomes the matching problem or gRPC status if it reaches an API of this service.
 */
public abstract class InferenceException extends ApiException {

  protected InferenceException(ErrorKind kind, String message, List<FieldViolation> violations) {
    super(kind, message, violations);
  }
}
