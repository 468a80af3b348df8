package dev.divergence.modelserver.backend;

import dev.divergence.modelserver.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
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

    /**
     * Whether a request continuing a sequence can join other sequences' requests in one
     * {@link #executeSteps} (for a language model: exactly one new token); others run alone.
     */
    default boolean joinable(Map<String, Tensor> inputs) {
        return false;
    }

    /**
     * One request of each of several live sequences as a single execution (Triton's oldest
     * sequence batching). The answer for a state that was closed meanwhile is null; the others'
     * outputs are those each would get executed alone.
     */
    default List<Map<String, Tensor>> executeSteps(List<SequenceState> states, List<Map<String, Tensor>> inputs, Set<String> outputs) {
        List<Map<String, Tensor>> results = new ArrayList<>(states.size());
        for (int i = 0; i < states.size(); i++) {
            results.add(execute(states.get(i), inputs.get(i), outputs));
        }
        return results;
    }
}
