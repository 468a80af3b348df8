package dev.divergence.platform.errors;

import java.util.List;

/** A request body larger than the edge accepts (413 / RESOURCE_EXHAUSTED). */
public class PayloadTooLargeException extends ApiException {

  public PayloadTooLargeException(String message) {
    super(ErrorKind.PAYLOAD_TOO_LARGE, message, List.of());
  }
}
