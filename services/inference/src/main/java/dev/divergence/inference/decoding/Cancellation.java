package dev.divergence.inference.decoding;

/** Set by whoever learns that the result is no longer wanted; decoding checks it at every step. */
public final class Cancellation {

    private volatile boolean cancelled;

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }
}
