package dev.divergence.merging.models;

import dev.divergence.platform.errors.ApiException;
import dev.divergence.platform.errors.ErrorKind;
import java.util.List;

/**
 * The model registry (the training service's ModelRegistryService) could not answer, or a model it
 * registered cannot be read here: 503 problem+json over REST, UNAVAILABLE over gRPC. Nothing the
 * caller sent is wrong; the same request may succeed later.
 */
public class ModelRegistryUnavailableException extends ApiException {

  public ModelRegistryUnavailableException(String message) {
    super(ErrorKind.UNAVAILABLE, message, List.of());
  }
}
