package dev.divergence.modelserver.client;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * How a {@link TritonClient} calls: the deadline of every call (retries included), how often and
 * how patiently gRPC retries UNAVAILABLE (server starting, restarting, or model being swapped), the
 * inbound message limit (gRPC's 4 MiB default is too small for full-vocabulary logits of a
 * batch), and after how many consecutive failed calls the circuit breaker opens and for how long.
 */
public record ClientOptions(Duration deadline, int maxAttempts, Duration initialBackoff, Duration maxBackoff, int maxInboundMessageBytes,
        int breakerThreshold, Duration breakerOpenFor) {

    /** The gRPC service all of the client's calls belong to. */
    static final String SERVICE = "inference.GRPCInferenceService";
    /** Requests larger than this are sent without a retry buffer, i.e. not retried (gRPC's default is 1 MiB). */
    static final long RETRY_BUFFER_PER_CALL_BYTES = 16L * 1024 * 1024;

    public ClientOptions {
        if (deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("deadline must be positive, got " + deadline);
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
        }
        if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("backoff must satisfy 0 <= initial <= max, got " + initialBackoff + " and " + maxBackoff);
        }
        if (maxAttempts > 1 && initialBackoff.toMillis() < 1) {
            throw new IllegalArgumentException("retries need an initial backoff of at least 1 ms (gRPC's retry policy), got " + initialBackoff);
        }
        if (maxInboundMessageBytes < 4 * 1024 * 1024) {
            throw new IllegalArgumentException("maxInboundMessageBytes below gRPC's 4 MiB default: " + maxInboundMessageBytes);
        }
        if (breakerThreshold < 1 || breakerOpenFor.toMillis() < 1) {
            throw new IllegalArgumentException("breaker needs threshold >= 1 and an open time of at least 1 ms, got "
                    + breakerThreshold + " and " + breakerOpenFor);
        }
    }

    /** 30 s per call, 4 attempts with 100 ms doubling up to 2 s, 256 MiB messages, breaker 5 failures / 10 s. */
    public static ClientOptions defaults() {
        return new ClientOptions(Duration.ofSeconds(30), 4, Duration.ofMillis(100), Duration.ofSeconds(2), 256 * 1024 * 1024,
                5, Duration.ofSeconds(10));
    }

    public ClientOptions withDeadline(Duration value) {
        return new ClientOptions(value, maxAttempts, initialBackoff, maxBackoff, maxInboundMessageBytes, breakerThreshold, breakerOpenFor);
    }

    public ClientOptions withRetries(int attempts, Duration initial, Duration max) {
        return new ClientOptions(deadline, attempts, initial, max, maxInboundMessageBytes, breakerThreshold, breakerOpenFor);
    }

    public ClientOptions withBreaker(int threshold, Duration openFor) {
        return new ClientOptions(deadline, maxAttempts, initialBackoff, maxBackoff, maxInboundMessageBytes, threshold, openFor);
    }

    /**
     * gRPC's service config for the client's channel: every unary RPC of the service retries
     * UNAVAILABLE up to {@code maxAttempts} times, with gRPC's exponential backoff (multiplier 2,
     * capped at {@code maxBackoff}, each pause drawn uniformly below the current bound as gRFC A6
     * specifies); all of them are safe to repeat (inference has no side effects, load and unload are
     * idempotent). ModelStreamInfer has its own entry without a retry policy: a stream is not
     * idempotent once half sent.
     */
    public Map<String, ?> serviceConfig() {
        Map<String, Object> everyMethod = maxAttempts < 2 ? Map.of("name", List.of(Map.of("service", SERVICE)))
                : Map.of("name", List.of(Map.of("service", SERVICE)), "retryPolicy", Map.of(
                        "maxAttempts", (double) maxAttempts,
                        "initialBackoff", seconds(initialBackoff),
                        "maxBackoff", seconds(maxBackoff),
                        "backoffMultiplier", 2.0,
                        "retryableStatusCodes", List.of(Status.Code.UNAVAILABLE.name())));
        Map<String, Object> stream = Map.of("name", List.of(Map.of("service", SERVICE, "method", "ModelStreamInfer")));
        return Map.of("methodConfig", List.of(everyMethod, stream));
    }

    /**
     * Configures a channel builder for this client: the retry policy of {@link #serviceConfig()}
     * (and no service config from name resolution, which would replace it), attempts beyond gRPC's
     * default cap of 5 when asked for, and the inbound message limit. A caller that builds its own
     * channel for {@link TritonClient#TritonClient} passes its builder through this.
     */
    public <T extends ManagedChannelBuilder<T>> T configure(T builder) {
        return builder.defaultServiceConfig(serviceConfig()).disableServiceConfigLookUp().enableRetry()
                .maxRetryAttempts(Math.max(5, maxAttempts)).perRpcBufferLimit(RETRY_BUFFER_PER_CALL_BYTES)
                .maxInboundMessageSize(maxInboundMessageBytes);
    }

    /**
     * Resilience4j's circuit breaker with this client's semantics: it opens when the last
     * {@code breakerThreshold} calls (each already retried) all failed with UNAVAILABLE or
     * DEADLINE_EXCEEDED (a count window of that size at a 100 % failure rate, i.e. that many
     * consecutive failures); other codes mean the server answered and count as successes. After
     * {@code breakerOpenFor} one trial call is let through, whose outcome closes or reopens it.
     */
    CircuitBreakerConfig breakerConfig() {
        return CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(breakerThreshold)
                .minimumNumberOfCalls(breakerThreshold)
                .failureRateThreshold(100f)
                .waitDurationInOpenState(breakerOpenFor)
                .permittedNumberOfCallsInHalfOpenState(1)
                .recordException(e -> e instanceof StatusRuntimeException s
                        && (s.getStatus().getCode() == Status.Code.UNAVAILABLE || s.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED))
                .build();
    }

    /** A duration as the protobuf JSON form gRPC's service config parser reads ("0.100000000s"). */
    private static String seconds(Duration duration) {
        return duration.getSeconds() + "." + String.format("%09d", duration.getNano()) + "s";
    }
}
