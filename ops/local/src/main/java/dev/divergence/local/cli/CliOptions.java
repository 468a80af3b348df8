package dev.divergence.local.cli;

import dev.divergence.local.Component;
import dev.divergence.local.LocalPlatformConfig;
import dev.divergence.local.PlatformPorts;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The command line of the launcher: {@code up|down|status [options]}.
 *
 * <pre>
 *   --root DIR           the checkout (default: found from the working directory)
 *   --data-dir DIR       data, logs and run state (default: ROOT/.data)
 *   --cache-dir DIR      unpacked jars, class-data archives, libtorch, PostgreSQL binaries; shared by every data
 *                        folder (default: $DIVERGENCE_CACHE_DIR, else $XDG_CACHE_HOME/divergence, else ~/.cache/divergence)
 *   --port-offset N      shift every default port by N (two platforms side by side)
 *   --port NAME=PORT     one port: kafka, kafka-controller, postgres, gateway, training, training-grpc, ...,
 *                        triton-http, triton-grpc, triton-metrics (the inference service's embedded model server)
 *   --only A,B           start only these components (e.g. kafka,postgres)
 *   --timeout SECONDS    how long a start may take before it counts as failed (default 300)
 *   --no-startup-cache   run services straight from their jars (no unpacked copy, no class-data archive)
 *   --kafka-bootstrap H:P        use this broker instead of starting Kafka
 *   --postgres-url JDBC_URL      use this database instead of starting PostgreSQL
 *   --postgres-user U, --postgres-password P   its credentials (default postgres/postgres)
 * </pre>
 */
record CliOptions(String command, LocalPlatformConfig config, boolean terminal) {

    static CliOptions parse(String[] args) {
        if (args.length == 0) {
            throw new IllegalArgumentException("missing command");
        }
        String command = args[0];
        Path root = null;
        Path dataDir = null;
        Path cacheDir = null;
        int offset = 0;
        List<String[]> portOverrides = new ArrayList<>();
        Set<Component> only = EnumSet.allOf(Component.class);
        Duration timeout = Duration.ofSeconds(300);
        boolean startupCache = true;
        String kafkaBootstrap = null;
        String postgresUrl = null;
        String postgresUser = LocalPlatformConfig.POSTGRES_USER;
        String postgresPassword = LocalPlatformConfig.POSTGRES_PASSWORD;
        for (int i = 1; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--no-startup-cache")) {
                startupCache = false;
                continue;
            }
            String name = arg.contains("=") && arg.startsWith("--") ? arg.substring(0, arg.indexOf('=')) : arg;
            String inlineValue = name.equals(arg) ? null : arg.substring(arg.indexOf('=') + 1);
            String value = inlineValue;
            if (value == null && i + 1 < args.length && name.startsWith("--")) {
                value = args[++i];
            }
            if (value == null) {
                throw new IllegalArgumentException("option " + name + " needs a value");
            }
            switch (name) {
                case "--root" -> root = Path.of(value);
                case "--data-dir" -> dataDir = Path.of(value);
                case "--cache-dir" -> cacheDir = Path.of(value);
                case "--port-offset" -> offset = parseInt(name, value);
                case "--port" -> {
                    String[] kv = value.split("=", 2);
                    if (kv.length != 2) {
                        throw new IllegalArgumentException("--port expects NAME=PORT, got '" + value + "'");
                    }
                    portOverrides.add(kv);
                }
                case "--only" -> {
                    only = EnumSet.noneOf(Component.class);
                    for (String id : value.split(",")) {
                        only.add(Component.byId(id.trim()));
                    }
                }
                case "--timeout" -> timeout = Duration.ofSeconds(parseInt(name, value));
                case "--kafka-bootstrap" -> kafkaBootstrap = value;
                case "--postgres-url" -> postgresUrl = value;
                case "--postgres-user" -> postgresUser = value;
                case "--postgres-password" -> postgresPassword = value;
                default -> throw new IllegalArgumentException("unknown option " + name);
            }
        }
        PlatformPorts ports = PlatformPorts.withOffset(offset);
        for (String[] kv : portOverrides) {
            ports = ports.with(kv[0], parseInt("--port " + kv[0], kv[1]));
        }
        LocalPlatformConfig.Builder builder = LocalPlatformConfig.builder().ports(ports).components(only).startTimeout(timeout)
                .serviceStartupCache(startupCache);
        if (kafkaBootstrap != null) {
            builder.externalKafka(kafkaBootstrap);
        }
        if (postgresUrl != null) {
            builder.externalDatabase(postgresUrl, postgresUser, postgresPassword);
        }
        if (root != null) {
            builder.repoRoot(root);
        }
        if (dataDir != null) {
            builder.dataDir(dataDir);
        }
        if (cacheDir != null) {
            builder.cacheDir(cacheDir);
        }
        return new CliOptions(command, builder.build(), Boolean.getBoolean("platform.tty"));
    }

    private static int parseInt(String option, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " expects a number, got '" + value + "'");
        }
    }
}
