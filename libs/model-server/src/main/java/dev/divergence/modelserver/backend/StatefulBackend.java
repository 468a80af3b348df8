package dev.divergence.modelserver.backend;

import dev.divergence.modelserver.tensor.Tensor;
import java.util.Map;
import java.util.Set;

/**
 * A backend that can carry state from one request of a sequence to the next (Triton's sequence
 * batching): for a language model, the KV cache of the tokens the sequence has sent so far.
 */
public interface StatefulBackend extends ModelBackend {

    /** State a sequence keeps between requests; closing it frees its memory. */
    interface SequenceState extends AutoCloseable {
        @Override
        void close();
    }

    SequenceState openSequence();

    /** Executes one request of a sequence, reading and extending its state. */
    Map<String, Tensor> execute(SequenceState state, Map<String, Tensor> inputs, Set<String> outputs);
}
