package dev.divergence.modelserver;

import dev.divergence.modelserver.backend.ModelBackend;
import dev.divergence.modelserver.backend.StatefulBackend;
import dev.divergence.modelserver.tensor.Tensor;
import dev.divergence.proto.triton.ModelConfig;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One served version of a model: its backend, config, statistics and, when config.pbtxt asks
 * for dynamic_batching, its {@link DynamicBatcher}. Executions share a read lock and unloading
 * takes the write lock, so an unload waits for running requests instead of freeing native memory
 * under them; requests that arrive afterwards get UNAVAILABLE.
 */
public final class LoadedVersion implements AutoCloseable {

    private final ModelConfig config;
    private final long version;
    private final ModelBackend backend;
    private final InferenceStatistics statistics = new InferenceStatistics();
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private final DynamicBatcher batcher;
    private final Sequences sequences;
    private boolean closed;

    LoadedVersion(ModelConfig config, long version, ModelBackend backend) {
        this.config = config;
        this.version = version;
        this.backend = backend;
        this.batcher = config.hasDynamicBatching()
                ? new DynamicBatcher(config.getName() + "-" + version, config.getMaxBatchSize(), config.getDynamicBatching(), this::executeNow)
                : null;
        if (config.hasSequenceBatching()) {
            if (!(backend instanceof StatefulBackend stateful)) {
                throw InferenceException.invalidArgument("load failed for model '" + config.getName()
                        + "': sequence_batching needs a model with state between requests (a language model)");
            }
            this.sequences = new Sequences(config.getName(), stateful, config.getSequenceBatching(), config.getMaxBatchSize(),
                    (batchSize, execution) -> locked(batchSize, execution));
        } else {
            this.sequences = null;
        }
    }

    public ModelConfig config() {
        return config;
    }

    public String name() {
        return config.getName();
    }

    public long version() {
        return version;
    }

    InferenceStatistics statistics() {
        return statistics;
    }

    /**
     * Runs one checked request: within its sequence when the model has sequence batching, through
     * the dynamic batcher when it has one, else directly.
     */
    DynamicBatcher.Executed infer(Map<String, Tensor> inputs, Set<String> outputs, long rows, SequenceControl control) {
        if (sequences != null) {
            return sequences.execute(control, inputs, outputs);
        }
        if (batcher == null) {
            long start = System.nanoTime();
            Map<String, Tensor> result = executeNow(inputs, outputs);
            return new DynamicBatcher.Executed(result, 0, System.nanoTime() - start);
        }
        try {
            return batcher.submit(inputs, outputs, rows).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException cause ? cause : e;
        }
    }

    /** Active sequences (those holding state), for monitoring and tests. */
    public int activeSequences() {
        return sequences == null ? 0 : sequences.active();
    }

    /** One model execution (one request, or several joined by the batcher). */
    private Map<String, Tensor> executeNow(Map<String, Tensor> inputs, Set<String> outputs) {
        return locked(inputs.values().iterator().next().shape()[0], () -> backend.execute(inputs, outputs));
    }

    /** Runs one execution of {@code rows} batch rows unless the version is unloading, and records it. */
    private <T> T locked(long rows, java.util.function.Supplier<T> execution) {
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw InferenceException.unavailable("'" + name() + "' version " + version + " is not at ready state");
            }
            long start = System.nanoTime();
            T result = execution.get();
            statistics.recordExecution(rows, 0, System.nanoTime() - start, 0);
            return result;
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    @Override
    public void close() {
        if (batcher != null) {
            batcher.close();
        }
        if (sequences != null) {
            sequences.stopBatching(); // fails queued steps now instead of letting them wait for the lock below
        }
        lifecycle.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                if (sequences != null) {
                    sequences.close();
                }
                backend.close();
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
    }
}
