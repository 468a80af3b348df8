package dev.divergence.gateway.route;

import dev.divergence.gateway.GatewayProperties;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpMethod;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.servlet.function.HandlerFilterFunction;
import org.springframework.web.servlet.function.HandlerFunction;
import org.springframework.web.servlet.function.ServerRequest;
import org.springframework.web.servlet.function.ServerResponse;

/**
 * Tries a safe request again when no connection could be made (a service restarting, a port not yet
 * open). Timeouts are not retried: the service may still be working on the first attempt, and the
 * caller has already waited the whole read timeout.
 */
final class ConnectionFailureRetryFilter implements HandlerFilterFunction<ServerResponse, ServerResponse> {

  private static final Logger log = LoggerFactory.getLogger(ConnectionFailureRetryFilter.class);
  private static final Set<HttpMethod> SAFE_METHODS = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS);

  private final String service;
  private final GatewayProperties.Retry retry;

  ConnectionFailureRetryFilter(String service, GatewayProperties.Retry retry) {
    this.service = service;
    this.retry = retry;
  }

  @Override
  public ServerResponse filter(ServerRequest request, HandlerFunction<ServerResponse> next) throws Exception {
    if (!SAFE_METHODS.contains(request.method())) {
      return next.handle(request);
    }
    for (int attempt = 1; ; attempt++) {
      try {
        return next.handle(request);
      } catch (ResourceAccessException failure) {
        if (attempt >= retry.maxAttempts() || !TransportFailure.of(failure).beforeRequestSent()) {
          throw failure;
        }
        log.debug("{} not reachable (attempt {} of {}), retrying", service, attempt, retry.maxAttempts());
        Thread.sleep(retry.backoff().toMillis());
      }
    }
  }
}
