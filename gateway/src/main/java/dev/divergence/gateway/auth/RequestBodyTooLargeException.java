package dev.divergence.gateway.auth;

import java.io.IOException;

/**
 * Thrown from a read of a request body that passes the edge's limit. The proxy reports it wrapped in
 * its own transport failure; the route's circuit breaker recognises it with {@link #causedBy}, so a
 * caller's oversize body is a 413 and never counts against the service's health.
 */
public final class RequestBodyTooLargeException extends IOException {

  public RequestBodyTooLargeException(long maxBytes) {
    super("the request body has more than " + maxBytes + " bytes");
  }

  /** The oversize read behind {@code failure}, if there is one. */
  public static java.util.Optional<RequestBodyTooLargeException> causedBy(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof RequestBodyTooLargeException tooLarge) {
        return java.util.Optional.of(tooLarge);
      }
    }
    return java.util.Optional.empty();
  }
}
