package dev.divergence.gateway.error;

import dev.divergence.platform.errors.ApiException;
import dev.divergence.platform.errors.ErrorKind;
import java.util.List;

/**
 * A service behind the gateway did not answer: refused the connection, timed out, or its circuit is
 * open. Platform-commons' problem advice turns it into a 503 problem whose detail names the service.
 */
public class ServiceUnavailableException extends ApiException {

  private final String service;

  public ServiceUnavailableException(String service, String reason, Throwable cause) {
    super(ErrorKind.UNAVAILABLE, "The " + service + " service is unavailable: " + reason, List.of());
    this.service = service;
    initCause(cause);
  }

  public String service() {
    return service;
  }
}
