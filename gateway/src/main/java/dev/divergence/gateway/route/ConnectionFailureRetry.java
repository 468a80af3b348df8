package dev.divergence.gateway.route;

import dev.divergence.gateway.GatewayProperties;
import java.time.Duration;
import java.util.Set;
import org.springframework.cloud.gateway.server.mvc.filter.RetryFilterFunctions;
import org.springframework.core.retry.RetryException;
import org.springframework.http.HttpMethod;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.servlet.function.HandlerFilterFunction;
import org.springframework.web.servlet.function.ServerResponse;

/**
 * Tries a safe request again when no connection could be made (a service restarting, a port not yet
 * open), with Spring Cloud Gateway's retry filter ({@link RetryFilterFunctions#retry}). Timeouts are
 * not retried: the service may still be working on the first attempt, and the caller has already
 * waited the whole read timeout. An answer, whatever its status, is never retried.
 *
 * <p>Two things the gateway filter does not decide on its own, and this class adds around it: it
 * retries by exception class only, and the proxy throws the same {@link ResourceAccessException} for a
 * refused connection and a read timeout, so a connection failure is first re-thrown as
 * {@link NotConnected}, the one exception the filter retries; and its method list applies only to
 * retries on a status, so unsafe methods bypass it. Whatever the retries end with, the caller (the
 * circuit breaker) sees the proxy's own exception.
 */
final class ConnectionFailureRetry {

  private static final Set<HttpMethod> SAFE_METHODS = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS);

  private ConnectionFailureRetry() {}

  static HandlerFilterFunction<ServerResponse, ServerResponse> of(GatewayProperties.Retry settings) {
    // the filter's backoff needs a first delay of at least 1 ms; it doubles on every further retry
    Duration firstBackoff = settings.backoff().toMillis() < 1 ? Duration.ofMillis(1) : settings.backoff();
    HandlerFilterFunction<ServerResponse, ServerResponse> retry = RetryFilterFunctions.retry(config -> config
        .setRetries(settings.maxAttempts() - 1)
        .setMethods(SAFE_METHODS)
        .setSeries(Set.of())
        .setExceptions(Set.of(NotConnected.class))
        .setBackoff(new RetryFilterFunctions.BackoffConfig().setFirstBackoff(firstBackoff).setFactor(2)));
    return (request, next) -> {
      if (!SAFE_METHODS.contains(request.method())) {
        return next.handle(request);
      }
      try {
        return retry.filter(request, attempt -> {
          try {
            return next.handle(attempt);
          } catch (ResourceAccessException failure) {
            if (TransportFailure.of(failure).beforeRequestSent()) {
              throw new NotConnected(failure);
            }
            throw failure;
          }
        });
      } catch (RetryException exhausted) {
        throw unwrap(exhausted.getCause() == null ? exhausted : exhausted.getCause());
      } catch (NotConnected notConnected) {
        throw notConnected.failure;
      }
    };
  }

  private static Exception unwrap(Throwable failure) {
    if (failure instanceof NotConnected notConnected) {
      return notConnected.failure;
    }
    if (failure instanceof Exception exception) {
      return exception;
    }
    throw (Error) failure;
  }

  /** The proxy could not connect: the request never reached the service. */
  static final class NotConnected extends RuntimeException {

    private final ResourceAccessException failure;

    NotConnected(ResourceAccessException failure) {
      super(failure.getMessage(), failure, false, false);
      this.failure = failure;
    }
  }
}
