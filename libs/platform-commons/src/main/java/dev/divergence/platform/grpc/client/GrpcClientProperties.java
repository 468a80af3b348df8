package dev.divergence.platform.grpc.client;

import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * How a service calls one other service ({@code divergence.clients.<name>.*}).
 *
 * @param target where the other service's gRPC server listens, {@code host:port} or any gRPC target
 *     URI ({@code dns:///inference:9082}); no default: a client without one fails at first use
 * @param deadline the deadline of every call that does not set its own, retries included
 * @param maxAttempts how often a call that answered UNAVAILABLE is tried in all (1: no retry)
 * @param initialBackoff the upper bound of the first pause before a retry (gRPC draws the pause
 *     uniformly below the bound, which doubles each attempt up to {@code maxBackoff})
 * @param maxBackoff the cap of that bound
 * @param maxInboundMessageBytes the largest answer accepted; gRPC's 4 MiB default is too small for
 *     full-vocabulary distributions of a batch
 */
public record GrpcClientProperties(
    String target, Duration deadline, Integer maxAttempts, Duration initialBackoff, Duration maxBackoff,
    Integer maxInboundMessageBytes) {

  /** Requests larger than this are sent without a retry buffer, i.e. not retried (gRPC's default is 1 MiB). */
  static final long RETRY_BUFFER_PER_CALL_BYTES = 16L * 1024 * 1024;

  public GrpcClientProperties {
    deadline = deadline == null ? Duration.ofSeconds(30) : deadline;
    maxAttempts = maxAttempts == null ? 4 : maxAttempts;
    initialBackoff = initialBackoff == null ? Duration.ofMillis(200) : initialBackoff;
    maxBackoff = maxBackoff == null ? Duration.ofSeconds(5) : maxBackoff;
    maxInboundMessageBytes = maxInboundMessageBytes == null ? 256 * 1024 * 1024 : maxInboundMessageBytes;
  }

  /** Only the target set; everything else at its default. */
  public static GrpcClientProperties forTarget(String target) {
    return new GrpcClientProperties(target, null, null, null, null, null);
  }

  /**
   * Checks the settings of the client called {@code name}, naming the offending property.
   *
   * @throws IllegalStateException when a setting is missing or out of range
   */
  void validate(String name) {
    String prefix = "divergence.clients." + name + ".";
    if (target == null || target.isBlank()) {
      throw new IllegalStateException(prefix + "target is not set: where does the " + name
          + " service's gRPC server listen (host:port)?");
    }
    if (deadline.isNegative() || deadline.isZero()) {
      throw new IllegalStateException(prefix + "deadline must be positive, got " + deadline);
    }
    if (maxAttempts < 1) {
      throw new IllegalStateException(prefix + "max-attempts must be at least 1, got " + maxAttempts);
    }
    if (maxAttempts > 1 && initialBackoff.toMillis() < 1) {
      throw new IllegalStateException(prefix + "initial-backoff must be at least 1ms when retrying, got " + initialBackoff);
    }
    if (maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalStateException(prefix + "max-backoff must not be below initial-backoff, got " + maxBackoff
          + " < " + initialBackoff);
    }
    if (maxInboundMessageBytes < 4 * 1024 * 1024) {
      throw new IllegalStateException(prefix + "max-inbound-message-bytes must be at least gRPC's default of 4 MiB, got "
          + maxInboundMessageBytes);
    }
  }

  /**
   * gRPC's service config for the channel: every method of every service retries UNAVAILABLE (the
   * other service starting, restarting, or a model still loading) up to {@code maxAttempts} times in
   * all, with gRPC's exponential backoff (gRFC A6). Other codes are answers and are never retried.
   * Only services whose calls are safe to repeat should be reached through a client with
   * {@code maxAttempts > 1}; every public read and scoring call of the platform is.
   */
  Map<String, ?> serviceConfig() {
    // {"name": [{}]}: the wildcard entry, applies to every service and method of the channel
    if (maxAttempts < 2) {
      return Map.of("methodConfig", List.of(Map.of("name", List.of(Map.of()))));
    }
    Map<String, Object> retry = Map.of(
        "maxAttempts", (double) maxAttempts,
        "initialBackoff", seconds(initialBackoff),
        "maxBackoff", seconds(maxBackoff),
        "backoffMultiplier", 2.0,
        "retryableStatusCodes", List.of(Status.Code.UNAVAILABLE.name()));
    return Map.of("methodConfig", List.of(Map.of("name", List.of(Map.of()), "retryPolicy", retry)));
  }

  /** A duration as the protobuf JSON form gRPC's service config parser reads ("0.200000000s"). */
  private static String seconds(Duration duration) {
    return duration.getSeconds() + "." + String.format("%09d", duration.getNano()) + "s";
  }
}
