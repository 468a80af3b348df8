package dev.divergence.inference.decoding;

import dev.divergence.modelserver.client.InferRequest;
import dev.divergence.modelserver.client.TritonClient;
import dev.divergence.modelserver.tensor.Tensor;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link LogitsStream} as a Triton sequence: every request carries the stream's own sequence
 * id, the first one the start flag (the server opens a KV cache for it), the closing one the end
 * flag (the server frees it). The same requests work against Triton and the embedded server.
 */
public final class TritonLogitsStream implements LogitsStream {

    static final String INPUT_IDS = "input_ids";
    static final String LOGITS = "logits";
    private static final Logger log = LoggerFactory.getLogger(TritonLogitsStream.class);

    private final TritonClient client;
    private final String entry;
    private final String sequenceId;
    private boolean started;
    private boolean ended;
    private long lastFed;

    TritonLogitsStream(TritonClient client, String entry) {
        this.client = client;
        this.entry = entry;
        this.sequenceId = "gen-" + UUID.randomUUID();
    }

    /** Opens streams on a Triton model entry that has sequence batching. */
    public static LogitsStreamFactory on(TritonClient client, String entry) {
        return () -> new TritonLogitsStream(client, entry);
    }

    public String sequenceId() {
        return sequenceId;
    }

    @Override
    public synchronized float[] prefill(long[] promptIds) {
        if (promptIds.length == 0) {
            throw new IllegalArgumentException("a prompt needs at least one token");
        }
        if (started) {
            throw new IllegalStateException("prefill called twice on sequence " + sequenceId);
        }
        float[] logits = send(promptIds, true, false);
        started = true;
        lastFed = promptIds[promptIds.length - 1];
        return logits;
    }

    @Override
    public synchronized float[] step(long token) {
        if (!started || ended) {
            throw new IllegalStateException("sequence " + sequenceId + (ended ? " has ended" : " was not prefilled"));
        }
        float[] logits = send(new long[] {token}, false, false);
        lastFed = token;
        return logits;
    }

    /**
     * Triton ends a sequence only with a request that carries the end flag and real input, so the
     * last token goes once more and its logits are dropped. Failures are logged, not thrown: the
     * caller is already finishing, and the server's idle eviction frees the sequence anyway.
     */
    @Override
    public synchronized void close() {
        if (!started || ended) {
            ended = true;
            return;
        }
        ended = true;
        try {
            send(new long[] {lastFed}, false, true);
        } catch (RuntimeException e) {
            log.warn("ending sequence {} on '{}' failed: {}", sequenceId, entry, e.getMessage());
        }
    }

    private float[] send(long[] ids, boolean start, boolean end) {
        InferRequest request = InferRequest.to(entry).sequence(sequenceId, start, end)
                .input(INPUT_IDS, Tensor.int64(new long[] {1, ids.length}, ids)).output(LOGITS);
        return client.infer(request).output(LOGITS).toFloats();
    }
}
