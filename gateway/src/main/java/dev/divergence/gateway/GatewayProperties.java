package dev.divergence.gateway;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Everything the gateway needs to know about the services behind it ({@code divergence.gateway.*}).
 * Each entry of {@code services} becomes a route {@code /api/v1/<name>/**}, so adding a service is a
 * configuration change only.
 */
@Validated
@ConfigurationProperties("divergence.gateway")
public record GatewayProperties(
    @NotEmpty Map<String, @Valid Service> services,
    @DefaultValue("2s") @NotNull Duration connectTimeout,
    @DefaultValue("30s") @NotNull Duration readTimeout,
    @DefaultValue @Valid Retry retry,
    @DefaultValue @Valid CircuitBreaker circuitBreaker) {

  /** A service behind the gateway; {@code uri} is its base, e.g. {@code http://localhost:8081}. */
  public record Service(@NotNull URI uri) {

    public Service {
      // caught here, at start-up, rather than as a confusing failure on the first forwarded request
      if (uri != null && (uri.getScheme() == null || !uri.getScheme().startsWith("http") || uri.getHost() == null)) {
        throw new IllegalArgumentException("must be an absolute http(s) URI such as http://localhost:8081, was '" + uri + "'");
      }
    }
  }

  /**
   * Retries of idempotent requests whose connection could not be established; such a request never
   * reached the service, so sending it again is safe. {@code maxAttempts} counts the first attempt;
   * the wait before a retry starts at {@code backoff} and doubles with each further retry.
   */
  public record Retry(
      @DefaultValue("3") @Min(1) int maxAttempts,
      @DefaultValue("100ms") @NotNull Duration backoff) {}

  /** One Resilience4j circuit breaker per service; only transport failures (no answer at all) count. */
  public record CircuitBreaker(
      @DefaultValue("20") @Min(1) int slidingWindowSize,
      @DefaultValue("10") @Min(1) int minimumNumberOfCalls,
      @DefaultValue("50") @Min(1) float failureRateThreshold,
      @DefaultValue("10s") @NotNull Duration waitInOpenState,
      @DefaultValue("3") @Min(1) int permittedCallsInHalfOpenState) {}
}
