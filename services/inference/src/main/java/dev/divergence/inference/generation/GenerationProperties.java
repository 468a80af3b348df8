package dev.divergence.inference.generation;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Limits of the generation API.
 *
 * @param maxTokens the largest maxTokens a request may ask for (the model's context caps it too)
 * @param maxConcurrentStreams streaming generations decoding at once; more wait in the queue
 * @param queuedStreams streaming generations that may wait; beyond that a request gets 503
 * @param streamTimeout an SSE stream still open after this long is closed and its decoding cancelled
 */
@ConfigurationProperties("divergence.inference.generation")
public record GenerationProperties(Integer maxTokens, Integer maxConcurrentStreams, Integer queuedStreams, Duration streamTimeout) {

    public GenerationProperties {
        maxTokens = maxTokens == null ? 1024 : maxTokens;
        maxConcurrentStreams = maxConcurrentStreams == null ? 32 : maxConcurrentStreams;
        queuedStreams = queuedStreams == null ? 256 : queuedStreams;
        streamTimeout = streamTimeout == null ? Duration.ofMinutes(10) : streamTimeout;
    }
}
