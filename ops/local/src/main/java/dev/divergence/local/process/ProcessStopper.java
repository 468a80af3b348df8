package dev.divergence.local.process;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Stops a process politely first: SIGTERM, a grace period, then SIGKILL. */
public final class ProcessStopper {

    private static final Duration AFTER_KILL = Duration.ofSeconds(5);

    private ProcessStopper() {
    }

    /** Returns true if the process ended within the grace period without being killed. */
    public static boolean stop(ProcessHandle handle, Duration grace) {
        if (!handle.isAlive()) {
            return true;
        }
        handle.destroy();
        if (awaitExit(handle, grace)) {
            return true;
        }
        handle.destroyForcibly();
        awaitExit(handle, AFTER_KILL);
        return false;
    }

    public static boolean awaitExit(ProcessHandle handle, Duration timeout) {
        try {
            handle.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return !handle.isAlive();
        } catch (ExecutionException e) {
            return !handle.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !handle.isAlive();
        }
    }
}
