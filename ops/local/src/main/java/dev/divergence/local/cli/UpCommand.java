package dev.divergence.local.cli;


import dev.divergence.local.Component;
import dev.divergence.local.LocalPlatform;
import dev.divergence.local.LocalPlatformConfig;
import dev.divergence.local.PlatformStartException;
import dev.divergence.local.secrets.LocalSecrets;
import dev.divergence.local.service.BuiltInModelsProbe;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Optional;

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
        if (config.components().contains(Component.GATEWAY)) {
            // the first admin: every call through the gateway needs a key (docs/security.md)
            console.line("Admin API key (default tenant): " + LocalSecrets.bootstrapAdminKey(config.dataDir()));
            console.line("  kept in " + LocalSecrets.bootstrapAdminKeyFile(config.dataDir())
                    + "; send it as X-Api-Key, make other keys with POST /api/v1/admin/api-keys");
        }
        console.line("Logs: ./platform logs <name>   Status: ./platform status   Stop: Ctrl-C here or ./platform down");
        if (config.components().contains(Component.INFERENCE)) {
            Thread.ofVirtual().name("built-in-models-watch").start(() -> reportBuiltInModels(console, platform, begin));
        }
        awaitShutdown(platform);
        return PlatformCli.OK;
    }

    /**
     * The inference service is ready before its built-in models are (on a fresh data folder they are trained
     * first): says which are still being prepared, then when all serve requests, or which failed.
     */
    private void reportBuiltInModels(ConsoleReporter console, LocalPlatform platform, long begin) {
        String url = config.httpUrl(Component.INFERENCE);
        boolean announced = false;
        long deadline = System.nanoTime() + BUILT_IN_MODELS_WATCH.toNanos();
        while (System.nanoTime() < deadline && !platform.isStopping()) {
            Optional<BuiltInModelsProbe.Answer> answer = BuiltInModelsProbe.ask(url, Duration.ofSeconds(5),
                    dev.divergence.local.secrets.LauncherIdentity.token(config.dataDir()));
            if (answer.isPresent()) {
                BuiltInModelsProbe.Answer a = answer.get();
                if (!a.failed().isEmpty()) {
                    for (BuiltInModelsProbe.Model m : a.failed()) {
                        console.line("Built-in model " + m.name() + " FAILED: " + m.message() + " (./platform logs inference)");
                    }
                    return;
                }
                if (a.allServable()) {
                    console.line("Built-in models servable" + (announced
                            ? " in " + ConsoleReporter.seconds(Duration.ofNanos(System.nanoTime() - begin)) : "") + ": " + a.summary());
                    return;
                }
                if (!announced) {
                    console.line("Built-in models being prepared (" + a.summary() + "): requests for them get 503 + Retry-After"
                            + " until they are servable; trained once per data folder, then cached");
                    announced = true;
                }
            }
            try {
                Thread.sleep(2000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static final Duration BUILT_IN_MODELS_WATCH = Duration.ofMinutes(30);

    /** Ctrl-C or SIGTERM (./platform down) runs the platform's shutdown hook, which stops the children in order. */
    private static void awaitShutdown(LocalPlatform platform) {
        try {
            platform.awaitStopped();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
