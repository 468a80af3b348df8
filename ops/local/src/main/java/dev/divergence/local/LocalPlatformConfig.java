package dev.divergence.local;

import dev.divergence.local.net.FreePorts;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What a {@link LocalPlatform} starts and where.
 *
 * @param repoRoot       the checkout: service jars are found relative to it
 * @param dataDir        everything that survives a restart (Kafka log, PostgreSQL cluster, logs, run state)
 * @param cacheDir       what is derived from the build and the machine only, never from data: unpacked service
 *                       jars with their class-data archives, libtorch unpacked by DJL, the PostgreSQL binaries.
 *                       Shared by every data folder, so a fresh data folder starts as fast as a warm one
 * @param ports          every listening port
 * @param components     which components to run (tests may start only Kafka and PostgreSQL)
 * @param startTimeout   how long one start may take to report ready before it counts as failed
 * @param serviceJvmOptions JVM options for each service process
 * @param serviceStartupCache whether services run from an unpacked jar with a class-data-sharing archive
 *                            under cacheDir (about twice as fast from the second start on)
 * @param external       Kafka/PostgreSQL used instead of local ones (those components are then not started)
 */
public record LocalPlatformConfig(Path repoRoot, Path dataDir, Path cacheDir, PlatformPorts ports, Set<Component> components,
                                  Duration startTimeout, List<String> serviceJvmOptions, boolean serviceStartupCache,
                                  ExternalInfrastructure external) {

    /** -Xmx384m per the service contract; SerialGC keeps resident memory low on a laptop with 5 JVMs. */
    public static final List<String> DEFAULT_SERVICE_JVM_OPTIONS = List.of("-Xmx384m", "-XX:+UseSerialGC",
            // libs/divergence's SIMD kernels (training, evaluation, inference use them); scalar fallback without it
            "--add-modules=jdk.incubator.vector");

    public LocalPlatformConfig {
        repoRoot = repoRoot.toAbsolutePath().normalize();
        dataDir = dataDir.toAbsolutePath().normalize();
        cacheDir = cacheDir.toAbsolutePath().normalize();
        components = components.isEmpty() ? EnumSet.noneOf(Component.class) : EnumSet.copyOf(components);
        serviceJvmOptions = List.copyOf(serviceJvmOptions);
        if (external.hasKafka()) {
            components.remove(Component.KAFKA);
        }
        if (external.hasDatabase()) {
            components.remove(Component.POSTGRES);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().repoRoot(repoRoot).dataDir(dataDir).cacheDir(cacheDir).ports(ports).components(components)
                .startTimeout(startTimeout).serviceJvmOptions(serviceJvmOptions).serviceStartupCache(serviceStartupCache).external(external);
    }

    /**
     * The default cache folder: {@code $DIVERGENCE_CACHE_DIR}, else {@code $XDG_CACHE_HOME/divergence}, else
     * {@code ~/.cache/divergence} (where Maven, pip and browsers keep theirs).
     */
    public static Path defaultCacheDir() {
        String explicit = System.getenv("DIVERGENCE_CACHE_DIR");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("divergence");
    }

    /** libtorch as DJL unpacks it (432 MB): every service that runs models shares one copy. */
    public Path djlCacheDir() {
        return cacheDir.resolve("djl");
    }

    /** Where the services keep model folders ({@code DIVERGENCE_DATA_DIR}/models, their contract). */
    public Path modelsDir() {
        return dataDir.resolve("models");
    }

    public Path logDir() {
        return dataDir.resolve("logs");
    }

    public Path runDir() {
        return dataDir.resolve("run");
    }

    public Path logFile(Component c) {
        return logDir().resolve(c.id() + ".log");
    }

    public Path jar(Component c) {
        return repoRoot.resolve(c.jarPath());
    }

    /** The database the services use: the local one, or the external one if configured. */
    public String jdbcUrl() {
        return external.hasDatabase() ? external.jdbcUrl() : "jdbc:postgresql://localhost:" + ports.postgres() + "/" + POSTGRES_DATABASE;
    }

    public String databaseUser() {
        return external.hasDatabase() ? external.databaseUser() : POSTGRES_USER;
    }

    public String databasePassword() {
        return external.hasDatabase() ? external.databasePassword() : POSTGRES_PASSWORD;
    }

    /** The broker the services use: the local one, or the external one if configured. */
    public String kafkaBootstrapServers() {
        return external.hasKafka() ? external.kafkaBootstrapServers() : "localhost:" + ports.kafka();
    }

    public String httpUrl(Component c) {
        return "http://localhost:" + ports.http(c);
    }

    public static final String POSTGRES_DATABASE = "divergence";
    /** zonky's initdb creates the superuser "postgres" with trust authentication: any password works. */
    public static final String POSTGRES_USER = "postgres";
    public static final String POSTGRES_PASSWORD = "postgres";

    /**
     * The repository root: the nearest directory at or above {@code start} that holds ops/local/pom.xml.
     */
    public static Path findRepoRoot(Path start) {
        for (Path p = start.toAbsolutePath().normalize(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("ops/local/pom.xml"))) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find the Divergence checkout (a directory with ops/local/pom.xml) at or above " + start);
    }

    public static final class Builder {
        private Path repoRoot;
        private Path dataDir;
        private Path cacheDir;
        private PlatformPorts ports = PlatformPorts.defaults();
        private Set<Component> components = EnumSet.allOf(Component.class);
        // generous: five Spring Boot services starting at once on a busy 2-core machine take minutes
        private Duration startTimeout = Duration.ofMinutes(5);
        private List<String> serviceJvmOptions = new ArrayList<>(DEFAULT_SERVICE_JVM_OPTIONS);
        // off by default: a test's fresh data directory would pay for building a cache it never reuses
        private boolean serviceStartupCache = false;
        private ExternalInfrastructure external = ExternalInfrastructure.NONE;

        public Builder repoRoot(Path repoRoot) { this.repoRoot = repoRoot; return this; }
        public Builder dataDir(Path dataDir) { this.dataDir = dataDir; return this; }
        public Builder cacheDir(Path cacheDir) { this.cacheDir = cacheDir; return this; }
        public Builder ports(PlatformPorts ports) { this.ports = ports; return this; }
        public Builder components(Set<Component> components) { this.components = EnumSet.copyOf(components); return this; }
        public Builder components(Component first, Component... rest) { return components(EnumSet.of(first, rest)); }
        public Builder startTimeout(Duration startTimeout) { this.startTimeout = startTimeout; return this; }
        public Builder serviceJvmOptions(List<String> options) { this.serviceJvmOptions = new ArrayList<>(options); return this; }
        /** On (./platform up does this): warm starts reuse the unpacked jars and class-data archives under cacheDir. */
        public Builder serviceStartupCache(boolean enabled) { this.serviceStartupCache = enabled; return this; }
        /** Use this broker instead of starting Kafka. */
        public Builder externalKafka(String bootstrapServers) { this.external = external.withKafka(bootstrapServers); return this; }
        /** Use this database instead of starting PostgreSQL. */
        public Builder externalDatabase(String jdbcUrl, String user, String password) {
            this.external = external.withDatabase(jdbcUrl, user, password);
            return this;
        }
        Builder external(ExternalInfrastructure external) { this.external = external; return this; }

        /** Random free ports for everything: what tests use so they never collide with a running ./platform up. */
        public Builder randomFreePorts() {
            this.ports = FreePorts.allocate();
            return this;
        }

        public LocalPlatformConfig build() {
            Path root = repoRoot != null ? repoRoot : findRepoRoot(Path.of(""));
            Path data = dataDir != null ? dataDir : root.resolve(".data");
            Path cache = cacheDir != null ? cacheDir : defaultCacheDir();
            return new LocalPlatformConfig(root, data, cache, ports, components, startTimeout, serviceJvmOptions, serviceStartupCache,
                    external);
        }
    }
}
