package dev.divergence.inference.generation;

import dev.divergence.inference.decoding.GeneratedToken;
import dev.divergence.inference.decoding.TokenListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import org.springframework.stereotype.Component;

/**
 * Generated tokens, time to first token (request accepted to first token chosen, prefill
 * included) and the latency between later tokens, tagged by model and strategy.
 */
@Component
public class GenerationMetrics {

    static final String TOKENS = "divergence.generation.tokens";
    static final String TIME_TO_FIRST_TOKEN = "divergence.generation.time.to.first.token";
    static final String TOKEN_LATENCY = "divergence.generation.token.latency";

    /** The {@code name} tag of the streaming pool's executor meters ({@code executor.queued}, {@code executor.active}, ...). */
    static final String STREAMS_EXECUTOR = "generation.streams";

    private final MeterRegistry registry;

    public GenerationMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Exposes the streaming pool's size, active streams and queue length (streams waiting for a slot). */
    void watchStreams(java.util.concurrent.ExecutorService streams) {
        new io.micrometer.core.instrument.binder.jvm.ExecutorServiceMetrics(streams, STREAMS_EXECUTOR, java.util.List.of())
                .bindTo(registry);
    }

    /** A listener that records one generation's tokens, timed from now. */
    TokenListener track(String model, String strategy, TokenListener next) {
        Counter tokens = Counter.builder(TOKENS).description("tokens generated").tag("model", model).tag("strategy", strategy)
                .register(registry);
        Timer firstToken = Timer.builder(TIME_TO_FIRST_TOKEN).description("from request to the first generated token")
                .tag("model", model).tag("strategy", strategy).publishPercentileHistogram().register(registry);
        Timer perToken = Timer.builder(TOKEN_LATENCY).description("between consecutive generated tokens")
                .tag("model", model).tag("strategy", strategy).publishPercentileHistogram().register(registry);
        long[] last = {System.nanoTime()};
        return (GeneratedToken token) -> {
            long now = System.nanoTime();
            (token.index() == 0 ? firstToken : perToken).record(now - last[0], TimeUnit.NANOSECONDS);
            last[0] = now;
            tokens.increment();
            next.onToken(token);
        };
    }
}
