package dev.divergence.inference.decoding;

import java.util.ArrayList;
import java.util.List;

/** Set by whoever learns that the result is no longer wanted; decoding checks it at every step. */
public final class Cancellation {

    private volatile boolean cancelled;
    private final List<Runnable> callbacks = new ArrayList<>();

    public void cancel() {
        List<Runnable> toRun;
        synchronized (this) {
            if (cancelled) {
                return;
            }
            cancelled = true;
            toRun = List.copyOf(callbacks);
        }
        toRun.forEach(Runnable::run);
    }

    public boolean isCancelled() {
        return cancelled;
    }

    /** Runs {@code callback} on cancellation (at once if already cancelled). */
    public void onCancel(Runnable callback) {
        synchronized (this) {
            if (!cancelled) {
                callbacks.add(callback);
                return;
            }
        }
        callback.run();
    }
}
