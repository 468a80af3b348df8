package dev.divergence.local.process;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * The classpath this launcher runs with, fully expanded, for the Kafka and PostgreSQL child JVMs.
 *
 * <p>Run as {@code java -jar local-runtime.jar}, java.class.path names only the thin jar and the real
 * classpath hides in its manifest (lib/*.jar); under Surefire/Failsafe it is the test classpath, possibly
 * behind a manifest-only booter jar. Following manifest Class-Path entries covers all three.
 */
public final class LauncherClasspath {

    private LauncherClasspath() {
    }

    public static String current() {
        Set<Path> entries = new LinkedHashSet<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.isBlank()) {
                addWithManifest(Path.of(entry).toAbsolutePath().normalize(), entries);
            }
        }
        return String.join(File.pathSeparator, entries.stream().map(Path::toString).toList());
    }

    private static void addWithManifest(Path entry, Set<Path> entries) {
        if (!entries.add(entry) || !Files.isRegularFile(entry) || !entry.toString().endsWith(".jar")) {
            return;
        }
        try (JarFile jar = new JarFile(entry.toFile())) {
            Manifest manifest = jar.getManifest();
            String classPath = manifest == null ? null : manifest.getMainAttributes().getValue("Class-Path");
            if (classPath == null) {
                return;
            }
            URI base = entry.getParent().toUri();
            for (String token : classPath.trim().split("\\s+")) {
                if (!token.isEmpty()) {
                    Path p = Path.of(base.resolve(token)).normalize();
                    if (Files.exists(p)) {
                        addWithManifest(p, entries);
                    }
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            // an unreadable jar or odd manifest entry: keep the jar itself, skip what it points to
        }
    }
}
