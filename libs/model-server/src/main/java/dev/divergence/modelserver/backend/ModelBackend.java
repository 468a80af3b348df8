package dev.divergence.modelserver.backend;

import dev.divergence.modelserver.tensor.Tensor;
import java.util.Map;
import java.util.Set;

/**
 * One loaded model version that executes batches. Inputs reach it already checked against the
 * model's config (names, datatypes, shapes), so a backend validates only what the config cannot
 * express. Implementations serialise their own executions.
 */
public interface ModelBackend extends AutoCloseable {

    /** The named outputs (a subset of the config's) for a batch of inputs. */
    Map<String, Tensor> execute(Map<String, Tensor> inputs, Set<String> outputs);

    /** Frees the model's native memory; the backend must not be used afterwards. */
    @Override
    void close();
}
