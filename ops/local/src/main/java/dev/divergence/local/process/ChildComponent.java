package dev.divergence.local.process;

import dev.divergence.local.Component;
import dev.divergence.local.LocalPlatformConfig;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A platform component that runs as one child process: how to start it, check it and stop it. */
public abstract class ChildComponent {

    protected final Component component;
    protected final LocalPlatformConfig config;
    protected final JavaCommand java;
    private volatile ChildProcess process;

    protected ChildComponent(Component component, LocalPlatformConfig config, JavaCommand java) {
        this.component = component;
        this.config = config;
        this.java = java;
    }

    public Component component() {
        return component;
    }

    /** Where it listens, as a user would type it (a URL or host:port). */
    public abstract String address();

    /** True when it serves requests (readiness, not just a live process). */
    public abstract boolean isHealthy();

    protected abstract List<String> command();

    protected Map<String, String> environment() {
        return Map.of();
    }

    /** One-time preparation before each start (writing config, formatting storage); may throw ComponentStartException. */
    protected void prepare() {
    }

    /** How long a SIGTERM may take before SIGKILL. */
    protected Duration stopGrace() {
        return Duration.ofSeconds(20);
    }

    /** Spawns the process and returns at once; readiness is awaited by the caller. */
    public ChildProcess start() {
        if (isRunning()) {
            throw new IllegalStateException(component.id() + " is already running (pid " + process.pid() + ")");
        }
        prepare();
        process = ChildProcess.start(component.id(), command(), environment(), config.dataDir(), config.logFile(component));
        return process;
    }

    /** SIGTERM, grace period, SIGKILL. Returns true if it ended cleanly (or was not running). */
    public boolean stop() {
        ChildProcess p = process;
        if (p == null) {
            return true;
        }
        List<ProcessHandle> detached = detachedProcesses();
        boolean clean = p.stop(stopGrace());
        for (ProcessHandle h : detached) {
            // the JVM's shutdown normally ends them; wait for that, and force it if the JVM had to be killed
            if (!ProcessStopper.awaitExit(h, Duration.ofSeconds(10))) {
                clean = false;
                stopDetached(h);
            }
        }
        return clean;
    }

    /**
     * Processes the child started that are not its descendants any more (a daemonised postmaster): stop()
     * returns only after they have ended too.
     */
    protected List<ProcessHandle> detachedProcesses() {
        return List.of();
    }

    /** Ends a detached process that outlived its JVM (which then must have been killed). */
    protected void stopDetached(ProcessHandle handle) {
        ProcessStopper.stop(handle, Duration.ofSeconds(10));
    }

    public boolean isRunning() {
        ChildProcess p = process;
        return p != null && p.isAlive();
    }

    public Optional<ChildProcess> process() {
        return Optional.ofNullable(process);
    }
}
