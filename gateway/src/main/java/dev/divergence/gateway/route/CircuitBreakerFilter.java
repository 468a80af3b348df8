package dev.divergence.gateway.route;

import dev.divergence.gateway.GatewayProperties;
import dev.divergence.gateway.auth.RequestBodyTooLargeException;
import dev.divergence.gateway.error.ServiceUnavailableException;
import dev.divergence.platform.errors.PayloadTooLargeException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.servlet.function.HandlerFilterFunction;
import org.springframework.web.servlet.function.HandlerFunction;
import org.springframework.web.servlet.function.ServerRequest;
import org.springframework.web.servlet.function.ServerResponse;

/**
 * Runs the call to one service through that service's circuit breaker, on the request thread (so the
 * request id stays in the log context), and turns "no answer" into a 503 naming the service. An open
 * circuit answers at once instead of letting every caller wait for a service known to be down.
 */
final class CircuitBreakerFilter implements HandlerFilterFunction<ServerResponse, ServerResponse> {

  private static final Logger log = LoggerFactory.getLogger(CircuitBreakerFilter.class);

  private final String service;
  private final CircuitBreaker circuitBreaker;
  private final GatewayProperties properties;

  CircuitBreakerFilter(String service, CircuitBreaker circuitBreaker, GatewayProperties properties) {
    this.service = service;
    this.circuitBreaker = circuitBreaker;
    this.properties = properties;
  }

  @Override
  public ServerResponse filter(ServerRequest request, HandlerFunction<ServerResponse> next) throws Exception {
    try {
      return CircuitBreaker.decorateCallable(circuitBreaker, () -> next.handle(request)).call();
    } catch (CallNotPermittedException open) {
      // the transition to OPEN was logged once; one line per rejected call would flood the log
      log.debug("{} rejected {} {}: circuit open", service, request.method(), request.path());
      throw new ServiceUnavailableException(service,
          "its circuit breaker is open after repeated failures; retry in "
              + properties.circuitBreaker().waitInOpenState().toSeconds() + " s", open);
    } catch (ResourceAccessException failure) {
      var tooLarge = RequestBodyTooLargeException.causedBy(failure);
      if (tooLarge.isPresent()) {
        throw new PayloadTooLargeException(tooLarge.get().getMessage());
      }
      String reason = TransportFailure.of(failure)
          .describe(failure, properties.connectTimeout(), properties.readTimeout());
      log.warn("{} unavailable for {} {}: {}", service, request.method(), request.path(), reason);
      throw new ServiceUnavailableException(service, reason, failure);
    }
  }
}
