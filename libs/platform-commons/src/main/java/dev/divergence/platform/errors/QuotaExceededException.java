package dev.divergence.platform.errors;

import java.util.List;

/** The caller's tenant holds as much of a resource as its quota allows (429 / RESOURCE_EXHAUSTED). */
public class QuotaExceededException extends ApiException {

  public QuotaExceededException(String message) {
    super(ErrorKind.TOO_MANY_REQUESTS, message, List.of());
  }
}
