package dev.divergence.local;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

/** What a {@link LocalPlatform} reports while it starts, runs and stops: the console prints it, tests may ignore it. */
public interface PlatformListener {

    PlatformListener SILENT = new PlatformListener() {
    };

    default void starting(Component component, String address, long pid) {
    }

    default void ready(Component component, Duration took) {
    }

    /** Called about four times a second while components are starting. */
    default void waiting(Set<Component> pending, Duration elapsed) {
    }

    /** The whole platform is about to stop (Ctrl-C, ./platform down, {@link LocalPlatform#stop()}). */
    default void stoppingAll() {
    }

    default void stoppedAll(Duration took) {
    }

    default void stopping(Component component) {
    }

    default void stopped(Component component, boolean clean) {
    }

    /** A child died while nobody asked it to stop. */
    default void exitedUnexpectedly(Component component, int exitCode, Path logFile) {
    }

    default void notice(String line) {
    }
}
