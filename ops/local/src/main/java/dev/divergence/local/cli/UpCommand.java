package dev.divergence.local.cli;

import dev.divergence.local.Component;
import dev.divergence.local.LocalPlatform;
import dev.divergence.local.LocalPlatformConfig;
import dev.divergence.local.PlatformStartException;

import java.io.PrintStream;
import java.time.Duration;

/** ./platform up: start everything, report where it listens, then supervise until Ctrl-C or ./platform down. */
final class UpCommand {

    private final CliOptions options;
    private final LocalPlatformConfig config;
    private final PrintStream out;
    private final PrintStream err;

    UpCommand(CliOptions options, PrintStream out, PrintStream err) {
        this.options = options;
        this.config = options.config();
        this.out = out;
        this.err = err;
    }

    int run() {
        ConsoleReporter console = new ConsoleReporter(out, options.terminal(), config);
        console.line("Divergence local platform: data in " + config.dataDir() + ", logs in " + config.logDir());
        if (config.external().hasKafka()) {
            console.line("  kafka       external  " + config.kafkaBootstrapServers());
        }
        if (config.external().hasDatabase()) {
            console.line("  postgres    external  " + config.jdbcUrl() + "  (user " + config.databaseUser() + ")");
        }
        long begin = System.nanoTime();
        LocalPlatform platform;
        try {
            platform = LocalPlatform.start(config, console);
        } catch (PlatformStartException e) {
            err.println("platform: " + e.getMessage());
            e.details().forEach(line -> err.println("    " + line));
            return PlatformCli.FAILED;
        }
        Duration took = Duration.ofNanos(System.nanoTime() - begin);
        int n = config.components().size();
        console.line("All " + n + (n == 1 ? " component" : " components") + " ready in " + ConsoleReporter.seconds(took) + ":");
        for (Component c : config.components()) {
            console.line("  " + ConsoleReporter.label(c) + " " + ConsoleReporter.describe(c, config));
        }
        console.line("Logs: ./platform logs <name>   Status: ./platform status   Stop: Ctrl-C here or ./platform down");
        awaitShutdown(platform);
        return PlatformCli.OK;
    }

    /** Ctrl-C or SIGTERM (./platform down) runs the platform's shutdown hook, which stops the children in order. */
    private static void awaitShutdown(LocalPlatform platform) {
        try {
            platform.awaitStopped();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
