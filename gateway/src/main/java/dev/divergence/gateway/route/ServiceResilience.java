package dev.divergence.gateway.route;

import dev.divergence.gateway.GatewayProperties;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.servlet.function.HandlerFilterFunction;
import org.springframework.web.servlet.function.ServerResponse;

/**
 * The resilience every call to a service gets: a per-service circuit breaker around a retry of safe
 * requests that could not connect. One retried request counts once for the breaker.
 */
@Component
public class ServiceResilience {

  private static final Logger log = LoggerFactory.getLogger(ServiceResilience.class);

  private final GatewayProperties properties;
  private final CircuitBreakerRegistry circuitBreakers;

  ServiceResilience(GatewayProperties properties, ObjectProvider<MeterRegistry> meterRegistry) {
    this.properties = properties;
    this.circuitBreakers = CircuitBreakerRegistry.of(circuitBreakerConfig(properties.circuitBreaker()));
    // resilience4j_circuitbreaker_* metrics (state, calls, failure rate) per service on /actuator/prometheus
    meterRegistry.ifAvailable(TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(circuitBreakers)::bindTo);
    circuitBreakers.getEventPublisher().onEntryAdded(added -> added.getAddedEntry().getEventPublisher()
        .onStateTransition(event -> log.warn("circuit breaker of {}: {}", event.getCircuitBreakerName(),
            event.getStateTransition())));
  }

  /** The filters for calls to {@code service}; its circuit breaker is created now so metrics show it at once. */
  public HandlerFilterFunction<ServerResponse, ServerResponse> forService(String service) {
    CircuitBreakerFilter breaker = new CircuitBreakerFilter(service, circuitBreakers.circuitBreaker(service), properties);
    return breaker.andThen(ConnectionFailureRetry.of(properties.retry()));
  }

  public CircuitBreakerRegistry circuitBreakers() {
    return circuitBreakers;
  }

  private static CircuitBreakerConfig circuitBreakerConfig(GatewayProperties.CircuitBreaker settings) {
    return CircuitBreakerConfig.custom()
        .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
        .slidingWindowSize(settings.slidingWindowSize())
        .minimumNumberOfCalls(settings.minimumNumberOfCalls())
        .failureRateThreshold(settings.failureRateThreshold())
        .waitDurationInOpenState(settings.waitInOpenState())
        .permittedNumberOfCallsInHalfOpenState(settings.permittedCallsInHalfOpenState())
        // only "no answer" is the service being down; an error status is still an answer
        .recordException(failure -> failure instanceof ResourceAccessException
            // the caller's oversize body, not the service's failure
            && dev.divergence.gateway.auth.RequestBodyTooLargeException.causedBy(failure).isEmpty())
        .build();
  }
}
