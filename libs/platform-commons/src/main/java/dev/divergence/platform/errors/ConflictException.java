package dev.divergence.platform.errors;

import java.util.List;

/** The request is valid but the resource's current state does not allow it (e.g. cancel a finished job). */
public class ConflictException extends ApiException {

  public ConflictException(String message) {
    super(ErrorKind.CONFLICT, message, List.of());
  }
}
