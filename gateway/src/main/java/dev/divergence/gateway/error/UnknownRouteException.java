package dev.divergence.gateway.error;

import dev.divergence.platform.errors.ApiException;
import dev.divergence.platform.errors.ErrorKind;
import java.util.List;

/** No route, no gateway endpoint and no static resource matches the request. */
public class UnknownRouteException extends ApiException {

  public UnknownRouteException(String method, String path) {
    super(ErrorKind.NOT_FOUND, "No route matches " + method + " " + path, List.of());
  }
}
