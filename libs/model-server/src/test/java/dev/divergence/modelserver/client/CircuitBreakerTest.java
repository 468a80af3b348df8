package dev.divergence.modelserver.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {

    private final AtomicLong now = new AtomicLong();
    private final CircuitBreaker breaker = new CircuitBreaker(3, Duration.ofSeconds(10), now::get);

    @Test
    void opensAfterConsecutiveFailuresAndLetsOneTrialThroughAfterTheWait() {
        breaker.onFailure();
        breaker.onFailure();
        assertThat(breaker.allow()).isTrue();
        breaker.onFailure();
        assertThat(breaker.allow()).as("open").isFalse();
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        assertThat(breaker.allow()).as("half-open trial").isTrue();
        assertThat(breaker.allow()).as("only one trial at a time").isFalse();
        breaker.onFailure();
        assertThat(breaker.allow()).as("failed trial reopens").isFalse();
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        assertThat(breaker.allow()).isTrue();
        breaker.onSuccess();
        assertThat(breaker.isOpen()).isFalse();
        assertThat(breaker.allow()).isTrue();
    }

    @Test
    void aSuccessResetsTheCount() {
        breaker.onFailure();
        breaker.onFailure();
        breaker.onSuccess();
        breaker.onFailure();
        breaker.onFailure();
        assertThat(breaker.allow()).isTrue();
    }
}
