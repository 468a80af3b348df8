package dev.divergence.local;

import dev.divergence.local.kafka.KafkaBroker;
import dev.divergence.local.net.PortCheck;
import dev.divergence.local.postgres.PostgresServer;
import dev.divergence.local.state.LeftoverProcesses;
import dev.divergence.local.state.PlatformState;
import dev.divergence.local.state.StateFile;

import java.nio.file.Files;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Everything checked before the first process starts, each failure explained in one line. */
final class PreflightChecks {

    private PreflightChecks() {
    }

    static void run(LocalPlatformConfig config, PlatformListener listener) {
        StateFile stateFile = new StateFile(config.runDir());
        Optional<PlatformState> previous = stateFile.read();
        if (previous.isPresent()) {
            PlatformState state = previous.get();
            if (state.launcher().live().isPresent()) {
                throw new PlatformStartException("The platform is already running from " + config.dataDir()
                        + " (launcher pid " + state.launcher().pid() + "): see ./platform status, or stop it with ./platform down.");
            }
            List<String> leftovers = LeftoverProcesses.stop(state, Duration.ofSeconds(20));
            if (!leftovers.isEmpty()) {
                listener.notice("stopped processes left behind by an earlier launcher: " + String.join(", ", leftovers));
            }
            stateFile.delete();
        }
        if (config.components().contains(Component.POSTGRES)) {
            long postmaster = PostgresServer.stopLeftoverPostmaster(config);
            if (postmaster > 0) {
                listener.notice("stopped a PostgreSQL server left running on " + config.dataDir().resolve("postgres")
                        + " (pid " + postmaster + ")");
            }
        }
        requireJars(config);
        requirePortsFree(config.ports(), config.components());
        requireExternalReachable(config);
    }

    static void requireExternalReachable(LocalPlatformConfig config) {
        if (config.external().hasKafka() && !KafkaBroker.isReachable(config.kafkaBootstrapServers())) {
            throw new PlatformStartException("The external Kafka at " + config.kafkaBootstrapServers()
                    + " does not answer (--kafka-bootstrap); start it, or leave the option out to run a local broker.");
        }
        if (config.external().hasDatabase()
                && !PostgresServer.isReachable(config.jdbcUrl(), config.databaseUser(), config.databasePassword())) {
            throw new PlatformStartException("The external database " + config.jdbcUrl() + " does not accept user "
                    + config.databaseUser() + " (--postgres-url/--postgres-user/--postgres-password); check it, or leave the options out.");
        }
    }

    static void requireJars(LocalPlatformConfig config) {
        List<String> missing = config.components().stream().filter(c -> c.jarPath() != null)
                .filter(c -> !Files.isRegularFile(config.jar(c)))
                .map(c -> config.repoRoot().relativize(config.jar(c)).toString()).toList();
        if (!missing.isEmpty()) {
            throw new PlatformStartException("Service jar" + (missing.size() > 1 ? "s" : "") + " missing: "
                    + String.join(", ", missing) + " (build with ./mvnw -q -DskipTests package).");
        }
    }

    static void requirePortsFree(PlatformPorts ports, Collection<Component> components) {
        for (Component c : components) {
            for (Map.Entry<String, Integer> binding : ports.bindings(c).entrySet()) {
                if (!PortCheck.isFree(binding.getValue())) {
                    throw new PlatformStartException(PortCheck.inUseMessage(binding.getKey(), binding.getValue()));
                }
            }
        }
    }
}
