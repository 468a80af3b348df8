package dev.divergence.local.state;

import dev.divergence.local.Component;
import dev.divergence.local.PlatformPorts;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Set;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * What a running launcher records under .data/run/ so that `down` and `status` (other JVMs) can find it,
 * and the next `up` can stop children a killed launcher left behind.
 */
public record PlatformState(RecordedProcess launcher, PlatformPorts ports, Set<Component> components,
                            Map<Component, RecordedProcess> children) {

    public PlatformState {
        components = components.isEmpty() ? Set.of() : EnumSet.copyOf(components);
        children = children.isEmpty() ? Map.of() : new EnumMap<>(children);
    }

    public static PlatformState ofCurrentLauncher(PlatformPorts ports, Set<Component> components,
                                                  Map<Component, RecordedProcess> children) {
        return new PlatformState(RecordedProcess.of(ProcessHandle.current()), ports, components, children);
    }

    /** A process identified by pid and start time, so that a reused pid is never mistaken for ours. */
    public record RecordedProcess(long pid, Instant startedAt) {

        /** Start times come from /proc with tick precision; allow a little slack. */
        private static final Duration START_TOLERANCE = Duration.ofSeconds(2);

        public static RecordedProcess of(ProcessHandle handle) {
            return new RecordedProcess(handle.pid(), handle.info().startInstant().orElse(Instant.EPOCH));
        }

        /** The process, if it still runs and is the one recorded. */
        public Optional<ProcessHandle> live() {
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(h -> h.info().startInstant()
                    .map(s -> Duration.between(s, startedAt).abs().compareTo(START_TOLERANCE) <= 0).orElse(false));
        }
    }

    public Properties toProperties() {
        Properties p = new Properties();
        p.setProperty("launcher.pid", Long.toString(launcher.pid()));
        p.setProperty("launcher.started", Long.toString(launcher.startedAt().toEpochMilli()));
        ports.writeTo(p);
        p.setProperty("components", String.join(",", components.stream().map(Component::id).toList()));
        children.forEach((c, proc) -> {
            p.setProperty("child." + c.id() + ".pid", Long.toString(proc.pid()));
            p.setProperty("child." + c.id() + ".started", Long.toString(proc.startedAt().toEpochMilli()));
        });
        return p;
    }

    public static PlatformState fromProperties(Properties p) {
        RecordedProcess launcher = new RecordedProcess(Long.parseLong(p.getProperty("launcher.pid")),
                Instant.ofEpochMilli(Long.parseLong(p.getProperty("launcher.started"))));
        Map<Component, RecordedProcess> children = new EnumMap<>(Component.class);
        for (Component c : Component.values()) {
            String pid = p.getProperty("child." + c.id() + ".pid");
            if (pid != null) {
                children.put(c, new RecordedProcess(Long.parseLong(pid),
                        Instant.ofEpochMilli(Long.parseLong(p.getProperty("child." + c.id() + ".started")))));
            }
        }
        Set<Component> components = EnumSet.noneOf(Component.class);
        for (String id : p.getProperty("components", "").split(",")) {
            if (!id.isBlank()) {
                components.add(Component.byId(id));
            }
        }
        return new PlatformState(launcher, PlatformPorts.readFrom(p), components, children);
    }
}
