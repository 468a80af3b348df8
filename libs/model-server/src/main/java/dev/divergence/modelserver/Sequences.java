package dev.divergence.modelserver;

import dev.divergence.modelserver.backend.StatefulBackend;
import dev.divergence.modelserver.backend.StatefulBackend.SequenceState;
import dev.divergence.modelserver.tensor.Tensor;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Triton's sequence batching for one model version: requests carrying the same sequence_id share
 * state (a language model's KV cache) from the request flagged sequence_start to the one flagged
 * sequence_end. A sequence without requests for max_sequence_idle_microseconds (Triton's default
 * 1 s when unset) is evicted and its memory freed; its next request must start it again.
 */
final class Sequences implements AutoCloseable {

    private static final long DEFAULT_IDLE_MICROS = 1_000_000;

    private static final class Slot {
        final SequenceState state;
        volatile long lastUsedNs = System.nanoTime();
        boolean closed;

        Slot(SequenceState state) {
            this.state = state;
        }
    }

    private final String model;
    private final StatefulBackend backend;
    private final long idleNs;
    private final Map<String, Slot> slots = new ConcurrentHashMap<>();
    private final ScheduledExecutorService evictor;

    Sequences(String model, StatefulBackend backend, long maxIdleMicros) {
        this.model = model;
        this.backend = backend;
        this.idleNs = TimeUnit.MICROSECONDS.toNanos(maxIdleMicros > 0 ? maxIdleMicros : DEFAULT_IDLE_MICROS);
        this.evictor = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("sequences-" + model).factory());
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(10), idleNs / 4);
        evictor.scheduleWithFixedDelay(this::evictIdle, period, period, TimeUnit.NANOSECONDS);
    }

    Map<String, Tensor> execute(SequenceControl control, Map<String, Tensor> inputs, Set<String> outputs) {
        if (control.id().isEmpty()) {
            throw InferenceException.invalidArgument("inference request to model '" + model + "' must specify a non-zero or non-empty correlation ID");
        }
        Slot slot = control.start() ? restart(control.id()) : slots.get(control.id());
        if (slot == null) {
            throw InferenceException.invalidArgument("inference request for sequence " + control.id() + " to model '" + model
                    + "' must specify the START flag on the first request of the sequence");
        }
        try {
            synchronized (slot) {
                if (slot.closed) {
                    throw InferenceException.invalidArgument("sequence " + control.id() + " of model '" + model
                            + "' was evicted after being idle; start it again with the START flag");
                }
                slot.lastUsedNs = System.nanoTime();
                return backend.execute(slot.state, inputs, outputs);
            }
        } finally {
            if (control.end()) {
                release(control.id(), slot);
            }
        }
    }

    /** A start on a live sequence id begins it afresh: the old state is dropped. */
    private Slot restart(String id) {
        Slot fresh = new Slot(backend.openSequence());
        Slot old = slots.put(id, fresh);
        if (old != null) {
            close(old);
        }
        return fresh;
    }

    int active() {
        return slots.size();
    }

    void evictIdle() {
        long now = System.nanoTime();
        for (Iterator<Map.Entry<String, Slot>> it = slots.entrySet().iterator(); it.hasNext();) {
            Map.Entry<String, Slot> entry = it.next();
            if (now - entry.getValue().lastUsedNs > idleNs) {
                release(entry.getKey(), entry.getValue());
            }
        }
    }

    private void release(String id, Slot slot) {
        slots.remove(id, slot);
        close(slot);
    }

    private static void close(Slot slot) {
        synchronized (slot) {
            if (!slot.closed) {
                slot.closed = true;
                slot.state.close();
            }
        }
    }

    @Override
    public void close() {
        evictor.shutdownNow();
        slots.values().forEach(Sequences::close);
        slots.clear();
    }
}
