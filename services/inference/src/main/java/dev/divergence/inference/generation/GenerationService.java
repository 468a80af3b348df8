package dev.divergence.inference.generation;

import dev.divergence.inference.decoding.Cancellation;
import dev.divergence.inference.decoding.Decoder;
import dev.divergence.inference.decoding.DecodingOutcome;
import dev.divergence.inference.decoding.FinishReason;
import dev.divergence.inference.decoding.TokenListener;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Service;

/**
 * Runs generations for the REST and gRPC faces: a whole result on the caller's thread, or a
 * stream decoded on a bounded pool of virtual threads, stopped at the next step once cancelled.
 */
@Service
public class GenerationService implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(GenerationService.class);

    private final GenerationPlanner planner;
    private final DecodingBackend backend;
    private final GenerationMetrics metrics;
    private final ThreadPoolExecutor streams;

    public GenerationService(GenerationPlanner planner, DecodingBackend backend, GenerationMetrics metrics, GenerationProperties properties) {
        this.planner = planner;
        this.backend = backend;
        this.metrics = metrics;
        this.streams = new ThreadPoolExecutor(properties.maxConcurrentStreams(), properties.maxConcurrentStreams(), 0, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(properties.queuedStreams()), Thread.ofVirtual().name("generation-", 0).factory());
        metrics.watchStreams(streams);
    }

    /** Checks the request (problems name their field) and resolves its model; nothing runs yet. */
    public PreparedGeneration prepare(GenerateRequest request) {
        return planner.prepare(request);
    }

    public GenerateResponse generate(GenerateRequest request) {
        PreparedGeneration prepared = prepare(request);
        DecodingOutcome outcome = decode(prepared, TokenListener.NONE, new Cancellation());
        return GenerateResponse.of(prepared.model(), prepared.strategy(), outcome, true);
    }

    /**
     * Decodes on the stream pool, handing each token to {@code sink}; {@code cancellation} stops it
     * at the next step (the sink then hears nothing more) and frees the model server's sequences.
     *
     * @throws GenerationUnavailableException when every slot and queue place is taken
     */
    public void stream(PreparedGeneration prepared, GenerationSink sink, Cancellation cancellation) {
        try {
            streams.execute(() -> {
                try {
                    DecodingOutcome outcome = decode(prepared, sink::token, cancellation);
                    if (outcome.finishReason() != FinishReason.CANCELLED) {
                        sink.done(GenerateResponse.of(prepared.model(), prepared.strategy(), outcome, false));
                    }
                } catch (RuntimeException e) {
                    if (!cancellation.isCancelled()) {
                        log.warn("generation on '{}' failed", prepared.model(), e);
                        sink.failed(e);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            throw new GenerationUnavailableException("generation is at capacity (" + streams.getActiveCount() + " streams decoding, "
                    + streams.getQueue().size() + " waiting); retry later", e);
        }
    }

    private DecodingOutcome decode(PreparedGeneration prepared, TokenListener listener, Cancellation cancellation) {
        try {
            return Decoder.decode(prepared.plan(), backend.streams(prepared.model()),
                    metrics.track(prepared.model(), prepared.strategy(), listener), cancellation);
        } catch (StatusRuntimeException e) {
            Status.Code code = e.getStatus().getCode();
            if (code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED) {
                throw new GenerationUnavailableException("the model server did not answer for '" + prepared.model() + "': "
                        + e.getStatus().getDescription(), e);
            }
            throw e;
        }
    }

    @Override
    public void destroy() {
        streams.shutdownNow();
    }
}
