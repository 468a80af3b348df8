package dev.divergence.inference.decoding;

import ai.djl.ndarray.NDManager;
import dev.divergence.model.generation.DecodingSession;
import dev.divergence.model.lm.LlamaModel;

/** A {@link LogitsStream} on an in-process libs/model decoding session: decoding without any server. */
final class SessionLogitsStream implements LogitsStream {

    private final DecodingSession session;
    private boolean closed;

    SessionLogitsStream(LlamaModel model, NDManager manager) {
        this.session = new DecodingSession(model, manager);
    }

    @Override
    public float[] prefill(long[] promptIds) {
        return session.prefill(promptIds);
    }

    @Override
    public float[] step(long token) {
        return session.step(token);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            session.close();
        }
    }
}
