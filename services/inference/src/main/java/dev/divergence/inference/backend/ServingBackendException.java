package dev.divergence.inference.backend;

import dev.divergence.platform.errors.ApiException;
import dev.divergence.platform.errors.ConflictException;
import dev.divergence.platform.errors.ErrorKind;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;

/** The serving backend (embedded server or Triton) could not answer: 503 / UNAVAILABLE for the caller. */
public final class ServingBackendException extends ApiException {

  private ServingBackendException(String message) {
    super(ErrorKind.UNAVAILABLE, message, List.of());
  }

  /**
   * What a failed backend call means to the caller: the backend down or too slow is 503; the model
   * gone from the backend (unloaded between the catalog check and the call) is 409, as for a model
   * that is not READY; anything else is a fault of this service (500).
   */
  public static RuntimeException translate(StatusRuntimeException e, String model) {
    Status.Code code = e.getStatus().getCode();
    return switch (code) {
      case UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED ->
          new ServingBackendException("the serving backend did not answer for model '" + model + "': " + code + " "
              + e.getStatus().getDescription());
      case NOT_FOUND -> new ConflictException("model '" + model + "' is not loaded in the serving backend: "
          + e.getStatus().getDescription());
      default -> new IllegalStateException("the serving backend refused a request for model '" + model + "': " + code + " "
          + e.getStatus().getDescription(), e);
    };
  }
}
