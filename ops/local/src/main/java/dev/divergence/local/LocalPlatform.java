package dev.divergence.local;

import dev.divergence.local.kafka.KafkaBroker;
import dev.divergence.local.postgres.PostgresServer;
import dev.divergence.local.process.ChildComponent;
import dev.divergence.local.process.ChildProcess;
import dev.divergence.local.process.ComponentStartException;
import dev.divergence.local.process.JavaCommand;
import dev.divergence.local.process.ParentWatchAgentJar;
import dev.divergence.local.service.BuiltInModelsCache;
import dev.divergence.local.service.SpringBootService;
import dev.divergence.local.state.PlatformState;
import dev.divergence.local.state.StateFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The whole platform on one machine: a Kafka broker, a PostgreSQL cluster and every service, each in its own
 * child process, started in order (Kafka and PostgreSQL first) and stopped in reverse. What `./platform up`
 * runs, and what tests use:
 *
 * <pre>{@code
 * try (LocalPlatform platform = LocalPlatform.start(LocalPlatformConfig.builder()
 *         .dataDir(Path.of("target/platform")).randomFreePorts().build())) {
 *     platform.stop(Component.KAFKA);   // ... then
 *     platform.start(Component.KAFKA);  // same data directory: topics and offsets are back
 * }
 * }</pre>
 */
public final class LocalPlatform implements AutoCloseable {

    private static final Duration POLL = Duration.ofMillis(250);
    private static final int LOG_TAIL_LINES = 20;

    private final LocalPlatformConfig config;
    private final PlatformListener listener;
    private final StateFile stateFile;
    private final Map<Component, ChildComponent> components = new EnumMap<>(Component.class);
    /** Components stopped on request: their exit is expected and not reported. */
    private final Set<Component> stoppedOnPurpose = ConcurrentHashMap.newKeySet();
    /** Components that reached ready since their last start: only their death is news (a failed start is reported as such). */
    private final Set<Component> readyOnce = ConcurrentHashMap.newKeySet();
    private final Thread shutdownHook = new Thread(this::stopQuietly, "local-platform-shutdown");
    private final java.util.concurrent.CountDownLatch stoppedLatch = new java.util.concurrent.CountDownLatch(1);
    private volatile boolean stopping;
    private volatile Optional<BuiltInModelsCache> builtInModelsCache;
    private boolean stopped;

    private LocalPlatform(LocalPlatformConfig config, PlatformListener listener) {
        this.config = config;
        this.listener = listener;
        this.stateFile = new StateFile(config.runDir());
        JavaCommand java = new JavaCommand(ParentWatchAgentJar.writeInto(config.runDir()));
        for (Component c : config.components()) {
            components.put(c, switch (c) {
                case KAFKA -> new KafkaBroker(config, java);
                case POSTGRES -> new PostgresServer(config, java);
                default -> new SpringBootService(c, config, java);
            });
        }
    }

    /** Starts every configured component and returns once all are ready; throws if one is not. */
    public static LocalPlatform start(LocalPlatformConfig config) {
        return start(config, PlatformListener.SILENT);
    }

    public static LocalPlatform start(LocalPlatformConfig config, PlatformListener listener) {
        PreflightChecks.run(config, listener);
        LocalPlatform platform = new LocalPlatform(config, listener);
        try {
            platform.startAll();
            return platform;
        } catch (RuntimeException e) {
            platform.stop();
            throw e;
        }
    }

