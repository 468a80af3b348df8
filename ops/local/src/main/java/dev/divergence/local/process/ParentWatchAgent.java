package dev.divergence.local.process;

import java.io.IOException;
import java.io.InputStream;

/**
 * A Java agent loaded into every child JVM (Kafka, PostgreSQL, the services) so that no child outlives
 * the launcher: the launcher holds the write end of each child's stdin and never writes to it; when the
 * launcher dies in any way, even by SIGKILL, the kernel closes that pipe, the read here returns end-of-file
 * and the child exits through its own shutdown hooks (Kafka's controlled shutdown, Spring's graceful stop).
 *
 * <p>Self-contained on purpose (no lambdas to other classes, no dependencies): it is copied alone into a tiny
 * agent jar by {@link ParentWatchAgentJar}.
 */
public final class ParentWatchAgent {

    private static final long HALT_AFTER_MILLIS = 30_000;

    private ParentWatchAgent() {
    }

    public static void premain(String args) {
        Thread watcher = new Thread(ParentWatchAgent::watchStdin, "launcher-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    private static void watchStdin() {
        InputStream in = System.in;
        byte[] buffer = new byte[256];
        try {
            while (in.read(buffer) >= 0) {
                // the launcher never writes; anything read is ignored
            }
        } catch (IOException e) {
            // a broken pipe means the same as end-of-file: the launcher is gone
        }
        System.err.println("[local-runtime] the launcher is gone (stdin closed): shutting down");
        Thread halter = new Thread(ParentWatchAgent::haltLater, "launcher-watch-halt");
        halter.setDaemon(true);
        halter.start();
        System.exit(0);
    }

    /** Shutdown hooks get a fair chance, but a hung hook must not leave an orphan behind. */
    private static void haltLater() {
        try {
            Thread.sleep(HALT_AFTER_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Runtime.getRuntime().halt(1);
    }
}
