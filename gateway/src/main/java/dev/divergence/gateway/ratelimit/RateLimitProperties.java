package dev.divergence.gateway.ratelimit;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Rate limits per caller (an API key or a JWT subject) at the gateway
 * ({@code divergence.gateway.rate-limits.*}). Each class of request has its own token bucket:
 * {@code capacity} requests (or generation tokens) at once, refilled evenly over {@code period}.
 *
 * @param enabled off: every call passes (the buckets are not even read)
 * @param reads GET and HEAD calls
 * @param submissions calls that change something (POST, PUT, PATCH, DELETE), generation excluded
 * @param generationTokens tokens a caller may ask the inference service to generate (a request
 *     costs its {@code maxTokens}, 64 when unset)
 */
@ConfigurationProperties("divergence.gateway.rate-limits")
public record RateLimitProperties(Boolean enabled, Limit reads, Limit submissions, Limit generationTokens) {

  /** A bucket of {@code capacity} tokens that refills completely, evenly, over {@code period}. */
  public record Limit(long capacity, Duration period) {
    public Limit {
      if (capacity < 1) {
        throw new IllegalArgumentException("a rate limit's capacity must be at least 1, got " + capacity);
      }
      if (period == null || period.isZero() || period.isNegative()) {
        throw new IllegalArgumentException("a rate limit's period must be positive, got " + period);
      }
    }
  }

  public RateLimitProperties {
    enabled = enabled == null || enabled;
    reads = reads == null ? new Limit(1200, Duration.ofMinutes(1)) : reads;
    submissions = submissions == null ? new Limit(120, Duration.ofMinutes(1)) : submissions;
    generationTokens = generationTokens == null ? new Limit(50_000, Duration.ofMinutes(1)) : generationTokens;
  }

  public Limit limitOf(RequestClass requestClass) {
    return switch (requestClass) {
      case READ -> reads;
      case SUBMISSION -> submissions;
      case GENERATION -> generationTokens;
    };
  }
}
