package dev.divergence.local.state;

import dev.divergence.local.Component;
import dev.divergence.local.process.ProcessStopper;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Children recorded by a launcher that no longer runs (killed, crashed): found and stopped, services first. */
public final class LeftoverProcesses {

    private LeftoverProcesses() {
    }

    /** Stops the recorded children that still run; returns the names of those it stopped. */
    public static List<String> stop(PlatformState state, Duration grace) {
        List<String> stopped = new ArrayList<>();
        List<Component> order = new ArrayList<>(Component.services());
        order.add(Component.KAFKA);
        order.add(Component.POSTGRES);
        for (Component c : order) {
            PlatformState.RecordedProcess recorded = state.children().get(c);
            Optional<ProcessHandle> live = recorded == null ? Optional.empty() : recorded.live();
            if (live.isPresent()) {
                ProcessStopper.stop(live.get(), grace);
                stopped.add(c.id() + " (pid " + recorded.pid() + ")");
            }
        }
        return stopped;
    }

    public static boolean anyAlive(Map<Component, PlatformState.RecordedProcess> children) {
        return children.values().stream().anyMatch(r -> r.live().isPresent());
    }
}
