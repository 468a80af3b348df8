package dev.divergence.modelserver;

import dev.divergence.modelserver.backend.ModelBackend;
import dev.divergence.modelserver.tensor.Tensor;
import dev.divergence.proto.triton.ModelConfig;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One served version of a model: its backend, config and statistics. Executions share a read
 * lock and unloading takes the write lock, so an unload waits for running requests instead of
 * freeing native memory under them; requests that arrive afterwards get UNAVAILABLE.
 */
public final class LoadedVersion implements AutoCloseable {

    private final ModelConfig config;
    private final long version;
    private final ModelBackend backend;
    private final InferenceStatistics statistics = new InferenceStatistics();
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    LoadedVersion(ModelConfig config, long version, ModelBackend backend) {
        this.config = config;
        this.version = version;
        this.backend = backend;
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

    Map<String, Tensor> execute(Map<String, Tensor> inputs, Set<String> outputs) {
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw InferenceException.unavailable("'" + name() + "' version " + version + " is not at ready state");
            }
            return backend.execute(inputs, outputs);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                backend.close();
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
    }
}
