package dev.divergence.local.cli;

import dev.divergence.local.Component;
import dev.divergence.local.LocalPlatformConfig;
import dev.divergence.local.kafka.KafkaBroker;
import dev.divergence.local.postgres.PostgresServer;
import dev.divergence.local.service.BuiltInModelsProbe;
import dev.divergence.local.service.HttpHealth;
import dev.divergence.local.state.PlatformState;
import dev.divergence.local.state.StateFile;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** ./platform status: what runs (from the state file), where it listens and whether it is healthy right now. */
final class StatusCommand {

    private final LocalPlatformConfig config;
    private final PrintStream out;

    StatusCommand(LocalPlatformConfig config, PrintStream out) {
        this.config = config;
        this.out = out;
    }

    int run() {
        StateFile stateFile = new StateFile(config.runDir());
        Optional<PlatformState> state = stateFile.read();
        if (state.isEmpty() || state.get().launcher().live().isEmpty()) {
            out.println("The platform is not running" + (state.isPresent()
                    ? " (the launcher recorded in " + stateFile.path() + " is gone; ./platform up cleans up after it)." : "."));
            return PlatformCli.FAILED;
        }
        // The ports the running launcher actually uses, not this invocation's defaults.
        LocalPlatformConfig running = config.toBuilder().ports(state.get().ports()).build();
        Map<Component, String> health = checkAll(running, state.get());
        out.println("Divergence local platform: launcher pid " + state.get().launcher().pid() + ", data in " + config.dataDir());
        int healthy = 0;
        for (Component c : state.get().components()) {
            PlatformState.RecordedProcess p = state.get().children().get(c);
            String pid = p == null ? "-" : Long.toString(p.pid());
            out.println(String.format(Locale.ROOT, "  %-11s %-9s %-8s %s", c.id(), health.get(c), pid,
                    ConsoleReporter.describe(c, running)));
            if (health.get(c).equals("healthy")) {
                healthy++;
            }
        }
        int expected = state.get().components().size();
        out.println(healthy + "/" + expected + " healthy.");
        if ("healthy".equals(health.get(Component.INFERENCE))) {
            out.println(BuiltInModelsProbe.ask(running.httpUrl(Component.INFERENCE), java.time.Duration.ofSeconds(8),
                dev.divergence.local.secrets.LauncherIdentity.token(running.dataDir()))
                    .map(a -> "Built-in models " + (a.allServable() ? "servable" : "not all servable yet") + ": " + a.summary())
                    .orElse("Built-in models: the inference service did not say"));
        }
        return healthy == expected ? PlatformCli.OK : PlatformCli.FAILED;
    }

    /** Probes run in parallel: a hung service must not make status take 7 timeouts. */
    private static Map<Component, String> checkAll(LocalPlatformConfig running, PlatformState state) {
        Map<Component, String> health = new ConcurrentHashMap<>();
        java.util.List<Thread> probes = new java.util.ArrayList<>();
        for (Component c : state.components()) {
            probes.add(Thread.ofVirtual().start(() -> health.put(c, check(c, running, state))));
        }
        for (Thread t : probes) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return health;
    }

    private static String check(Component c, LocalPlatformConfig running, PlatformState state) {
        PlatformState.RecordedProcess p = state.children().get(c);
        if (p == null || p.live().isEmpty()) {
            return "stopped";
        }
        boolean ok = switch (c) {
            case KAFKA -> KafkaBroker.isReachable(running.kafkaBootstrapServers());
            case POSTGRES -> PostgresServer.isReachable(running.jdbcUrl(), running.databaseUser(), running.databasePassword());
            default -> HttpHealth.isReady(running.httpUrl(c), java.time.Duration.ofSeconds(8));
        };
        return ok ? "healthy" : "unhealthy";
    }
}
