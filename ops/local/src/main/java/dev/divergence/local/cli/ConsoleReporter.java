package dev.divergence.local.cli;

import dev.divergence.local.Component;
import dev.divergence.local.LocalPlatformConfig;
import dev.divergence.local.PlatformListener;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;

/**
 * Prints the platform's progress: one line per event and component, and while waiting either a live
 * progress line (on a terminal) or a periodic "still waiting" line (when the output is a file or pipe).
 */
final class ConsoleReporter implements PlatformListener {

    private static final String CLEAR_LINE = "\r\033[K";
    private static final char[] SPINNER = {'|', '/', '-', '\\'};
    private static final Duration PLAIN_PROGRESS_EVERY = Duration.ofSeconds(10);

    private final PrintStream out;
    private final boolean terminal;
    private final LocalPlatformConfig config;
    private boolean progressShown;
    private int spin;
    private long lastPlainProgress;

    ConsoleReporter(PrintStream out, boolean terminal, LocalPlatformConfig config) {
        this.out = out;
        this.terminal = terminal;
        this.config = config;
    }

    static String label(Component c) {
        return String.format(Locale.ROOT, "%-11s", c.id());
    }

    static String describe(Component c, LocalPlatformConfig config) {
        return switch (c) {
            case KAFKA -> config.kafkaBootstrapServers() + "  (controller :" + config.ports().kafkaController() + ")";
            case POSTGRES -> config.jdbcUrl() + "  (user " + LocalPlatformConfig.POSTGRES_USER + ")";
            case INFERENCE -> config.httpUrl(c) + "  (gRPC :" + config.ports().grpc(c) + ")  model server: HTTP :"
                    + config.ports().triton().http() + ", gRPC :" + config.ports().triton().grpc() + ", metrics :"
                    + config.ports().triton().metrics();
            default -> config.httpUrl(c) + (config.ports().grpc(c) > 0 ? "  (gRPC :" + config.ports().grpc(c) + ")" : "");
        };
    }

    static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.1fs", d.toMillis() / 1000.0);
    }

    @Override
    public synchronized void starting(Component c, String address, long pid) {
        line("  " + label(c) + " starting  " + describe(c, config) + "  pid " + pid);
    }

    @Override
    public synchronized void ready(Component c, Duration took) {
        line("  " + label(c) + " ready     in " + seconds(took));
    }

    @Override
    public synchronized void waiting(Set<Component> pending, Duration elapsed) {
        String names = String.join(" ", pending.stream().map(Component::id).sorted().toList());
        if (terminal) {
            out.print(CLEAR_LINE + "  " + SPINNER[spin++ % SPINNER.length] + " waiting " + seconds(elapsed) + " for: " + names);
            out.flush();
            progressShown = true;
        } else if (elapsed.toMillis() - lastPlainProgress >= PLAIN_PROGRESS_EVERY.toMillis()) {
            lastPlainProgress = elapsed.toMillis();
            out.println("  ... still waiting after " + seconds(elapsed) + " for: " + names);
        }
    }

    @Override
    public synchronized void stoppingAll() {
        line("Stopping: services, then Kafka, then PostgreSQL ...");
    }

    @Override
    public synchronized void stoppedAll(Duration took) {
        line("Stopped in " + seconds(took) + ".");
    }

    @Override
    public synchronized void stopping(Component c) {
        line("  " + label(c) + " stopping");
    }

    @Override
    public synchronized void stopped(Component c, boolean clean) {
        line("  " + label(c) + (clean ? " stopped" : " stopped (killed: it did not exit within its grace period)"));
    }

    @Override
    public synchronized void exitedUnexpectedly(Component c, int exitCode, Path logFile) {
        line("!! " + c.id() + " exited unexpectedly (exit code " + exitCode + "); see ./platform logs " + c.id()
                + "  (" + logFile + ")");
    }

    @Override
    public synchronized void notice(String text) {
        line("  " + text);
    }

    synchronized void line(String text) {
        if (progressShown) {
            out.print(CLEAR_LINE);
            progressShown = false;
        }
        lastPlainProgress = 0;
        out.println(text);
        out.flush();
    }
}
