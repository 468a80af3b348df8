package dev.divergence.modelserver;

import dev.divergence.modelserver.backend.StatefulBackend;
import dev.divergence.modelserver.backend.StatefulBackend.SequenceState;
import dev.divergence.modelserver.tensor.Tensor;
import dev.divergence.proto.triton.ModelSequenceBatching;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Triton's sequence batching for one model version: requests carrying the same sequence_id share
 * state (a language model's KV cache) from the request flagged sequence_start to the one flagged
 * sequence_end. A sequence without requests for max_sequence_idle_microseconds (Triton's default
 * 1 s when unset) is evicted and its memory freed; its next request must start it again.
 *
 * <p>With the direct strategy (no {@code oldest} block) each request executes alone. With the
 * oldest strategy, requests that continue a sequence by one step ({@link StatefulBackend#joinable})
 * go through an {@link OldestSequenceBatcher} that executes steps of different sequences as one
 * batch; starts and multi-token requests still execute alone.
 */
final class Sequences implements AutoCloseable {

    private static final long DEFAULT_IDLE_MICROS = 1_000_000;

    private static final class Slot {
        final SequenceState state;
        volatile long lastUsedNs = System.nanoTime();
        volatile boolean closed;
        /** Its last request (sequence_end) is on its way: no further request of it can join a batch. */
        volatile boolean ending;

        Slot(SequenceState state) {
            this.state = state;
        }
    }

    private final String model;
    private final StatefulBackend backend;
    private final long idleNs;
    private final Map<String, Slot> slots = new ConcurrentHashMap<>();
    private final ScheduledExecutorService evictor;
    private final OldestSequenceBatcher.Guard guard;
    private final OldestSequenceBatcher batcher;

    Sequences(String model, StatefulBackend backend, ModelSequenceBatching settings, int maxBatchSize, OldestSequenceBatcher.Guard guard) {
        this.model = model;
        this.backend = backend;
        this.guard = guard;
        long maxIdleMicros = settings.getMaxSequenceIdleMicroseconds();
        this.idleNs = TimeUnit.MICROSECONDS.toNanos(maxIdleMicros > 0 ? maxIdleMicros : DEFAULT_IDLE_MICROS);
        this.batcher = settings.hasOldest()
                ? new OldestSequenceBatcher(model, maxBatchSize, settings.getOldest(), backend, guard, this::awaitedSequences)
                : null;
        this.evictor = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("sequences-" + model).factory());
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(10), idleNs / 4);
        evictor.scheduleWithFixedDelay(this::evictIdle, period, period, TimeUnit.NANOSECONDS);
    }

    DynamicBatcher.Executed execute(SequenceControl control, Map<String, Tensor> inputs, Set<String> outputs) {
        if (control.id().isEmpty()) {
            throw InferenceException.invalidArgument("inference request to model '" + model + "' must specify a non-zero or non-empty correlation ID");
        }
        Slot slot = control.start() ? restart(control.id()) : slots.get(control.id());
        if (slot == null) {
            throw InferenceException.invalidArgument("inference request for sequence " + control.id() + " to model '" + model
                    + "' must specify the START flag on the first request of the sequence");
        }
        try {
            // a lone live sequence has no one to batch with: it skips the batcher's hand-over
            if (batcher != null && !control.start() && slots.size() > 1 && backend.joinable(inputs)) {
                requireOpen(control, slot);
                slot.lastUsedNs = System.nanoTime();
                slot.ending = control.end();
                try {
                    return batcher.submit(slot, slot.state, inputs, outputs).join();
                } catch (CompletionException e) {
                    throw e.getCause() instanceof RuntimeException cause ? cause : e;
                }
            }
            synchronized (slot) {
                requireOpen(control, slot);
                slot.lastUsedNs = System.nanoTime();
                long start = System.nanoTime();
                Map<String, Tensor> result = guard.run(1, () -> List.of(backend.execute(slot.state, inputs, outputs))).get(0);
                return new DynamicBatcher.Executed(result, 0, System.nanoTime() - start);
            }
        } finally {
            if (control.end()) {
                release(control.id(), slot);
            }
        }
    }

    private void requireOpen(SequenceControl control, Slot slot) {
        if (slot.closed) {
            throw InferenceException.invalidArgument("sequence " + control.id() + " of model '" + model
                    + "' was evicted after being idle; start it again with the START flag");
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

    /** Live sequences that may still send a request: what a step batch can wait for. */
    private int awaitedSequences() {
        int awaited = 0;
        for (Slot slot : slots.values()) {
            awaited += slot.ending ? 0 : 1;
        }
        return awaited;
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

    void stopBatching() {
        if (batcher != null) {
            batcher.close();
        }
    }

    @Override
    public void close() {
        stopBatching();
        evictor.shutdownNow();
        slots.values().forEach(Sequences::close);
        slots.clear();
    }
}
