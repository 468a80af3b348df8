package dev.divergence.local.postgres;

import dev.divergence.local.process.ProcessStopper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The postmaster of a data directory, found through its postmaster.pid file. */
final class Postmaster {

    private Postmaster() {
    }

    static Optional<ProcessHandle> running(Path clusterDir) {
        Path pidFile = clusterDir.resolve("postmaster.pid");
        try {
            if (!Files.exists(pidFile)) {
                return Optional.empty();
            }
            List<String> lines = Files.readAllLines(pidFile);
            if (lines.isEmpty()) {
                return Optional.empty();
            }
            long pid = Long.parseLong(lines.get(0).trim());
            // Only a process that is really a postgres server: a stale pid file may name a reused pid.
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .filter(h -> h.info().command().map(c -> c.endsWith("postgres")).orElse(false));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Fast shutdown (SIGINT: disconnect clients, checkpoint, exit) of a postmaster no JVM of ours controls. */
    static void stopLeftover(Path clusterDir, Duration grace) {
        running(clusterDir).ifPresent(handle -> fastShutdown(handle, grace));
    }

    static void fastShutdown(ProcessHandle handle, Duration grace) {
        try {
            new ProcessBuilder("kill", "-INT", Long.toString(handle.pid())).inheritIO().start().waitFor();
        } catch (IOException e) {
            handle.destroy(); // SIGTERM, "smart" shutdown: slower, but still clean
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!ProcessStopper.awaitExit(handle, grace)) {
            handle.destroyForcibly();
            ProcessStopper.awaitExit(handle, Duration.ofSeconds(5));
        }
    }
}