    private void startAll() {
        try {
            Files.createDirectories(config.logDir());
            Files.createDirectories(config.dataDir().resolve("tmp"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        writeState();
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        List<Component> infrastructure = config.components().stream().filter(Component::isInfrastructure).toList();
        List<Component> services = config.components().stream().filter(c -> !c.isInfrastructure()).toList();
        startAndAwait(infrastructure);
        seedBuiltInModels();
        startAndAwait(services);
    }

    /**
     * With the startup cache on (./platform up), the built-in tiny models a previous platform made are copied
     * into a fresh data folder, so the services need not train them again (see {@link BuiltInModelsCache}).
     */
    private Optional<BuiltInModelsCache> builtInModelsCache() {
        // the key reads libs/model's jar out of the service jar: once per platform, for the seed and the publish
        if (builtInModelsCache == null) {
            builtInModelsCache = findBuiltInModelsCache();
        }
        return builtInModelsCache;
    }

    private Optional<BuiltInModelsCache> findBuiltInModelsCache() {
        if (!config.serviceStartupCache()) {
            return Optional.empty();
        }
        return Stream.of(Component.INFERENCE, Component.TRAINING).filter(config.components()::contains)
                .map(config::jar).filter(Files::isRegularFile).findFirst()
                .flatMap(jar -> BuiltInModelsCache.forServiceJar(config.cacheDir(), jar));
    }

    private void seedBuiltInModels() {
        builtInModelsCache().ifPresent(cache -> {
            List<String> seeded = cache.seed(config.modelsDir());
            if (!seeded.isEmpty()) {
                listener.notice("built-in models taken from the cache (" + String.join(", ", seeded) + "): nothing to train");
            }
        });
    }

    private void publishBuiltInModels() {
        builtInModelsCache().ifPresent(cache -> cache.publish(config.modelsDir()));
    }

    /** Starts one component that was stopped (e.g. Kafka, to test that the outbox catches up) and waits until ready. */
    public synchronized void start(Component component) {
        ChildComponent child = child(component);
        if (child.isRunning()) {
            throw new IllegalStateException(component.id() + " is already running");
        }
        PreflightChecks.requirePortsFree(config.ports(), List.of(component));
        stoppedOnPurpose.remove(component);
        startAndAwait(List.of(component));
    }

    public void start(String name) {
        start(Component.byId(name));
    }

    /** Stops one component (SIGTERM, then SIGKILL after a grace period); the others keep running. */
    public synchronized void stop(Component component) {
        ChildComponent child = child(component);
        stoppedOnPurpose.add(component);
        listener.stopping(component);
        boolean wasRunning = child.isRunning();
        child.stop();
        if (wasRunning) {
            listener.stopped(component, true);
        }
        writeState();
    }

    public void stop(String name) {
        stop(Component.byId(name));
    }

    public void restart(Component component) {
        stop(component);
        start(component);
    }

    public void restart(String name) {
        restart(Component.byId(name));
    }

    public boolean isRunning(Component component) {
        return child(component).isRunning();
    }

    /** Ready to serve: a broker that answers metadata, a database that answers SELECT 1, a service whose readiness is UP. */
    public boolean isHealthy(Component component) {
        ChildComponent child = child(component);
        return child.isRunning() && child.isHealthy();
    }

    public boolean isHealthy(String name) {
        return isHealthy(Component.byId(name));
    }

    public LocalPlatformConfig config() {
        return config;
    }

    public PlatformPorts ports() {
        return config.ports();
    }

    /** http://localhost:PORT of a service or the gateway. */
    public String httpUrl(Component component) {
        return config.httpUrl(component);
    }

    public String kafkaBootstrapServers() {
        return config.kafkaBootstrapServers();
    }

    public String jdbcUrl() {
        return config.jdbcUrl();
    }

    /** The address a user would type for a component: a URL, host:port or JDBC URL. */
    public String address(Component component) {
        return child(component).address();
    }

    public long pid(Component component) {
        return child(component).process().filter(ChildProcess::isAlive).map(ChildProcess::pid).orElse(-1L);
    }

    /** Stops everything: services first (together), then Kafka, then PostgreSQL. Idempotent. */
    public synchronized void stop() {
        if (stopped) {
            return;
        }
        stopping = true;
        long begin = System.nanoTime();
        boolean anyRunning = components.values().stream().anyMatch(ChildComponent::isRunning);
        if (anyRunning) {
            listener.stoppingAll();
        }
        List<Thread> serviceStops = new ArrayList<>();
        for (Component c : components.keySet()) {
            if (!c.isInfrastructure()) {
                serviceStops.add(Thread.ofVirtual().start(() -> stopForShutdown(c)));
            }
        }
        for (Thread t : serviceStops) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        publishBuiltInModels();
        if (components.containsKey(Component.KAFKA)) {
            stopForShutdown(Component.KAFKA);
        }
        if (components.containsKey(Component.POSTGRES)) {
            stopForShutdown(Component.POSTGRES);
        }
        stateFile.delete();
        stopped = true;
        if (anyRunning) {
            listener.stoppedAll(Duration.ofNanos(System.nanoTime() - begin));
        }
        stoppedLatch.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException | IllegalArgumentException e) {
            // already shutting down (we are the hook) or never registered: nothing to remove
        }
    }

    /** Whether {@link #stop()} has begun (Ctrl-C, ./platform down): watchers of the running platform give up. */
    public boolean isStopping() {
        return stopping;
    }

    /** Blocks until {@link #stop()} has finished, e.g. run by the shutdown hook after Ctrl-C. */
    public void awaitStopped() throws InterruptedException {
        stoppedLatch.await();
    }

    @Override
    public void close() {
        stop();
    }

    private void stopForShutdown(Component c) {
        ChildComponent child = components.get(c);
        if (child.isRunning()) {
            listener.stopping(c);
            listener.stopped(c, child.stop());
        }
    }

    private void stopQuietly() {
        try {
            stop();
        } catch (RuntimeException e) {
            // in a shutdown hook there is nobody left to tell
        }
    }

    private ChildComponent child(Component component) {
        ChildComponent child = components.get(component);
        if (child == null) {
            throw new IllegalArgumentException(component.id() + " is not part of this platform (configured: "
                    + components.keySet().stream().map(Component::id).toList() + ")");
        }
        return child;
    }

    private void startAndAwait(Collection<Component> toStart) {
        long begin = System.nanoTime();
        Map<Component, Long> startedAt = new EnumMap<>(Component.class);
        for (Component c : toStart) {
            ChildComponent child = components.get(c);
            ChildProcess process;
            try {
                process = child.start();
            } catch (ComponentStartException e) {
                throw new PlatformStartException(e.getMessage(), e.logTail());
            }
            readyOnce.remove(c);
            startedAt.put(c, System.nanoTime());
            listener.starting(c, child.address(), process.pid());
            process.onExit().thenAccept(p -> reportIfUnexpected(c, process));
            writeState();
        }
        Set<Component> pending = new LinkedHashSet<>(toStart);
        long deadline = begin + config.startTimeout().toNanos();
        while (!pending.isEmpty()) {
            if (stopping) {
                throw new PlatformStartException("stopped before " + pending.stream().map(Component::id).toList() + " became ready");
            }
            for (Component c : pending) {
                ChildProcess process = components.get(c).process().orElseThrow();
                if (!process.isAlive()) {
                    throw new PlatformStartException(c.id() + " exited with code " + process.exitCode()
                            + " while starting; last lines of " + process.logFile() + ":", process.logTail(LOG_TAIL_LINES));
                }
            }
            for (Component c : healthyAmong(pending)) {
                pending.remove(c);
                readyOnce.add(c);
                listener.ready(c, Duration.ofNanos(System.nanoTime() - startedAt.get(c)));
            }
            if (pending.isEmpty()) {
                break;
            }
            if (System.nanoTime() > deadline) {
                Component first = pending.iterator().next();
                ChildProcess process = components.get(first).process().orElseThrow();
                throw new PlatformStartException(pending.stream().map(Component::id).toList() + " not ready after "
                        + config.startTimeout().toSeconds() + " s; last lines of " + process.logFile() + ":",
                        process.logTail(LOG_TAIL_LINES));
            }
            listener.waiting(Set.copyOf(pending), Duration.ofNanos(System.nanoTime() - begin));
            sleep(POLL);
        }
    }

    /** Probes in parallel: one slow probe (a broker still starting) must not delay noticing the others. */
    private List<Component> healthyAmong(Set<Component> candidates) {
        Set<Component> healthy = ConcurrentHashMap.newKeySet();
        List<Thread> probes = new ArrayList<>();
        for (Component c : candidates) {
            probes.add(Thread.ofVirtual().start(() -> {
                if (components.get(c).isHealthy()) {
                    healthy.add(c);
                }
            }));
        }
        for (Thread t : probes) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PlatformStartException("interrupted while waiting for the platform to start");
            }
        }
        return candidates.stream().filter(healthy::contains).toList();
    }

    private void reportIfUnexpected(Component c, ChildProcess process) {
        boolean current = components.get(c).process().map(p -> p == process).orElse(false);
        if (!stopping && current && readyOnce.contains(c) && !stoppedOnPurpose.contains(c)) {
            listener.exitedUnexpectedly(c, process.exitCode(), process.logFile());
        }
    }

    private synchronized void writeState() {
        if (stopped) {
            return;
        }
        Map<Component, PlatformState.RecordedProcess> children = new EnumMap<>(Component.class);
        components.forEach((c, child) -> child.process().filter(ChildProcess::isAlive)
                .ifPresent(p -> children.put(c, new PlatformState.RecordedProcess(p.pid(), p.startedAt()))));
        stateFile.write(PlatformState.ofCurrentLauncher(config.ports(), config.components(), children));
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PlatformStartException("interrupted while waiting for the platform to start");
        }
    }
}
