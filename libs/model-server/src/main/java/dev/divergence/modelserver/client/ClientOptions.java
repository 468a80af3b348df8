package dev.divergence.modelserver.client;

import java.time.Duration;

/**
 * How a {@link TritonClient} calls: the deadline of every attempt, how often and how patiently
 * it retries UNAVAILABLE (server starting, restarting, or model being swapped), and the inbound
 * message limit (gRPC's 4 MiB default is too small for full-vocabulary logits of a batch), and
 * after how many consecutive failed calls the circuit breaker opens and for how long.
 */
public record ClientOptions(Duration deadline, int maxAttempts, Duration initialBackoff, Duration maxBackoff, int maxInboundMessageBytes,
        int breakerThreshold, Duration breakerOpenFor) {

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
        if (maxInboundMessageBytes < 4 * 1024 * 1024) {
            throw new IllegalArgumentException("maxInboundMessageBytes below gRPC's 4 MiB default: " + maxInboundMessageBytes);
        }
        if (breakerThreshold < 1 || breakerOpenFor.isNegative()) {
            throw new IllegalArgumentException("breaker needs threshold >= 1 and a non-negative open time, got "
                    + breakerThreshold + " and " + breakerOpenFor);
        }
    }

    /** 30 s per attempt, 4 attempts with 100 ms doubling up to 2 s, 256 MiB messages, breaker 5 failures / 10 s. */
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

    /** Backoff before attempt {@code attempt + 1}: initial doubled per failed attempt, capped. */
    Duration backoffAfter(int attempt) {
        long millis = initialBackoff.toMillis() << Math.min(attempt - 1, 20);
        return Duration.ofMillis(Math.min(millis, maxBackoff.toMillis()));
    }
}
