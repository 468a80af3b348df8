package dev.divergence.modelserver.client;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Stops calling a server that keeps failing: after {@code threshold} consecutive failed calls
 * (each already retried) the circuit opens and calls fail fast for {@code openFor}; then one
 * trial call is let through (half-open) and its outcome closes or reopens the circuit. This keeps
 * callers from piling deadlines onto a dead or overloaded server.
 */
final class CircuitBreaker {

    private final int threshold;
    private final long openForNs;
    private final LongSupplier clock;
    private int consecutiveFailures;
    private long openedAtNs;
    private boolean open;
    private boolean trialInFlight;

    CircuitBreaker(int threshold, Duration openFor, LongSupplier clock) {
        this.threshold = threshold;
        this.openForNs = openFor.toNanos();
        this.clock = clock;
    }

    /** Whether a call may go out now; in half-open state only one trial at a time may. */
    synchronized boolean allow() {
        if (!open) {
            return true;
        }
        if (clock.getAsLong() - openedAtNs < openForNs || trialInFlight) {
            return false;
        }
        trialInFlight = true;
        return true;
    }

    synchronized void onSuccess() {
        consecutiveFailures = 0;
        open = false;
        trialInFlight = false;
    }

    synchronized void onFailure() {
        consecutiveFailures++;
        if (trialInFlight || consecutiveFailures >= threshold) {
            open = true;
            openedAtNs = clock.getAsLong();
        }
        trialInFlight = false;
    }

    synchronized boolean isOpen() {
        return open;
    }
}
